-- PKCE (GoTrue's flow for @supabase/ssr and supabase-js with flowType 'pkce'): the app sends a code challenge when it
-- asks for a mail; the mailed link then brings the browser back with a short-lived one-time code instead of the
-- session, and only the app that holds the challenge's verifier can exchange the code (POST /token?grant_type=pkce).
alter table :AUTH_SCHEMA.one_time_tokens
  add column if not exists code_challenge text,
  add column if not exists code_challenge_method text
    constraint one_time_tokens_code_challenge_method_valid check (code_challenge_method in ('s256', 'plain'));

create table if not exists :AUTH_SCHEMA.auth_codes (
  code_hash bytea primary key,
  user_id uuid not null references :AUTH_SCHEMA.users on delete cascade,
  code_challenge text not null,
  code_challenge_method text not null constraint auth_codes_code_challenge_method_valid
    check (code_challenge_method in ('s256', 'plain')),
  expires_at timestamptz not null
);
create index if not exists auth_codes_user_id_idx on :AUTH_SCHEMA.auth_codes (user_id);
alter table :AUTH_SCHEMA.auth_codes enable row level security;
revoke all on :AUTH_SCHEMA.auth_codes from public, :ANON, :AUTHENTICATED;
grant select, insert, update, delete on :AUTH_SCHEMA.auth_codes to :SERVICE;
