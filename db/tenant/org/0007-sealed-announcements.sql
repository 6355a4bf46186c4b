-- Announcements to the servers (live tables' row changes, schema changes) go over NOTIFY, and any login of this
-- database may LISTEN and NOTIFY on any channel: a project's DBA could read another project's row keys as they
-- change, or tell its subscribers of changes that never happened (a deletion; a schema change, again and again, that
-- makes its API rebuild). So every announcement is sealed with a key that only the superuser and the organization's
-- authenticator (the servers' LISTEN login) can read:
--
--   base64( HMAC-SHA-256(mac key, channel || iv || ciphertext) || iv || AES-256-CBC(encryption key, iv, envelope) )
--
-- where the envelope is {"at": seconds since the epoch, "nonce": a uuid, "message": the announcement}; the servers
-- refuse one that is stale or heard before (a replay). server/src/projects/announcements.ts opens them.
create schema if not exists canopy_private;
revoke all on schema canopy_private from public;
grant usage on schema canopy_private to :AUTHENTICATOR;
create extension if not exists pgcrypto with schema canopy_private;

-- One row: 32 bytes of encryption key, then 32 bytes of MAC key.
create table if not exists canopy_private.announcement_key (
  only_row boolean primary key default true check (only_row),
  key bytea not null default canopy_private.gen_random_bytes(64)
);
insert into canopy_private.announcement_key default values on conflict do nothing;
revoke all on canopy_private.announcement_key from public;
grant select on canopy_private.announcement_key to :AUTHENTICATOR;

-- Only the functions below (their definer's) may seal: a tenant who could would forge announcements.
create or replace function canopy_private.announce(channel text, message text) returns void as $$
declare
  secret bytea := (select key from canopy_private.announcement_key);
  iv bytea := canopy_private.gen_random_bytes(16);
  envelope text := json_build_object('at', extract(epoch from clock_timestamp()), 'nonce', gen_random_uuid(), 'message', message);
  sealed bytea := iv || canopy_private.encrypt_iv(convert_to(envelope, 'UTF8'), substring(secret from 1 for 32), iv, 'aes');
  mac bytea := canopy_private.hmac(convert_to(channel, 'UTF8') || sealed, substring(secret from 33 for 32), 'sha256');
begin
  perform pg_notify(channel, translate(encode(mac || sealed, 'base64'), E'\n', ''));
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, pg_temp;
revoke all on function canopy_private.announce(text, text) from public;

-- As in 0004, sealed. A tenant may attach this trigger to its own tables only, which announces on their channels.
create or replace function canopy.tg__announce_row_change() returns trigger as $$
declare
  row_data jsonb := to_jsonb(case when tg_op = 'DELETE' then old else new end);
begin
  perform canopy_private.announce('canopy:live:' || tg_relid, json_build_object(
    'op', tg_op,
    'key', (select jsonb_object_agg(k, row_data -> k) from unnest(tg_argv) as k)
  )::text);
  return null;
end;
$$ language plpgsql security definer set search_path to pg_catalog, pg_temp;

-- As in 0002, sealed.
create or replace function canopy.tg__announce_schema_change() returns event_trigger as $$
declare
  schemas text;
begin
  if tg_event = 'sql_drop' then
    select string_agg(distinct coalesce(schema_name, object_name), ',') into schemas from pg_event_trigger_dropped_objects()
      where schema_name like 'p\_%' or (object_type = 'schema' and object_name like 'p\_%');
  else
    select string_agg(distinct schema_name, ',') into schemas from pg_event_trigger_ddl_commands()
      where schema_name like 'p\_%';
  end if;
  if schemas is not null then
    perform canopy_private.announce('canopy:schema', schemas);
  end if;
end;
$$ language plpgsql security definer set search_path to pg_catalog, pg_temp;

-- canopy.enable_live and disable_live (0004) still send their own announcement unsealed, which the servers now ignore:
-- the trigger they create or drop is DDL in the project's schema, which the event trigger above announces, sealed.
