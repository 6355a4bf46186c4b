/**
 * Mailed sign-ins and recovery: POST /otp (magic link and 6-digit code, creating the user unless told not to),
 * POST /recover (password recovery) and POST /resend (the sign-up confirmation again). /recover and /resend answer
 * the same whether or not the address has a user (but for the once-a-minute limit on mails to a user).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authContext } from '../context.ts';
import { AuthError, signupDisabled, validationFailed } from '../errors.ts';
import * as input from '../input.ts';
import { issueToken, mailToken } from '../one-time-tokens.ts';
import { resolveRedirect } from '../redirects.ts';
import type { AuthDependencies } from '../routes.ts';
import { loadSettings } from '../settings.ts';
import { insertOrFindUser, userByEmail } from '../users.ts';

interface OtpBody extends input.CodeChallengeBody {
  email?: string;
  phone?: string;
  create_user?: boolean;
  data?: Record<string, unknown>;
}

type Query = { Querystring: { redirect_to?: string } };

export function otpRoutes(app: FastifyInstance, { config, ownerPool }: AuthDependencies) {
  app.post<{ Body: OtpBody } & Query>(
    '/otp',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            email: input.email,
            phone: { type: 'string' },
            create_user: { type: 'boolean' },
            data: input.metadata,
            ...input.codeChallenge,
          },
        },
      },
    },
    async (request) => {
      const context = authContext(request, config);
      const { body } = request;
      if (body.phone) throw validationFailed('Signing in with a phone number is not supported');
      const email = input.validEmail(body.email);
      const userMetadata = input.validMetadata(body.data);
      const challenge = input.validCodeChallenge(body);
      const settings = await context.transaction((client) => loadSettings(client, context.schema));
      const issued = await context.transaction(async (client) => {
        let user = await userByEmail(client, context.schema, email);
        if (!user) {
          if (body.create_user === false) throw new AuthError(422, 'otp_disabled', 'Signups not allowed for otp');
          if (!settings.enableSignup) throw signupDisabled();
          user = await insertOrFindUser(client, context.schema, { email, passwordHash: null, confirmed: false, userMetadata });
        }
        return issueToken(context, client, user, 'magiclink', { challenge });
      });
      await mailToken(context, ownerPool, issued, resolveRedirect(settings, request.query.redirect_to));
      return {};
    },
  );

  /**
   * Mails a one-time token of `kind` to the user at the request's address when `wanted(user)`: the same answer
   * whether or not there is such a user.
   */
  const mailIfUser = async (
    request: FastifyRequest<{ Body: { email?: string } & input.CodeChallengeBody } & Query>,
    kind: 'recovery' | 'confirmation',
    wanted: (user: { email_confirmed_at: Date | null }) => boolean,
  ) => {
    const context = authContext(request, config);
    const email = input.validEmail(request.body.email);
    const challenge = input.validCodeChallenge(request.body);
    const { settings, issued } = await context.transaction(async (client) => {
      const user = await userByEmail(client, context.schema, email);
      return {
        settings: await loadSettings(client, context.schema),
        issued: user && wanted(user) ? await issueToken(context, client, user, kind, { challenge }) : undefined,
      };
    });
    if (issued) await mailToken(context, ownerPool, issued, resolveRedirect(settings, request.query.redirect_to));
    return {};
  };

  app.post<{ Body: { email?: string } & input.CodeChallengeBody } & Query>(
    '/recover',
    { schema: { body: { type: 'object', properties: { email: input.email, ...input.codeChallenge } } } },
    (request) => mailIfUser(request, 'recovery', () => true),
  );

  app.post<{ Body: { email?: string; type?: string } & input.CodeChallengeBody } & Query>(
    '/resend',
    {
      schema: {
        body: {
          type: 'object',
          properties: { email: input.email, type: { type: 'string', enum: ['signup'] }, ...input.codeChallenge },
        },
      },
    },
    (request) => mailIfUser(request, 'confirmation', (user) => !user.email_confirmed_at),
  );
}
