-- Announcements to the servers (live tables' row changes, schema changes) go over NOTIFY, and any login of this
-- database may LISTEN and NOTIFY on any channel: a project's DBA could read another project's row keys as they
-- change, or tell its subscribers of changes that never happened (a deletion; a schema change, again and again, that
-- makes its API rebuild). So every announcement is sealed with a key that only the superuser and the organization's
-- authenticator (the servers' LISTEN login) can read:
--
--   base64( HMAC-SHA-256(mac key, length of channel || channel || iv || ciphertext) || iv || AES-256-CBC(encryption
--   key, iv, envelope) )
--
-- where the envelope is {"channel", "at": seconds since the epoch, "nonce": a uuid, "message": the announcement}; the
-- servers refuse one that is stale or heard before (a replay). server/src/projects/announcements.ts opens them.
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

-- Seals and sends. Owned by the organization's authenticator and executable by nothing else: only the two functions
-- below, which run as that owner, call it. Not a superuser's: nothing that runs inside them can become one.
create or replace function canopy_private.announce(channel text, message text) returns void as $$
declare
  secret bytea := (select key from canopy_private.announcement_key);
  iv bytea := canopy_private.gen_random_bytes(16);
  envelope text := json_build_object('channel', channel, 'at', extract(epoch from clock_timestamp()),
                                     'nonce', gen_random_uuid(), 'message', message);
  sealed bytea := iv || canopy_private.encrypt_iv(convert_to(envelope, 'UTF8'), substring(secret from 1 for 32), iv, 'aes');
  -- The channel's length first: no other channel and ciphertext can make the same bytes.
  signed bytea := int4send(octet_length(convert_to(channel, 'UTF8'))) || convert_to(channel, 'UTF8') || sealed;
  payload text := translate(encode(canopy_private.hmac(signed, substring(secret from 33 for 32), 'sha256') || sealed, 'base64'), E'\n', '');
begin
  -- NOTIFY takes under 8,000 bytes. A change whose announcement would not fit (a primary key of some kilobytes) is
  -- not announced, rather than failing the statement that made it.
  if octet_length(payload) >= 8000 then
    raise warning 'Canopy: the announcement on % is too long to send (% bytes) and was dropped', channel, octet_length(payload);
    return;
  end if;
  perform pg_notify(channel, payload);
end;
$$ language plpgsql volatile set search_path to pg_catalog, pg_temp;
alter function canopy_private.announce(text, text) owner to :AUTHENTICATOR;
revoke all on function canopy_private.announce(text, text) from public;

-- A change of a row of `target`, announced on its channel: only by the target's own project (a session of its owner
-- or of its APIs' authenticator, whose names carry the ref, as its schemas' do) or the platform (a superuser). So a
-- project can announce on its own tables' channels only, even by calling this directly.
create or replace function canopy.announce_row_change(target oid, message text) returns void as $$
declare
  project text := (select substring(n.nspname from '^(p_[a-z]{20})(_|$)') from pg_class c
                     join pg_namespace n on n.oid = c.relnamespace where c.oid = target);
begin
  if not (coalesce((select rolsuper from pg_roles where rolname = session_user), false)
          or coalesce(session_user::text in (project || '_owner', project || '_authenticator'), false)) then
    raise exception 'Only the project of table % may announce its changes', target using errcode = '42501';
  end if;
  perform canopy_private.announce('canopy:live:' || target, message);
end;
$$ language plpgsql volatile security definer set search_path to pg_catalog, pg_temp;
alter function canopy.announce_row_change(oid, text) owner to :AUTHENTICATOR;

-- As in 0004, sealed. It runs as the writer, not as a definer: making a row's JSON may run casts that the row's
-- project defined (`create cast (my_type as json)`), which must never run with anyone else's rights.
create or replace function canopy.tg__announce_row_change() returns trigger as $$
declare
  row_data jsonb := to_jsonb(case when tg_op = 'DELETE' then old else new end);
begin
  perform canopy.announce_row_change(tg_relid, json_build_object(
    'op', tg_op,
    'key', (select jsonb_object_agg(k, row_data -> k) from unnest(tg_argv) as k)
  )::text);
  return null;
end;
$$ language plpgsql set search_path to pg_catalog, pg_temp;

-- As in 0002, sealed. A definer (the authenticator): it reads only the event's catalog rows, and it cannot be called
-- but by the event triggers, which announce whatever DDL touched, whoever ran it.
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
alter function canopy.tg__announce_schema_change() owner to :AUTHENTICATOR;

-- canopy.enable_live and disable_live (0004) still send their own announcement unsealed, which the servers now ignore:
-- the trigger they create or drop is DDL in the project's schema, which the event trigger above announces, sealed.
