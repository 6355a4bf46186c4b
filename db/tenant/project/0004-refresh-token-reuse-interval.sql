-- Two tabs of one app refresh the same token at the same moment; the one that comes second must not end the session
-- as if the token had been stolen. Within this many seconds of its exchange a refresh token may be exchanged again
-- (GoTrue's GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL, 10 by default); later, reusing it ends the session.
alter table :AUTH_SCHEMA.settings
  add column if not exists refresh_token_reuse_interval integer not null default 10
    constraint settings_refresh_token_reuse_interval_valid check (refresh_token_reuse_interval between 0 and 3600);
