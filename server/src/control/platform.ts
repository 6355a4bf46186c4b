/**
 * What platform administrators see and do beyond what RLS already shows them (every organization, project and user):
 * the worker queue (graphile-worker's jobs) and the data clusters. Both live where only canopy_owner reaches
 * (`graphile_worker`, `app_private.clusters`), so every method first checks that the caller is a platform admin
 * (`app_public.users.is_platform_admin`, granted by the operator) and then reads as the owner. Cluster connection
 * URLs never leave the database.
 */
import type pg from 'pg';
import { actingTransaction } from '../db/transactions.ts';
import { CanopyError } from '../errors.ts';
import type { Identity, RequestOrigin } from './accounts.ts';
import type { PlatformCluster, PlatformJob, PlatformJobs } from './platform-results.ts';

export const JOB_STATES = ['all', 'pending', 'running', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A job's state: locked by a worker is running; out of attempts is failed (graphile-worker keeps it); else pending. */
const STATE = `case when j.locked_at is not null then 'running' when j.attempts >= j.max_attempts then 'failed' else 'pending' end`;
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export class PlatformAdministration {
  constructor(
    /** Acts as canopy_owner, which owns graphile_worker and app_private. */
    private readonly owner: pg.Pool,
  ) {}

  /** The queue's counts, and up to `first` of its jobs in `state`, newest first. */
  async jobs(identity: Identity | undefined, { state = 'all', first = 100 }: { state?: string; first?: number }): Promise<PlatformJobs> {
    await this.requireAdmin(identity);
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new CanopyError('INVALID_INPUT', `state is one of ${JOB_STATES.join(', ')}`, 400);
    }
    if (!Number.isInteger(first) || first < 1 || first > 1000) throw new CanopyError('INVALID_INPUT', 'first is 1 to 1000', 400);
    const { rows: counts } = await this.owner.query<{ pending: number; running: number; failed: number }>(
      `select count(*) filter (where state = 'pending')::int as pending, count(*) filter (where state = 'running')::int as running,
              count(*) filter (where state = 'failed')::int as failed
       from (select ${STATE} as state from graphile_worker.jobs j) j`,
    );
    const { rows: jobs } = await this.owner.query<PlatformJob>(
      `select j.id::text, j.task_identifier as "taskIdentifier", j.queue_name as "queueName", j.key, j.attempts,
              j.max_attempts as "maxAttempts", j.last_error as "lastError", ${iso('j.run_at')} as "runAt",
              ${iso('j.locked_at')} as "lockedAt", j.locked_by as "lockedBy", ${iso('j.created_at')} as "createdAt"
       from graphile_worker.jobs j
       where $1 = 'all' or ${STATE} = $1
       order by j.created_at desc, j.id desc limit $2`,
      [state, first],
    );
    return { ...counts[0], jobs };
  }

  /** The data clusters and what they hold. */
  async clusters(identity: Identity | undefined): Promise<PlatformCluster[]> {
    await this.requireAdmin(identity);
    const { rows } = await this.owner.query<PlatformCluster>(
      `select c.name, c.max_databases as capacity, count(distinct d.organization_id)::int as "organizationDatabases",
              count(p.id)::int as projects, ${iso('c.created_at')} as "createdAt"
       from app_private.clusters c
       left join app_private.organization_databases d on d.cluster_id = c.id
       left join app_public.projects p on p.organization_id = d.organization_id and p.status <> 'deleted'
       group by c.id order by c.created_at, c.name`,
    );
    return rows;
  }

  /**
   * Runs a failed job again now, with its attempts reset, through graphile-worker's own `reschedule_jobs`; audited
   * as `platform.job_retried`. A job that has not failed is left alone (INVALID_STATE).
   */
  async retryJob(identity: Identity | undefined, origin: RequestOrigin, id: string): Promise<boolean> {
    const admin = await this.requireAdmin(identity);
    if (!/^[0-9]{1,18}$/.test(id)) throw new CanopyError('INVALID_INPUT', 'id is a job id (a positive integer)', 400);
    return actingTransaction(this.owner, { userId: admin.userId, ...origin }, async (client) => {
      const { rows } = await client.query<{ state: string; task: string; key: string | null; last_error: string | null }>(
        `select ${STATE} as state, j.task_identifier as task, j.key, j.last_error from graphile_worker.jobs j where j.id = $1::bigint`,
        [id],
      );
      const job = rows[0];
      if (!job) throw new CanopyError('NOT_FOUND', 'No job has that id (a job that succeeded is gone)', 404);
      if (job.state !== 'failed') throw new CanopyError('INVALID_STATE', `Only a failed job can be retried; this one is ${job.state}`, 409);
      const { rowCount } = await client.query(
        `select from graphile_worker.reschedule_jobs(array[$1::bigint], run_at => now(), attempts => 0)`,
        [id],
      );
      // reschedule_jobs leaves a locked job alone: another admin's retry was faster, and a worker took it.
      if (rowCount !== 1) throw new CanopyError('INVALID_STATE', 'The job was retried meanwhile and is running', 409);
      // Wakes idle workers at once, as graphile-worker's add_job does, instead of at their next poll.
      await client.query(`select pg_notify('jobs:insert', '{"count":1}')`);
      await client.query(`select app_private.audit('platform.job_retried', 'job', $1, null, null, $2)`, [
        id,
        JSON.stringify({ task_identifier: job.task, key: job.key, last_error: job.last_error?.slice(0, 1000) ?? null }),
      ]);
      return true;
    });
  }

  private async requireAdmin(identity: Identity | undefined): Promise<Identity> {
    if (!identity) throw new CanopyError('UNAUTHENTICATED', 'You must sign in first', 401);
    const { rows } = await this.owner.query<{ admin: boolean }>(
      'select is_platform_admin as admin from app_public.users where id = $1',
      [identity.userId],
    );
    if (!rows[0]?.admin) throw new CanopyError('FORBIDDEN', 'Only platform administrators may do that', 403);
    return identity;
  }
}
