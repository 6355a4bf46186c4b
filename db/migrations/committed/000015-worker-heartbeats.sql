--! Previous: sha1:33bcb9ef1a6de5f6ac5e54b7622073191241018d
--! Hash: sha1:5bc1204d333127fdc37f49f7f9eb64b6aa7578be
--! Message: Worker heartbeats

/* Worker heartbeats: a worker process that stops beating is dead, and the jobs it held are unlocked for others. */
create table app_private.worker_heartbeats (
  worker_id text primary key,
  seen_at timestamptz not null default now()
);
