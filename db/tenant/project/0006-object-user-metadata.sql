-- What the app attached to an object when it uploaded it (storage-js's `metadata` option; Supabase's
-- storage.objects.user_metadata), returned by info.
alter table :STORAGE_SCHEMA.objects add column if not exists user_metadata jsonb;
