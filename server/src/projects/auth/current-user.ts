/**
 * The end user an access token speaks for. The token was verified by the project API's hook; here its session must
 * still exist (signing out or a refresh token's reuse ends it), as GoTrue checks on /user and /logout.
 */
import type pg from 'pg';
import type { AuthContext } from './context.ts';
import { AuthError } from './errors.ts';
import { isUuid, type UserRow, userById } from './users.ts';

export interface CurrentUser {
  user: UserRow;
  /** Absent for tokens minted with the JWT secret outside /auth/v1 (they name no session). */
  sessionId?: string;
}

export async function currentUser(context: AuthContext, client: pg.PoolClient): Promise<CurrentUser> {
  const { claims } = context.caller;
  if (context.caller.role !== 'authenticated' || !claims.sub) {
    throw new AuthError(401, 'no_authorization', 'This endpoint requires a Bearer token of a signed-in user');
  }
  const sessionId = typeof claims.session_id === 'string' ? claims.session_id : undefined;
  if (sessionId !== undefined) {
    const { rowCount } = isUuid(sessionId) && isUuid(claims.sub)
      ? await client.query(`select from ${context.schema}.sessions where id = $1 and user_id = $2`, [sessionId, claims.sub])
      : { rowCount: 0 };
    if (!rowCount) throw new AuthError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist');
  }
  const user = await userById(client, context.schema, claims.sub);
  if (!user) throw new AuthError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
  return { user, sessionId };
}
