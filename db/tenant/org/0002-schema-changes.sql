-- Project APIs are built from their schemas: every DDL that touches a project's schemas is announced on
-- `canopy:schema` (with the schemas' names), and the servers rebuild those projects' APIs on their next request.
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
    perform pg_notify('canopy:schema', schemas);
  end if;
end;
$$ language plpgsql;

drop event trigger if exists canopy_announce_schema_change;
create event trigger canopy_announce_schema_change on ddl_command_end
  execute function canopy.tg__announce_schema_change();
drop event trigger if exists canopy_announce_schema_drop;
create event trigger canopy_announce_schema_drop on sql_drop
  execute function canopy.tg__announce_schema_change();
