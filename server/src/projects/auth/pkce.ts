/**
 * PKCE (RFC 7636), as GoTrue does it for mailed links: a link whose token was asked for with a code challenge brings
 * the browser back with a one-time code, and POST /token?grant_type=pkce exchanges the code and the challenge's
 * verifier for a session. A code that leaks through the browser's history or a referrer is useless without the
 * verifier, which never left the app that asked.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AuthContext } from './context.ts';
import { AuthError } from './errors.ts';
import type { CodeChallenge } from './input.ts';
import { startSession } from './sessions.ts';
import type { IssuedSession } from './shapes.ts';
import { randomToken, sha256 } from './tokens.ts';
import type { UserRow } from './users.ts';

const CODE_LIFETIME_MINUTES = 5;

/** A code for the user, to be exchanged with the verifier of `challenge` within a few minutes. */
export async function issueAuthCode(
  context: AuthContext,
  client: pg.PoolClient,
  userId: string,
  challenge: CodeChallenge,
): Promise<string> {
  const code = randomToken();
  await client.query(
    `insert into ${context.schema}.auth_codes (code_hash, user_id, code_challenge, code_challenge_method, expires_at)
     values ($1, $2, $3, $4, now() + make_interval(mins => $5))`,
    [sha256(code), userId, challenge.challenge, challenge.method, CODE_LIFETIME_MINUTES],
  );
  return code;
}

/** Uses up the code (once, whatever the verifier) and starts a session if the verifier matches its challenge. */
export async function exchangeAuthCode(context: AuthContext, code: string, verifier: string): Promise<IssuedSession> {
  const outcome = await context.transaction(async (client) => {
    const { rows } = await client.query<{ user_id: string; code_challenge: string; code_challenge_method: string; live: boolean }>(
      `delete from ${context.schema}.auth_codes where code_hash = $1
       returning user_id, code_challenge, code_challenge_method, expires_at > now() as live`,
      [sha256(code)],
    );
    const found = rows[0];
    if (!found?.live) return 'not_found' as const;
    const expected = found.code_challenge_method === 's256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
    if (expected !== found.code_challenge) return 'bad_verifier' as const;
    const { rows: users } = await client.query<UserRow>(`select * from ${context.schema}.users where id = $1`, [found.user_id]);
    return startSession(context, client, users[0], 'otp');
  });
  if (outcome === 'not_found') {
    throw new AuthError(404, 'flow_state_not_found', 'invalid flow state, no valid flow state found');
  }
  if (outcome === 'bad_verifier') {
    throw new AuthError(400, 'bad_code_verifier', 'code challenge does not match previously saved code verifier');
  }
  return outcome;
}
