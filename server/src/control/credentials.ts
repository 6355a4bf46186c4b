/**
 * Who is calling the control API. A request carries at most one credential: `Authorization: Bearer <token>` (a
 * session token or a personal access token, for scripts) or the `canopy_session` cookie (browsers). A WebSocket may
 * instead send `{ authorization: "Bearer …" }` in graphql-ws's connection_init payload.
 *
 * Cookie sessions are guarded against cross-site request forgery: the cookie is SameSite=Lax and httpOnly, and a
 * cookie-authenticated request whose Origin is not the console's (or an allowed CORS origin) is refused.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { CanopyError } from '../errors.ts';
import type { Accounts, Identity, RequestOrigin } from './accounts.ts';

export const SESSION_COOKIE = 'canopy_session';

export interface Caller {
  identity?: Identity;
  origin: RequestOrigin;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

export function requestOrigin(request: FastifyRequest): RequestOrigin {
  return { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 512) };
}

export function bearerToken(authorization: unknown): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new CanopyError('INVALID_TOKEN', 'The Authorization header must be "Bearer <token>"', 401);
  return match[1];
}

/** Resolves the request's credential into `request.caller`; refuses bad tokens and cross-site cookie use. */
export function makeIdentify(accounts: Accounts, config: Config) {
  const trustedOrigins = new Set([new URL(config.publicUrl).origin, ...config.corsOrigins]);
  return async function identify(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const origin = requestOrigin(request);
    const token = bearerToken(request.headers.authorization);
    if (token) {
      const identity = await accounts.authenticate(token);
      if (!identity) throw new CanopyError('INVALID_TOKEN', 'The token is unknown, expired or revoked', 401);
      request.caller = { identity, origin };
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (!cookie) {
      request.caller = { origin };
      return;
    }
    const requestOriginHeader = request.headers.origin;
    if (requestOriginHeader && !trustedOrigins.has(requestOriginHeader)) {
      throw new CanopyError('CROSS_SITE_REQUEST', 'Cookie sessions are accepted only from the Canopy console', 403);
    }
    const identity = await accounts.authenticate(cookie);
    // An expired browser session is simply signed out.
    if (!identity) clearSessionCookie(reply);
    request.caller = { identity, origin };
  };
}

export function setSessionCookie(reply: FastifyReply, config: Config, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.publicUrl.startsWith('https:'),
    path: '/',
    maxAge: config.sessionDays * 24 * 60 * 60,
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}
