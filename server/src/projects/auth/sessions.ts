/**
 * Sessions and their refresh tokens. Each session is one family of refresh tokens: a refresh exchanges the live
 * token for its child, and presenting a token that was already exchanged means it was copied, so the whole session
 * ends (the newest token stops working too, and access tokens naming the session are refused by /user). Within the
 * project's reuse interval (10 s by default, as GoTrue) an exchanged token is exchanged again instead, for another
 * child: two tabs refreshing at once both keep the session.
 */
import type pg from 'pg';
import type { AuthContext } from './context.ts';
import { AuthError } from './errors.ts';
import type { IssuedSession } from './shapes.ts';
import { loadSettings } from './settings.ts';
import { randomToken, sha256, signAccessToken } from './tokens.ts';
import type { UserRow } from './users.ts';

/** How a session began, recorded in its access tokens' `amr`. */
export type SignInMethod = 'password' | 'otp';

interface SessionRow {
  id: string;
  method: string;
  created_at: Date;
}

export async function startSession(
  context: AuthContext,
  client: pg.PoolClient,
  user: UserRow,
  method: SignInMethod,
): Promise<IssuedSession> {
  const { rows } = await client.query<SessionRow>(
    `insert into ${context.schema}.sessions (user_id, method, user_agent, ip) values ($1, $2, $3, $4)
     returning id, method, created_at`,
    [user.id, method, context.origin.userAgent || null, context.origin.ip || null],
  );
  const { rows: signedIn } = await client.query<UserRow>(
    `update ${context.schema}.users set last_sign_in_at = now() where id = $1 returning *`,
    [user.id],
  );
  return issueTokens(context, client, signedIn[0], rows[0], null);
}

/** Exchanges a refresh token for a new access and refresh token. */
export async function refreshSession(context: AuthContext, refreshToken: string): Promise<IssuedSession> {
  const outcome = await context.transaction(async (client) => {
    const { rows } = await client.query<{ id: string; session_id: string; revoked: boolean; reusable: boolean }>(
      `select t.id, t.session_id, t.revoked_at is not null as revoked,
              t.revoked_at > now() - make_interval(secs => s.refresh_token_reuse_interval) as reusable
       from ${context.schema}.refresh_tokens t, ${context.schema}.settings s
       where t.token_hash = $1 for update of t`,
      [sha256(refreshToken)],
    );
    const token = rows[0];
    if (!token) return 'not_found' as const;
    if (token.revoked && !token.reusable) {
      // Committed before answering: the reuse must end the family even though the request fails.
      await client.query(`delete from ${context.schema}.sessions where id = $1`, [token.session_id]);
      return 'reused' as const;
    }
    if (!token.revoked) {
      await client.query(`update ${context.schema}.refresh_tokens set revoked_at = now() where id = $1`, [token.id]);
    }
    const { rows: sessions } = await client.query<SessionRow & { user_id: string }>(
      `update ${context.schema}.sessions set refreshed_at = now() where id = $1 returning id, method, created_at, user_id`,
      [token.session_id],
    );
    const { rows: users } = await client.query<UserRow>(`select * from ${context.schema}.users where id = $1`, [
      sessions[0].user_id,
    ]);
    return issueTokens(context, client, users[0], sessions[0], token.id);
  });
  if (outcome === 'not_found') {
    throw new AuthError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
  }
  if (outcome === 'reused') throw new AuthError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
  return outcome;
}

async function issueTokens(
  context: AuthContext,
  client: pg.PoolClient,
  user: UserRow,
  session: SessionRow,
  parentId: string | null,
): Promise<IssuedSession> {
  const refreshToken = randomToken();
  await client.query(
    `insert into ${context.schema}.refresh_tokens (token_hash, session_id, parent_id) values ($1, $2, $3)`,
    [sha256(refreshToken), session.id, parentId],
  );
  const { accessTokenTtl } = await loadSettings(client, context.schema);
  const { token, expiresAt } = await signAccessToken(context.jwtSecret, {
    ref: context.ref,
    issuer: `${context.apiUrl}/auth/v1`,
    ttlSeconds: accessTokenTtl,
    user,
    session: { id: session.id, method: session.method, createdAt: session.created_at },
  });
  return { accessToken: token, expiresAt, expiresIn: accessTokenTtl, refreshToken, user };
}

export type SignOutScope = 'global' | 'local' | 'others';

/** Ends the user's sessions: this one (`local`), all but this one (`others`), or all of them (`global`). */
export async function endSessions(
  client: pg.PoolClient,
  schema: string,
  userId: string,
  sessionId: string | undefined,
  scope: SignOutScope,
) {
  if (scope === 'global') {
    await client.query(`delete from ${schema}.sessions where user_id = $1`, [userId]);
  } else if (sessionId) {
    await client.query(`delete from ${schema}.sessions where user_id = $1 and id ${scope === 'local' ? '=' : '<>'} $2`, [
      userId,
      sessionId,
    ]);
  }
}
