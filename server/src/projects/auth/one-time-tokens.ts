/**
 * Mailed one-time tokens (address confirmation, password recovery, magic link, address change). Each mail carries
 * a link with a random token and a 6-digit code for the same token; either works once, within the hour. A user has
 * at most one live token of each kind, a new one may be asked for once a minute, and a few wrong codes for an
 * address kill its tokens, so that codes cannot be guessed.
 */
import type pg from 'pg';
import type { AuthContext } from './context.ts';
import { AuthError, otpExpired } from './errors.ts';
import type { CodeChallenge } from './input.ts';
import { type AuthMailTemplate, queueAuthMail } from './mail.ts';
import { randomToken, sha256, sixDigitCode } from './tokens.ts';
import type { UserRow } from './users.ts';

export type TokenKind = 'confirmation' | 'recovery' | 'magiclink' | 'email_change';

const LIFETIME_MINUTES = 60;
const RESEND_AFTER_SECONDS = 60;
const MAX_FAILED_CODES = 5;

/** The users column that records when the last token of a kind was sent (GoTrue shows them). */
const SENT_AT: Record<TokenKind, string> = {
  confirmation: 'confirmation_sent_at',
  recovery: 'recovery_sent_at',
  magiclink: 'recovery_sent_at',
  email_change: 'email_change_sent_at',
};

interface TokenMail {
  template: AuthMailTemplate;
  /** The link's `type` for /verify (one of VERIFY_TYPES). */
  type: string;
}

const MAIL: Record<TokenKind, TokenMail> = {
  confirmation: { template: 'auth_confirmation', type: 'signup' },
  recovery: { template: 'auth_recovery', type: 'recovery' },
  magiclink: { template: 'auth_magic_link', type: 'magiclink' },
  email_change: { template: 'auth_email_change', type: 'email_change' },
};

/** Which kinds of token each `type` of /verify accepts. */
export const VERIFY_TYPES: Record<string, TokenKind[]> = {
  signup: ['confirmation'],
  invite: ['confirmation'],
  email: ['confirmation', 'magiclink'],
  magiclink: ['magiclink'],
  recovery: ['recovery'],
  email_change: ['email_change'],
};

export interface IssuedToken {
  kind: TokenKind;
  email: string;
  token: string;
  code: string;
  expiresAt: Date;
}

/**
 * Replaces the user's token of this kind. `email` is where it goes (the new address, for an address change);
 * `challenge`, the app's PKCE challenge, makes the mailed link come back with a code for it rather than a session.
 */
export async function issueToken(
  context: AuthContext,
  client: pg.PoolClient,
  user: UserRow,
  kind: TokenKind,
  { email = user.email, challenge }: { email?: string; challenge?: CodeChallenge } = {},
): Promise<IssuedToken> {
  const { rows: recent } = await client.query<{ wait: number }>(
    `select ceil(extract(epoch from created_at + make_interval(secs => $3) - now()))::int as wait
     from ${context.schema}.one_time_tokens
     where user_id = $1 and kind = $2 and created_at > now() - make_interval(secs => $3)`,
    [user.id, kind, RESEND_AFTER_SECONDS],
  );
  if (recent[0]) {
    throw new AuthError(
      429,
      'over_email_send_rate_limit',
      `For security purposes, you can only request this after ${Math.max(recent[0].wait, 1)} seconds.`,
    );
  }
  const token = randomToken();
  const code = sixDigitCode();
  const { rows } = await client.query<{ expires_at: Date }>(
    `insert into ${context.schema}.one_time_tokens as t
       (user_id, kind, email, token_hash, code_hash, expires_at, code_challenge, code_challenge_method)
     values ($1, $2, $3, $4, $5, now() + make_interval(mins => $6), $7, $8)
     on conflict (user_id, kind) do update set
       email = excluded.email, token_hash = excluded.token_hash, code_hash = excluded.code_hash,
       failed_attempts = 0, created_at = now(), expires_at = excluded.expires_at,
       code_challenge = excluded.code_challenge, code_challenge_method = excluded.code_challenge_method
     returning expires_at`,
    [user.id, kind, email, sha256(token), sha256(code), LIFETIME_MINUTES, challenge?.challenge, challenge?.method],
  );
  await client.query(`update ${context.schema}.users set ${SENT_AT[kind]} = now() where id = $1`, [user.id]);
  return { kind, email, token, code, expiresAt: rows[0].expires_at };
}

/** The token's link: /verify, which signs in and goes on to `redirectTo`; `type` is one of VERIFY_TYPES for it. */
export function verifyLink(context: AuthContext, issued: IssuedToken, redirectTo?: string, type = MAIL[issued.kind].type) {
  const link = new URL(`${context.apiUrl}/auth/v1/verify`);
  link.searchParams.set('token', issued.token);
  link.searchParams.set('type', type);
  if (redirectTo) link.searchParams.set('redirect_to', redirectTo);
  return link.toString();
}

/** An invitation is a confirmation token in its own mail. */
export const INVITE_MAIL: TokenMail = { template: 'auth_invite', type: 'invite' };

/** Mails a token: its link and its code. */
export async function mailToken(
  context: AuthContext,
  ownerPool: pg.Pool,
  issued: IssuedToken,
  redirectTo?: string,
  { template, type }: TokenMail = MAIL[issued.kind],
) {
  await queueAuthMail(ownerPool, issued.email, template, {
    code: issued.code,
    token_hash: issued.token,
    link: verifyLink(context, issued, redirectTo, type),
    expires_at: issued.expiresAt.toISOString(),
  });
}

export interface ConsumedToken {
  userId: string;
  kind: TokenKind;
  email: string;
  /** The app's PKCE challenge, when it asked for the mail in that flow. */
  challenge: CodeChallenge | null;
}

const CONSUMED = `user_id as "userId", kind, email,
  case when code_challenge is not null then json_build_object('challenge', code_challenge, 'method', code_challenge_method) end
    as challenge`;

/**
 * Uses up a live token of one of `kinds`, found by the link token (`token_hash`) or by address and code. A wrong
 * code counts against the address's tokens; the count is committed although the request fails.
 */
export async function consumeToken(
  context: AuthContext,
  kinds: TokenKind[],
  proof: { tokenHash: string } | { email: string; code: string },
): Promise<ConsumedToken> {
  const consumed = await context.transaction(async (client) => {
    const live = `kind = any($1) and expires_at > now() and failed_attempts < ${MAX_FAILED_CODES}`;
    const { rows } =
      'tokenHash' in proof
        ? await client.query<ConsumedToken>(
            `delete from ${context.schema}.one_time_tokens where ${live} and token_hash = $2
             returning ${CONSUMED}`,
            [kinds, sha256(proof.tokenHash)],
          )
        : await client.query<ConsumedToken>(
            `delete from ${context.schema}.one_time_tokens where ${live} and lower(email) = lower($2) and code_hash = $3
             returning ${CONSUMED}`,
            [kinds, proof.email, sha256(proof.code)],
          );
    if (!rows[0] && 'email' in proof) {
      await client.query(
        `update ${context.schema}.one_time_tokens set failed_attempts = failed_attempts + 1
         where ${live} and lower(email) = lower($2)`,
        [kinds, proof.email],
      );
    }
    return rows[0];
  });
  if (!consumed) throw otpExpired();
  return consumed;
}
