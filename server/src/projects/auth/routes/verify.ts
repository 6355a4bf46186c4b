/**
 * /verify: using a mailed token signs the user in. POST (supabase-js's verifyOtp) takes the address and 6-digit code
 * or the link token (`token_hash`) and answers a session; GET is the mailed link, which redirects to the app with
 * the session in the URL fragment, as GoTrue's implicit flow does, or, when the app asked for the mail with a PKCE
 * challenge, with a code in the query that only that app can exchange (../pkce.ts).
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { type AuthContext, authContext } from '../context.ts';
import { AuthError, emailExists, userNotFound, validationFailed } from '../errors.ts';
import * as input from '../input.ts';
import { type ConsumedToken, consumeToken, VERIFY_TYPES } from '../one-time-tokens.ts';
import { issueAuthCode } from '../pkce.ts';
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

/** Applies what the token was for (confirming the address, or changing it), as part of `client`'s transaction. */
async function applyToken(context: AuthContext, client: pg.PoolClient, consumed: ConsumedToken) {
  if (consumed.kind === 'email_change') {
    const holder = await userByEmail(client, context.schema, consumed.email);
    if (holder && holder.id !== consumed.userId) throw emailExists();
  }
  const user = await updateUser(client, context.schema, consumed.userId, {
    confirmEmail: true,
    email: consumed.kind === 'email_change' ? consumed.email : undefined,
  });
  if (!user) throw userNotFound();
  return user;
}

const signInWith = (context: AuthContext, consumed: ConsumedToken) =>
  context.transaction(async (client) => startSession(context, client, await applyToken(context, client, consumed), 'otp'));

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
      // The mailed link, opened by a browser that sends no key (as GoTrue's behind Supabase's gateway).
      config: { apikeyOptional: true },
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
      // Back to the app, with what it needs in the URL's fragment (implicit flow) or query (PKCE's code). Nowhere to
      // go back to (no allowed redirect, no site URL): the address is confirmed, and that is all.
      const back = (params: Record<string, string>, inQuery = false) => {
        if (!target) return { msg: 'Verified: you can close this page' };
        if (!inQuery) return reply.redirect(`${target.split('#')[0]}#${new URLSearchParams(params)}`, 303);
        const url = new URL(target);
        url.hash = '';
        for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
        return reply.redirect(url.toString(), 303);
      };
      try {
        const consumed = await consumeToken(context, kinds, { tokenHash: token! });
        const { challenge } = consumed;
        // PKCE: the session is for whoever holds the verifier, so the link brings back only a code for it.
        if (challenge) {
          const code = await context.transaction(async (client) =>
            issueAuthCode(context, client, (await applyToken(context, client, consumed)).id, challenge),
          );
          return back({ code }, true);
        }
        const session = await signInWith(context, consumed);
        return back({
          access_token: session.accessToken,
          expires_at: String(session.expiresAt),
          expires_in: String(session.expiresIn),
          refresh_token: session.refreshToken,
          token_type: 'bearer',
          type: type!,
        });
      } catch (error) {
        if (!target || !(error instanceof AuthError)) throw error;
        return back({ error: 'access_denied', error_code: error.errorCode, error_description: error.message });
      }
    },
  );
}
