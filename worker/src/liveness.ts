/**
 * graphile-worker leaves the jobs of a crashed worker process locked for four hours before another worker may take
 * them. Canopy's workers beat instead: each records its workers' ids every few seconds, and a job held by a worker
 * that has not beaten for `staleSeconds` is unlocked for the others at once. Every step of every task is safe to run
 * twice, so the job simply runs again.
 */
import type { EventEmitter } from 'node:events';
import type pg from 'pg';

export function keepWorkersAlive(owner: pg.Pool, events: EventEmitter, staleSeconds: number): () => void {
  // Jobs are locked in the name of a worker pool (or, without a local queue, of one of its workers): beat for both.
  const ours = new Set<string>();
  events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => ours.add(workerPool.id));
  events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => ours.add(worker.workerId));

  const beat = async () => {
    const ids = [...ours];
    await owner.query(
      `insert into app_private.worker_heartbeats (worker_id) select unnest($1::text[])
       on conflict (worker_id) do update set seen_at = now()`,
      [ids],
    );
    // A worker seen neither beating nor since it locked the job, for longer than `staleSeconds`, is gone.
    const { rows } = await owner.query<{ worker_id: string }>(
      `select distinct j.locked_by as worker_id from graphile_worker.jobs j
       left join app_private.worker_heartbeats h on h.worker_id = j.locked_by
       where j.locked_by is not null and j.locked_by <> all ($1::text[])
         and greatest(h.seen_at, j.locked_at) < now() - make_interval(secs => $2)`,
      [ids, staleSeconds],
    );
    const dead = rows.map((row) => row.worker_id);
    if (dead.length > 0) await owner.query('select graphile_worker.force_unlock_workers($1::text[])', [dead]);
    await owner.query(
      `delete from app_private.worker_heartbeats where worker_id = any($1::text[]) or seen_at < now() - interval '1 day'`,
      [dead],
    );
  };
  const timer = setInterval(() => void beat().catch(() => {}), (staleSeconds * 1000) / 3);
  timer.unref();
  void beat().catch(() => {});
  return () => clearInterval(timer);
}
