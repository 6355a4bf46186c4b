-- A project's storage (its /storage/v1 API, Supabase Storage's): buckets and the metadata of their objects. The bytes
-- live in the project's one S3 bucket, under keys made from object ids (never from names people chose). Every
-- request runs as its caller, so row level security decides what each may do: as in Supabase, nobody but the service
-- role may do anything until the project's developers write policies (as the project's DBA, which owns these
-- tables), except reading the objects of public buckets.
revoke all on schema :STORAGE_SCHEMA from public;
grant usage on schema :STORAGE_SCHEMA to :ANON, :AUTHENTICATED, :SERVICE, :OWNER;

create table if not exists :STORAGE_SCHEMA.buckets (
  -- A bucket's id is its name.
  id text primary key constraint buckets_id_valid check (id ~ '^[A-Za-z0-9_.-]{1,100}$' and id not in ('.', '..')),
  public boolean not null default false,
  -- Bytes; null: only the platform's own limit.
  file_size_limit bigint constraint buckets_file_size_limit_valid check (file_size_limit > 0),
  -- MIME types (`image/png`) or families (`image/*`); null: any.
  allowed_mime_types text[],
  owner uuid default canopy.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists :STORAGE_SCHEMA.objects (
  -- Also the object's S3 key.
  id uuid primary key default gen_random_uuid(),
  bucket_id text not null references :STORAGE_SCHEMA.buckets on delete restrict,
  -- The object's path in its bucket: `folder/file.png`.
  name text not null constraint objects_name_valid check (
    octet_length(name) between 1 and 1023 and name !~ '[\x01-\x1f\x7f]' and name !~ '(^|/)\.{0,2}(/|$)'
  ),
  owner uuid default canopy.uid(),
  size bigint not null check (size >= 0),
  mime_type text,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_accessed_at timestamptz not null default now(),
  constraint objects_bucket_id_name_key unique (bucket_id, name)
);
create index if not exists objects_bucket_id_name_pattern_idx on :STORAGE_SCHEMA.objects (bucket_id, name text_pattern_ops);

-- The project's DBA writes the storage policies, so it owns the tables (as `postgres` may in Supabase).
alter table :STORAGE_SCHEMA.buckets owner to :OWNER;
alter table :STORAGE_SCHEMA.objects owner to :OWNER;
alter table :STORAGE_SCHEMA.buckets enable row level security;
alter table :STORAGE_SCHEMA.objects enable row level security;

-- The public buckets, for the one default policy (buckets' own RLS would hide them from anon).
create or replace function :STORAGE_SCHEMA.public_bucket_ids() returns setof text as $$
  select id from :STORAGE_SCHEMA.buckets where public;
$$ language sql stable security definer set search_path to pg_catalog, public, pg_temp;
revoke all on function :STORAGE_SCHEMA.public_bucket_ids() from public;
grant execute on function :STORAGE_SCHEMA.public_bucket_ids() to :ANON, :AUTHENTICATED, :SERVICE, :OWNER;

drop policy if exists select_public_bucket_objects on :STORAGE_SCHEMA.objects;
create policy select_public_bucket_objects on :STORAGE_SCHEMA.objects for select
  using (bucket_id in (select :STORAGE_SCHEMA.public_bucket_ids()));

-- RLS decides; the service role bypasses it.
grant select, insert, update, delete on :STORAGE_SCHEMA.buckets to :ANON, :AUTHENTICATED, :SERVICE;
grant select, insert, update, delete on :STORAGE_SCHEMA.objects to :ANON, :AUTHENTICATED, :SERVICE;
