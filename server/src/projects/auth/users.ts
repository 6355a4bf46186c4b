/** End users in the project's auth schema: the rows, and the changes every route shares. */
import type pg from 'pg';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string | null;
  email_confirmed_at: Date | null;
  confirmation_sent_at: Date | null;
  recovery_sent_at: Date | null;
  email_change: string | null;
  email_change_sent_at: Date | null;
  last_sign_in_at: Date | null;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

/** What GoTrue keeps in app_metadata for email users; callers' own keys are merged over it, never replacing it. */
const EMAIL_PROVIDER = { provider: 'email', providers: ['email'] };

export async function userByEmail(client: pg.PoolClient, schema: string, email: string): Promise<UserRow | undefined> {
  const { rows } = await client.query<UserRow>(`select * from ${schema}.users where lower(email) = lower($1)`, [email]);
  return rows[0];
}

export async function userById(client: pg.PoolClient, schema: string, id: string): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await client.query<UserRow>(`select * from ${schema}.users where id = $1`, [id]);
  return rows[0];
}

export interface NewUser {
  email: string;
  passwordHash: string | null;
  confirmed: boolean;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
}

/** Inserts a user; undefined when the address is taken (whatever its case). */
export async function insertUser(client: pg.PoolClient, schema: string, user: NewUser): Promise<UserRow | undefined> {
  const { rows } = await client.query<UserRow>(
    `insert into ${schema}.users (email, password_hash, email_confirmed_at, user_metadata, app_metadata)
     values ($1, $2, case when $3 then now() end, $4::jsonb, $5::jsonb)
     on conflict ((lower(email))) do nothing
     returning *`,
    [
      user.email,
      user.passwordHash,
      user.confirmed,
      user.userMetadata ?? {},
      { ...user.appMetadata, ...EMAIL_PROVIDER },
    ],
  );
  return rows[0];
}

/** Inserts a user, or finds the one a concurrent request created with the address meanwhile. */
export async function insertOrFindUser(client: pg.PoolClient, schema: string, user: NewUser): Promise<UserRow> {
  return (await insertUser(client, schema, user)) ?? (await userByEmail(client, schema, user.email))!;
}

export interface UserChanges {
  email?: string;
  passwordHash?: string;
  confirmEmail?: boolean;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
}

/**
 * Applies changes; metadata is merged into what is there (as GoTrue does), and app_metadata's provider keys stay.
 * Throws the 23505 unique violation when the new address is taken.
 */
export async function updateUser(client: pg.PoolClient, schema: string, id: string, changes: UserChanges): Promise<UserRow> {
  const { rows } = await client.query<UserRow>(
    `update ${schema}.users set
       email = coalesce($2, email),
       email_change = case when $2::text is null then email_change end,
       email_change_sent_at = case when $2::text is null then email_change_sent_at end,
       password_hash = coalesce($3, password_hash),
       email_confirmed_at = case when $4 then coalesce(email_confirmed_at, now()) else email_confirmed_at end,
       user_metadata = user_metadata || coalesce($5::jsonb, '{}'),
       app_metadata = app_metadata || coalesce($6::jsonb, '{}') || $7::jsonb,
       updated_at = now()
     where id = $1
     returning *`,
    [
      id,
      changes.email ?? null,
      changes.passwordHash ?? null,
      changes.confirmEmail ?? false,
      changes.userMetadata ?? null,
      changes.appMetadata ?? null,
      EMAIL_PROVIDER,
    ],
  );
  return rows[0];
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
