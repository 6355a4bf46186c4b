--! Previous: sha1:5629d45348c905de433add444e0903bec7b72520
--! Hash: sha1:45bbec2c455389af97e072e251cf6fa6140bdce1
--! Message: Platform accounts: users, sessions, personal access tokens

/*
 * Platform accounts. Passwords are hashed with argon2id by the server (Postgres has no argon2), so the functions
 * that create accounts and sessions take hashes and are called only by the server's owner connection.
 */
create table app_public.users (
  id uuid primary key default gen_random_uuid(),
  email citext not null unique
    constraint users_email_valid check (length(email) <= 254 and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  name text
    constraint users_name_valid check (length(name) between 1 and 100 and name !~ '[[:cntrl:]]'),
  is_platform_admin boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table app_public.users is E'@behavior -insert -delete\nA platform account.';
comment on column app_public.users.is_platform_admin is
  'Can see every organization and user. Set by the operator from the command line, never through the API.';
create trigger _100_timestamps before insert or update on app_public.users
  for each row execute procedure app_private.tg__timestamps();
create trigger _900_audit after insert or update or delete on app_public.users
  for each row execute procedure app_private.tg__audit('user', '', 'id');

create function app_public.current_user() returns app_public.users as $$
  select * from app_public.users where id = app_public.current_user_id();
$$ language sql stable;
comment on function app_public.current_user() is 'The signed-in platform user, or null.';

create function app_hidden.current_user_is_platform_admin() returns boolean as $$
  select coalesce((select is_platform_admin from app_public.users where id = app_public.current_user_id()), false);
$$ language sql stable security definer set search_path to pg_catalog, public, pg_temp;

create table app_private.user_secrets (
  user_id uuid primary key references app_public.users on delete cascade,
  password_hash text not null,
  password_changed_at timestamptz not null default now()
);

/*
 * Sessions: a browser's (cookie) or a script's (bearer). Only a SHA-256 of the token is kept; the token is shown
 * once, at sign-in.
 */
create table app_public.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users on delete cascade,
  token_hash bytea not null unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ip inet,
  user_agent text
);
create index on app_public.sessions (user_id);
comment on table app_public.sessions is E'@behavior -insert -update\nA signed-in browser or script.';
comment on column app_public.sessions.token_hash is '@behavior -*';
create trigger _900_audit after insert or delete on app_public.sessions
  for each row execute procedure app_private.tg__audit('session', '', 'user_id');

/* Personal access tokens: named, optionally expiring, shown once, revocable; for scripts. */
create table app_public.personal_access_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users on delete cascade,
  name text not null
    constraint personal_access_tokens_name_valid check (length(name) between 1 and 100 and name !~ '[[:cntrl:]]'),
  token_hash bytea not null unique,
  token_prefix text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  expires_at timestamptz
);
create index on app_public.personal_access_tokens (user_id);
comment on table app_public.personal_access_tokens is
  E'@behavior -insert -update\nA token for scripts, acting as its user.';
comment on column app_public.personal_access_tokens.token_hash is '@behavior -*';
comment on column app_public.personal_access_tokens.token_prefix is 'The first characters, to tell tokens apart.';
create trigger _900_audit after insert or delete on app_public.personal_access_tokens
  for each row execute procedure app_private.tg__audit('personal_access_token', '', 'user_id');

/* Failed sign-ins per email (existing or not, so that the answer tells nothing), to slow down and then refuse. */
create table app_private.sign_in_failures (
  email citext primary key,
  failures int not null,
  first_failure_at timestamptz not null
);

create function app_private.create_user(email text, password_hash text, name text) returns app_public.users as $$
declare
  new_user app_public.users;
begin
  insert into app_public.users (email, name) values (email, name) returning * into new_user;
  insert into app_private.user_secrets (user_id, password_hash) values (new_user.id, password_hash);
  return new_user;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

/* Creates a session for a user and returns its token: the only time the token exists outside the client. */
create function app_private.create_session(user_id uuid, lifetime interval, ip inet, user_agent text) returns text as $$
declare
  token text := 'cnp_s_' || app_private.new_token();
begin
  insert into app_public.sessions (user_id, token_hash, expires_at, ip, user_agent)
    values (user_id, app_private.hash_token(token), now() + lifetime, ip, left(user_agent, 512));
  return token;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

/*
 * Resolves a bearer or cookie token to its user. Expired credentials resolve to nothing. last_used_at is written
 * at most once a minute, so that reading does not become a write per request.
 */
create function app_private.authenticate(token text)
returns table (user_id uuid, session_id uuid) as $$
declare
  digest bytea := app_private.hash_token(token);
begin
  if token like 'cnp_s_%' then
    update app_public.sessions s set last_used_at = now()
      where s.token_hash = digest and s.expires_at > now() and s.last_used_at < now() - interval '1 minute';
    return query select s.user_id, s.id from app_public.sessions s
      where s.token_hash = digest and s.expires_at > now();
  elsif token like 'cnp_pat_%' then
    update app_public.personal_access_tokens t set last_used_at = now()
      where t.token_hash = digest and (t.expires_at is null or t.expires_at > now())
        and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute');
    return query select t.user_id, t.id from app_public.personal_access_tokens t
      where t.token_hash = digest and (t.expires_at is null or t.expires_at > now());
  end if;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;

create function app_public.create_personal_access_token(name text, expires_at timestamptz default null)
returns text as $$
declare
  token text := 'cnp_pat_' || app_private.new_token();
begin
  if app_public.current_user_id() is null then
    raise exception 'You must sign in first' using errcode = 'LOGIN';
  end if;
  if expires_at is not null and expires_at <= now() then
    raise exception 'The expiry must be in the future' using errcode = 'PASTX';
  end if;
  insert into app_public.personal_access_tokens (user_id, name, token_hash, token_prefix, expires_at)
    values (app_public.current_user_id(), name, app_private.hash_token(token), left(token, 12), expires_at);
  return token;
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, public, pg_temp;
comment on function app_public.create_personal_access_token(text, timestamptz) is
  'Creates a personal access token and returns it. It is shown this once: only its hash is kept.';
