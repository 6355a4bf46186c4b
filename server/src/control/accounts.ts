/**
 * Platform accounts: what needs Node rather than SQL, because passwords are hashed with argon2id. Each operation
 * runs in one owner transaction that carries the caller's identity, IP and user agent, so the audit triggers
 * record who did it and from where.
 */
import { hash, verify } from '@node-rs/argon2';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { actingTransaction } from '../db/transactions.ts';
import { CanopyError } from '../errors.ts';

/** Where a request came from: recorded in sessions and in the audit log. */
export interface RequestOrigin {
  ip: string;
  userAgent: string;
}

export interface Identity {
  userId: string;
  sessionId: string;
}

const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 256;
// Algorithm.Argon2id (a const enum, which cannot be imported under verbatimModuleSyntax).
const ARGON2 = { algorithm: 2 } as const;
// Verified when the email is unknown, so that a wrong email costs as long as a wrong password.
const DUMMY_HASH = await hash('canopy-dummy-password', ARGON2);

export class Accounts {
  constructor(
    private readonly owner: pg.Pool,
    private readonly config: Pick<Config, 'signInThrottle' | 'sessionDays'>,
  ) {}

  async register(input: { email: string; password: string; name?: string | null }, origin: RequestOrigin) {
    checkPasswordStrength(input.password, input.email);
    const passwordHash = await hash(input.password, ARGON2);
    return this.transaction(origin, null, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        'select id from app_private.create_user($1, $2, $3)',
        [input.email, passwordHash, input.name ?? null],
      );
      const userId = rows[0].id;
      return { userId, token: await this.createSession(client, userId, origin) };
    });
  }

  async signIn(input: { email: string; password: string }, origin: RequestOrigin) {
    const { maxFailures, windowMinutes, slowAfter, slowMs } = this.config.signInThrottle;
    const failures = await this.recentFailures(input.email, windowMinutes);
    if (failures >= maxFailures) {
      throw new CanopyError(
        'TOO_MANY_ATTEMPTS',
        `Too many failed sign-ins for this email; try again in ${windowMinutes} minutes`,
        429,
      );
    }
    if (failures >= slowAfter) await new Promise((resolve) => setTimeout(resolve, slowMs * (failures - slowAfter + 1)));

    const { rows } = await this.owner.query<{ id: string; password_hash: string }>(
      `select u.id, s.password_hash from app_public.users u join app_private.user_secrets s on s.user_id = u.id
       where u.email = $1`,
      [input.email],
    );
    const user = rows[0];
    const valid = await verify(user?.password_hash ?? DUMMY_HASH, input.password);
    if (!user || !valid) {
      await this.transaction(origin, null, async (client) => {
        await client.query(
          `insert into app_private.sign_in_failures as f (email, failures, first_failure_at) values ($1, 1, now())
           on conflict (email) do update set
             failures = case when f.first_failure_at > now() - make_interval(mins => $2) then f.failures + 1 else 1 end,
             first_failure_at = case when f.first_failure_at > now() - make_interval(mins => $2)
                                     then f.first_failure_at else now() end`,
          [input.email, windowMinutes],
        );
        if (user) {
          await client.query(`select app_private.audit('user.sign_in_failed', 'user', $1::text, null, $1::uuid)`, [user.id]);
        }
      });
      throw new CanopyError('WRONG_CREDENTIALS', 'Wrong email or password', 401);
    }
    return this.transaction(origin, user.id, async (client) => {
      await client.query('delete from app_private.sign_in_failures where email = $1', [input.email]);
      return { userId: user.id, token: await this.createSession(client, user.id, origin) };
    });
  }

  async signOut(identity: Identity, origin: RequestOrigin): Promise<void> {
    await this.transaction(origin, identity.userId, (client) =>
      client.query('delete from app_public.sessions where id = $1', [identity.sessionId]),
    );
  }

  /** Changes the password and ends every other session of the user. */
  async changePassword(identity: Identity, input: { oldPassword: string; newPassword: string }, origin: RequestOrigin) {
    const { rows } = await this.owner.query<{ email: string; password_hash: string }>(
      `select u.email, s.password_hash from app_public.users u join app_private.user_secrets s on s.user_id = u.id
       where u.id = $1`,
      [identity.userId],
    );
    if (!rows[0] || !(await verify(rows[0].password_hash, input.oldPassword))) {
      throw new CanopyError('WRONG_CREDENTIALS', 'The current password is wrong', 401);
    }
    checkPasswordStrength(input.newPassword, rows[0].email);
    const passwordHash = await hash(input.newPassword, ARGON2);
    await this.transaction(origin, identity.userId, async (client) => {
      await client.query(
        'update app_private.user_secrets set password_hash = $2, password_changed_at = now() where user_id = $1',
        [identity.userId, passwordHash],
      );
      await client.query('delete from app_public.sessions where user_id = $1 and id <> $2', [
        identity.userId,
        identity.sessionId,
      ]);
      await client.query(`select app_private.audit('user.password_changed', 'user', $1::text, null, $1::uuid)`, [
        identity.userId,
      ]);
    });
  }

  /** The identity behind a session or personal access token, or undefined when it is unknown or expired. */
  async authenticate(token: string): Promise<Identity | undefined> {
    if (token.length > 200) return undefined;
    const { rows } = await this.owner.query<{ user_id: string; session_id: string }>(
      'select user_id, session_id from app_private.authenticate($1)',
      [token],
    );
    return rows[0] && { userId: rows[0].user_id, sessionId: rows[0].session_id };
  }

  private async createSession(client: pg.PoolClient, userId: string, origin: RequestOrigin): Promise<string> {
    const { rows } = await client.query<{ token: string }>(
      `select app_private.create_session($1, make_interval(days => $2), $3, $4) as token`,
      [userId, this.config.sessionDays, origin.ip, origin.userAgent],
    );
    return rows[0].token;
  }

  private async recentFailures(email: string, windowMinutes: number): Promise<number> {
    const { rows } = await this.owner.query<{ failures: number }>(
      `select failures from app_private.sign_in_failures
       where email = $1 and first_failure_at > now() - make_interval(mins => $2)`,
      [email, windowMinutes],
    );
    return rows[0]?.failures ?? 0;
  }

  private transaction<T>(origin: RequestOrigin, userId: string | null, work: (client: pg.PoolClient) => Promise<T>) {
    return actingTransaction(this.owner, { userId, ...origin }, work);
  }
}

/**
 * A password must be 10 to 256 characters, use at least 5 different characters, and not contain the email's
 * name part. Long enough beats clever rules; the cap keeps hashing cheap for the server.
 */
export function checkPasswordStrength(password: string, email: string): void {
  const reasons: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) reasons.push(`at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) reasons.push(`at most ${MAX_PASSWORD_LENGTH} characters`);
  if (new Set(password).size < 5) reasons.push('at least 5 different characters');
  const name = email.split('@')[0]?.toLowerCase() ?? '';
  if (name.length >= 3 && password.toLowerCase().includes(name)) reasons.push('not your email address');
  if (reasons.length > 0) {
    throw new CanopyError('WEAK_PASSWORD', `The password must have ${reasons.join(', ')}`, 400);
  }
}
