-- A project's schemas. :SCHEMA is the project's own (owned by its DBA login, exposed by its GraphQL API); the
-- platform-managed parts live beside it (:AUTH_SCHEMA for end users, :STORAGE_SCHEMA for storage metadata).
-- As in Supabase, the API roles get privileges on what the DBA creates and row level security decides the rows.
create schema if not exists :SCHEMA authorization :OWNER;
grant usage on schema :SCHEMA to :ANON, :AUTHENTICATED, :SERVICE;
alter default privileges for role :OWNER in schema :SCHEMA
  grant select, insert, update, delete on tables to :ANON, :AUTHENTICATED, :SERVICE;
alter default privileges for role :OWNER in schema :SCHEMA
  grant usage, select on sequences to :ANON, :AUTHENTICATED, :SERVICE;
alter default privileges for role :OWNER in schema :SCHEMA
  grant execute on functions to :ANON, :AUTHENTICATED, :SERVICE;

create schema if not exists :AUTH_SCHEMA;
grant usage on schema :AUTH_SCHEMA to :SERVICE;
create schema if not exists :STORAGE_SCHEMA;
grant usage on schema :STORAGE_SCHEMA to :SERVICE;
