/**
 * /verify: using a mailed token signs the user in. POST (supabase-js's verifyOtp) takes the address and 6-digit code
 * or the link token (`token_hash`) and answers a session; GET is the mailed link, which redirects to the app with
 * the session in the URL fragment, as GoTrue's implicit flow does.
 */
import type { FastifyInstance } from 'fastify';
import { type AuthContext, authContext } from '../context.ts';
import { AuthError, emailExists, userNotFound, validationFailed } from '../errors.ts';
import * as input from '../input.ts';
import { consumeToken, VERIFY_TYPES } from '../one-time-tokens.ts';
import { resolveRedirect } from '../redirects.ts';
import type { AuthDependencies } from '../routes.ts';
import { startSession } from '../sessions.ts';
import { sessionJson } from '../shapes.ts';
import { loadSettings } from '../settings.ts';
import { updateUser, userByEmail } from '../users.ts';

interface VerifyBody {
  type?: string;
  email?: string;
  token?: string;
  token_hash?: string;
}

const verifyType = { type: 'string', maxLength: 32 } as const;

function kindsOf(type: string | undefined) {
  const kinds = type ? VERIFY_TYPES[type] : undefined;
  if (!kinds) throw validationFailed(`type must be one of ${Object.keys(VERIFY_TYPES).join(', ')}`);
  return kinds;
}

/** Applies what the token was for (confirming the address, or changing it) and starts a session. */
async function signInWith(context: AuthContext, consumed: Awaited<ReturnType<typeof consumeToken>>) {
  return context.transaction(async (client) => {
    if (consumed.kind === 'email_change') {
      const holder = await userByEmail(client, context.schema, consumed.email);
      if (holder && holder.id !== consumed.userId) throw emailExists();
    }
    const user = await updateUser(client, context.schema, consumed.userId, {
      confirmEmail: true,
      email: consumed.kind === 'email_change' ? consumed.email : undefined,
    });
    if (!user) throw userNotFound();
    return startSession(context, client, user, 'otp');
  });
}

export function verifyRoutes(app: FastifyInstance, { config }: AuthDependencies) {
  app.post<{ Body: VerifyBody }>(
    '/verify',
    {
      schema: {
        body: {
          type: 'object',
          properties: { type: verifyType, email: input.email, token: input.token, token_hash: input.token },
        },
      },
    },
    async (request) => {
      const context = authContext(request, config);
      const { body } = request;
      const kinds = kindsOf(body.type);
      let proof: Parameters<typeof consumeToken>[2];
      if (body.token_hash) proof = { tokenHash: body.token_hash };
      else if (body.email && body.token) proof = { email: input.validEmail(body.email), code: body.token };
      else throw validationFailed('Verify needs either an email and token, or a token_hash');
      return sessionJson(await signInWith(context, await consumeToken(context, kinds, proof)));
    },
  );

  app.get<{ Querystring: { token?: string; type?: string; redirect_to?: string } }>(
    '/verify',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['token', 'type'],
          properties: { token: input.token, type: verifyType, redirect_to: { type: 'string', maxLength: 2048 } },
        },
      },
    },
    async (request, reply) => {
      const context = authContext(request, config);
      const { token, type, redirect_to } = request.query;
      const kinds = kindsOf(type);
      const settings = await context.transaction((client) => loadSettings(client, context.schema));
      const target = resolveRedirect(settings, redirect_to);
      let fragment: URLSearchParams;
      try {
        const session = await signInWith(context, await consumeToken(context, kinds, { tokenHash: token! }));
        fragment = new URLSearchParams({
          access_token: session.accessToken,
          expires_at: String(session.expiresAt),
          expires_in: String(session.expiresIn),
          refresh_token: session.refreshToken,
          token_type: 'bearer',
          type: type!,
        });
      } catch (error) {
        if (!target || !(error instanceof AuthError)) throw error;
        fragment = new URLSearchParams({ error: 'access_denied', error_code: error.errorCode, error_description: error.message });
      }
      // Nowhere to go back to (no allowed redirect, no site URL): the address is confirmed, and that is all.
      if (!target) return { msg: 'Verified: you can close this page' };
      return reply.redirect(`${target.split('#')[0]}#${fragment.toString()}`, 303);
    },
  );
}
