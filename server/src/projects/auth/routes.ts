/**
 * A project's end-user auth at `/auth/v1/…`: the GoTrue API that supabase-js's auth client speaks. Registered by
 * the project API after its hook has resolved the project and verified the caller's key or token. Users live in
 * the project's `p_<ref>_auth` schema and every statement runs as the project's service role.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config.ts';
import { AuthError, sendAuthError } from './errors.ts';
import { adminRoutes } from './routes/admin.ts';
import { otpRoutes } from './routes/otp.ts';
import { settingsRoutes } from './routes/settings.ts';
import { signupRoutes } from './routes/signup.ts';
import { tokenRoutes } from './routes/token.ts';
import { userRoutes } from './routes/user.ts';
import { verifyRoutes } from './routes/verify.ts';

export interface AuthDependencies {
  config: Config;
  /** The control database, as canopy_owner (for the mail outbox). */
  ownerPool: pg.Pool;
}

/** Auth requests are small; metadata has its own, smaller limit (input.ts). */
const BODY_LIMIT = 65_536;

export async function authRoutes(app: FastifyInstance, dependencies: AuthDependencies): Promise<void> {
  // Errors here, including those of the project hook that ran first, answer in GoTrue's shape.
  app.setErrorHandler(sendAuthError);
  app.setNotFoundHandler((request, reply) =>
    sendAuthError(new AuthError(404, 'not_found', `There is no ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );
  // supabase-js posts /logout with a JSON content type and no body at all: that is an empty request, not bad JSON.
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-length'] === '0') delete request.headers['content-type'];
  });
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= BODY_LIMIT;
  });
  for (const routes of [signupRoutes, tokenRoutes, userRoutes, verifyRoutes, otpRoutes, adminRoutes, settingsRoutes]) {
    routes(app, dependencies);
  }
}
