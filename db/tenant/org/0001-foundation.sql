-- Every organization database: nobody but its own roles may do anything in it, and the `canopy` schema gives every
-- project the helpers its RLS policies are written with (as `auth.uid()` is in Supabase).
revoke all on schema public from public;

create schema if not exists canopy;
grant usage on schema canopy to public;

-- The verified JWT claims of the current API request ('{}' outside one).
create or replace function canopy.jwt() returns jsonb as $$
  select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb;
$$ language sql stable;

-- The signed-in end user's id, or null (anon key, service key, SQL).
create or replace function canopy.uid() returns uuid as $$
  select nullif(canopy.jwt() ->> 'sub', '')::uuid;
$$ language sql stable;

-- 'anon', 'authenticated' or 'service_role'.
create or replace function canopy.role() returns text as $$
  select canopy.jwt() ->> 'role';
$$ language sql stable;
