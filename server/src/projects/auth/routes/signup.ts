/** POST /signup: a new user with email and password; a session at once, or a confirmation mail first. */
import type { FastifyInstance } from 'fastify';
import { authContext } from '../context.ts';
import { AuthError, signupDisabled, validationFailed } from '../errors.ts';
import * as input from '../input.ts';
import { type IssuedToken, issueToken, mailToken } from '../one-time-tokens.ts';
import { checkPassword, hashPassword } from '../passwords.ts';
import { resolveRedirect } from '../redirects.ts';
import type { AuthDependencies } from '../routes.ts';
import { sessionJson, userJson, obfuscatedUserJson } from '../shapes.ts';
import { startSession } from '../sessions.ts';
import { loadSettings } from '../settings.ts';
import { insertUser, userByEmail } from '../users.ts';

interface Body extends input.CodeChallengeBody {
  email?: string;
  password?: string;
  phone?: string;
  data?: Record<string, unknown>;
}

export function signupRoutes(app: FastifyInstance, { config, ownerPool }: AuthDependencies) {
  app.post<{ Body: Body; Querystring: { redirect_to?: string } }>(
    '/signup',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            email: input.email,
            password: input.password,
            phone: { type: 'string' },
            data: input.metadata,
            ...input.codeChallenge,
          },
        },
      },
    },
    async (request) => {
      const context = authContext(request, config);
      const { body } = request;
      if (body.phone) throw validationFailed('Signing up with a phone number is not supported');
      const email = input.validEmail(body.email);
      if (!body.password) throw validationFailed('Signup requires a valid password');
      const userMetadata = input.validMetadata(body.data);
      const challenge = input.validCodeChallenge(body);
      const settings = await context.transaction((client) => loadSettings(client, context.schema));
      if (!settings.enableSignup) throw signupDisabled();
      checkPassword(body.password, settings.minPasswordLength);
      const passwordHash = await hashPassword(body.password);

      let issued: IssuedToken | undefined;
      const answer = await context.transaction(async (client) => {
        const user = await insertUser(client, context.schema, {
          email,
          passwordHash,
          confirmed: !settings.confirmEmail,
          userMetadata,
        });
        if (user && !settings.confirmEmail) return sessionJson(await startSession(context, client, user, 'password'));
        if (user) {
          issued = await issueToken(context, client, user, 'confirmation', { challenge });
          return userJson((await userByEmail(client, context.schema, email))!);
        }
        // The address is taken. Without confirmation there is nothing to hide: the user signs in instead.
        if (!settings.confirmEmail) throw new AuthError(422, 'user_already_exists', 'User already registered');
        const existing = await userByEmail(client, context.schema, email);
        if (existing && !existing.email_confirmed_at) {
          issued = await issueToken(context, client, existing, 'confirmation', { challenge });
          return userJson(existing);
        }
        return obfuscatedUserJson(email);
      });
      if (issued) await mailToken(context, ownerPool, issued, resolveRedirect(settings, request.query.redirect_to));
      return answer;
    },
  );
}
