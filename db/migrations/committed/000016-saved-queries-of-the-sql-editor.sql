--! Previous: sha1:5bc1204d333127fdc37f49f7f9eb64b6aa7578be
--! Hash: sha1:b0ccd9b6ff89242085a26f86b7b9a7bb013f303b
--! Message: Saved queries of the SQL editor

/*
 * Saved queries of the console's SQL editor: each belongs to one person and one project, and only that person sees
 * it (db/policies/080-project-sql-queries.sql), as long as they may see the project.
 */
drop table if exists app_public.project_sql_queries;
create table app_public.project_sql_queries (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references app_public.projects on delete cascade,
  user_id uuid not null default app_public.current_user_id() references app_public.users on delete cascade,
  name text not null
    constraint project_sql_queries_name_valid check (length(name) between 1 and 100 and name !~ '[[:cntrl:]]'),
  sql text not null
    constraint project_sql_queries_sql_valid check (octet_length(sql) <= 102400),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index on app_public.project_sql_queries (user_id, project_id);
create index on app_public.project_sql_queries (project_id);
comment on table app_public.project_sql_queries is 'A query saved in the SQL editor, visible only to the person who saved it.';
comment on column app_public.project_sql_queries.user_id is 'Who saved it: always the signed-in user.';
comment on column app_public.project_sql_queries.sql is 'The SQL text, up to 100 KiB.';
-- The editor lists a person's queries of one project (the index above) by name or by when they changed.
comment on column app_public.project_sql_queries.name is E'@behavior +orderBy\nShown in the list of saved queries.';
comment on column app_public.project_sql_queries.created_at is '@behavior +orderBy';
comment on column app_public.project_sql_queries.updated_at is '@behavior +orderBy';
create trigger _100_timestamps before insert or update on app_public.project_sql_queries
  for each row execute procedure app_private.tg__timestamps();
