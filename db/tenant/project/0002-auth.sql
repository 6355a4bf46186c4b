-- A project's end users (its /auth/v1 API, GoTrue's). Only the project's service role touches these tables: the
-- server's auth routes run as it. End users (:AUTHENTICATED) and the anon key (:ANON) never reach the auth schema;
-- they learn who they are from the JWT the auth routes sign. Secrets are kept as hashes only: passwords argon2id,
-- refresh tokens and one-time tokens SHA-256.
revoke all on schema :AUTH_SCHEMA from public, :ANON, :AUTHENTICATED;

-- One row: the project's auth settings, changed in SQL until the console has a page for them.
create table if not exists :AUTH_SCHEMA.settings (
  id boolean primary key default true check (id),
  enable_signup boolean not null default true,
  -- Whether a new address must be confirmed (by the mailed link or code) before its user may sign in.
  confirm_email boolean not null default false,
  access_token_ttl integer not null default 3600 check (access_token_ttl between 30 and 604800),
  min_password_length integer not null default 6 check (min_password_length between 6 and 256),
  -- Where mailed links may send people back to: exact URLs, or globs (`*` within a path segment, `**` across).
  redirect_urls text[] not null default '{}',
  -- Where mailed links go when the app names no allowed redirect.
  site_url text
);
insert into :AUTH_SCHEMA.settings default values on conflict do nothing;

create table if not exists :AUTH_SCHEMA.users (
  id uuid primary key default gen_random_uuid(),
  -- Kept as given; unique whatever its case.
  email text not null constraint users_email_valid check (length(email) <= 254 and email like '_%@_%'),
  -- argon2id; null for users who only ever sign in with a mailed code or link.
  password_hash text,
  email_confirmed_at timestamptz,
  confirmation_sent_at timestamptz,
  recovery_sent_at timestamptz,
  -- An address change waiting for its confirmation.
  email_change text,
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  -- Only the service role (admin API) writes app_metadata; users write their user_metadata.
  app_metadata jsonb not null default '{}',
  user_metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index if not exists users_email_key on :AUTH_SCHEMA.users (lower(email));

-- A signed-in device. Its refresh tokens are one family: reusing a rotated one ends the session.
create table if not exists :AUTH_SCHEMA.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references :AUTH_SCHEMA.users on delete cascade,
  -- How the session began ('password', 'otp', …): the access token's amr.
  method text not null,
  user_agent text,
  ip inet,
  created_at timestamptz not null default now(),
  refreshed_at timestamptz
);
create index if not exists sessions_user_id_idx on :AUTH_SCHEMA.sessions (user_id);

create table if not exists :AUTH_SCHEMA.refresh_tokens (
  id bigint generated always as identity primary key,
  token_hash bytea not null unique,
  session_id uuid not null references :AUTH_SCHEMA.sessions on delete cascade,
  -- The token this one replaced.
  parent_id bigint references :AUTH_SCHEMA.refresh_tokens on delete cascade,
  -- Set when the token has been exchanged for the next one.
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
create index if not exists refresh_tokens_session_id_idx on :AUTH_SCHEMA.refresh_tokens (session_id);
create index if not exists refresh_tokens_parent_id_idx on :AUTH_SCHEMA.refresh_tokens (parent_id);

-- Mailed one-time tokens: each has a link secret and a 6-digit code; either works once, within the hour. A user has
-- at most one live token of each kind (issuing again replaces it).
create table if not exists :AUTH_SCHEMA.one_time_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references :AUTH_SCHEMA.users on delete cascade,
  kind text not null check (kind in ('confirmation', 'recovery', 'magiclink', 'email_change')),
  -- The address it was sent to (for an email change, the new one).
  email text not null,
  token_hash bytea not null unique,
  code_hash bytea not null,
  -- Wrong codes tried for this address; the token dies after a few, so 6 digits cannot be guessed.
  failed_attempts integer not null default 0,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  unique (user_id, kind)
);
create index if not exists one_time_tokens_email_idx on :AUTH_SCHEMA.one_time_tokens (lower(email));

-- Failed password sign-ins per address, for throttling (whether or not the address has a user).
create table if not exists :AUTH_SCHEMA.sign_in_failures (
  email text primary key,
  failures integer not null,
  first_failure_at timestamptz not null
);

-- The service role bypasses RLS; enabled anyway so that a grant added by mistake exposes no rows.
alter table :AUTH_SCHEMA.settings enable row level security;
alter table :AUTH_SCHEMA.users enable row level security;
alter table :AUTH_SCHEMA.sessions enable row level security;
alter table :AUTH_SCHEMA.refresh_tokens enable row level security;
alter table :AUTH_SCHEMA.one_time_tokens enable row level security;
alter table :AUTH_SCHEMA.sign_in_failures enable row level security;

revoke all on all tables in schema :AUTH_SCHEMA from public, :ANON, :AUTHENTICATED;
grant select on :AUTH_SCHEMA.settings to :SERVICE;
grant select, insert, update, delete on
  :AUTH_SCHEMA.users, :AUTH_SCHEMA.sessions, :AUTH_SCHEMA.refresh_tokens, :AUTH_SCHEMA.one_time_tokens,
  :AUTH_SCHEMA.sign_in_failures
to :SERVICE;
