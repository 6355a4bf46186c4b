-- Live tables: a project's DBA marks a table live with `select canopy.enable_live('p_<ref>.todos')`; every insert,
-- update and delete is then announced on `canopy:live:<table oid>` with the row's primary key, and the project's
-- GraphQL API offers a `<table>Changed` subscription (the row itself is read again under each subscriber's RLS).
create table if not exists canopy.live_tables (
  table_oid oid primary key,
  schema_name text not null,
  table_name text not null,
  key_columns text[] not null
);
grant select on canopy.live_tables to public;

create or replace function canopy.tg__announce_row_change() returns trigger as $$
declare
  row_data jsonb := to_jsonb(case when tg_op = 'DELETE' then old else new end);
begin
  perform pg_notify('canopy:live:' || tg_relid, json_build_object(
    'op', tg_op,
    'key', (select jsonb_object_agg(k, row_data -> k) from unnest(tg_argv) as k)
  )::text);
  return null;
end;
$$ language plpgsql;

create or replace function canopy.enable_live(target regclass) returns void as $$
declare
  keys text[];
begin
  -- Only the table's owner (a project's DBA) may, though this runs as a superuser to record it.
  if not pg_has_role(session_user, (select relowner from pg_class where oid = target), 'member') then
    raise exception 'Only the owner of % may make it live', target using errcode = '42501';
  end if;
  select array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum)) into keys
    from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = target and i.indisprimary;
  if keys is null then
    raise exception 'A live table needs a primary key: % has none', target using errcode = '55000';
  end if;
  execute format(
    'create or replace trigger canopy_live after insert or update or delete on %s for each row execute function canopy.tg__announce_row_change(%s)',
    target, (select string_agg(quote_literal(k), ', ') from unnest(keys) as k)
  );
  insert into canopy.live_tables (table_oid, schema_name, table_name, key_columns)
    select target, n.nspname, c.relname, keys from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.oid = target
    on conflict (table_oid) do update set key_columns = excluded.key_columns;
  -- The project's API rebuilds with the new subscription.
  perform pg_notify('canopy:schema', (select nspname from pg_namespace n join pg_class c on c.relnamespace = n.oid where c.oid = target));
end;
$$ language plpgsql security definer set search_path to pg_catalog, pg_temp;

create or replace function canopy.disable_live(target regclass) returns void as $$
begin
  if not pg_has_role(session_user, (select relowner from pg_class where oid = target), 'member') then
    raise exception 'Only the owner of % may change it', target using errcode = '42501';
  end if;
  execute format('drop trigger if exists canopy_live on %s', target);
  delete from canopy.live_tables where table_oid = target;
  perform pg_notify('canopy:schema', (select nspname from pg_namespace n join pg_class c on c.relnamespace = n.oid where c.oid = target));
end;
$$ language plpgsql security definer set search_path to pg_catalog, pg_temp;
