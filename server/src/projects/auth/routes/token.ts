/**
 * POST /token: sign in with a password (`grant_type=password`), exchange a refresh token (`refresh_token`), or
 * exchange a mailed link's PKCE code and its verifier (`pkce`).
 */
import type { FastifyInstance } from 'fastify';
import { authContext } from '../context.ts';
import { AuthError, invalidCredentials, validationFailed } from '../errors.ts';
import * as input from '../input.ts';
import { passwordMatches } from '../passwords.ts';
import { exchangeAuthCode } from '../pkce.ts';
import type { AuthDependencies } from '../routes.ts';
import { refreshSession, startSession } from '../sessions.ts';
import { sessionJson } from '../shapes.ts';
import { loadSettings } from '../settings.ts';
import { awaitSignInTurn, clearSignInFailures, recordSignInFailure } from '../throttle.ts';
import { userByEmail } from '../users.ts';

interface Body {
  email?: string;
  password?: string;
  phone?: string;
  refresh_token?: string;
  auth_code?: string;
  code_verifier?: string;
}

export function tokenRoutes(app: FastifyInstance, { config }: AuthDependencies) {
  app.post<{ Body: Body; Querystring: { grant_type?: string } }>(
    '/token',
    {
      schema: {
        querystring: { type: 'object', properties: { grant_type: { type: 'string', maxLength: 64 } } },
        body: {
          type: 'object',
          properties: {
            email: input.email,
            password: input.password,
            phone: { type: 'string' },
            refresh_token: input.token,
            auth_code: input.token,
            code_verifier: { type: 'string', maxLength: 128 },
          },
        },
      },
    },
    async (request) => {
      const context = authContext(request, config);
      const { body } = request;
      switch (request.query.grant_type) {
        case 'password': {
          if (body.phone) throw validationFailed('Signing in with a phone number is not supported');
          const email = input.validEmail(body.email);
          if (!body.password) throw validationFailed('A password is required');
          await awaitSignInTurn(context, config.signInThrottle, email);
          const { user, settings } = await context.transaction(async (client) => ({
            user: await userByEmail(client, context.schema, email),
            settings: await loadSettings(client, context.schema),
          }));
          if (!user || !(await passwordMatches(user.password_hash, body.password))) {
            await recordSignInFailure(context, config.signInThrottle, email);
            throw invalidCredentials();
          }
          await clearSignInFailures(context, email);
          if (settings.confirmEmail && !user.email_confirmed_at) {
            throw new AuthError(400, 'email_not_confirmed', 'Email not confirmed');
          }
          return sessionJson(await context.transaction((client) => startSession(context, client, user, 'password')));
        }
        case 'refresh_token': {
          if (!body.refresh_token) throw validationFailed('A refresh_token is required');
          return sessionJson(await refreshSession(context, body.refresh_token));
        }
        case 'pkce': {
          if (!body.auth_code || !body.code_verifier) throw validationFailed('invalid request: both auth code and code verifier should be non-empty');
          return sessionJson(await exchangeAuthCode(context, body.auth_code, body.code_verifier));
        }
        default:
          throw new AuthError(400, 'unsupported_grant_type', 'grant_type must be password, refresh_token or pkce');
      }
    },
  );
}
