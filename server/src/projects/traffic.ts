/**
 * Project API traffic: a rate limit per project from its plan (a token bucket per server process, so N replicas
 * admit up to N times the rate: good enough to stop one tenant from slowing the others), and request counts per
 * project and hour (keyless ones too: public objects and signed URLs are the project's traffic), gathered in
 * memory and added to app_private.project_usage every few seconds.
 */
import type pg from 'pg';
import { CanopyError } from '../errors.ts';
import type { ProjectEntry } from './registry.ts';

const FLUSH_EVERY_MS = 5_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class ProjectTraffic {
  private readonly buckets = new Map<string, Bucket>();
  /** project id → hour (hours since the epoch) → requests not yet written. */
  private pending = new Map<string, Map<number, number>>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly owner: pg.Pool) {
    this.timer = setInterval(() => void this.flush().catch(() => {}), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Counts the request, or refuses it with 429 when the project is over its rate. */
  admit(project: ProjectEntry): void {
    const rate = project.requestsPerSecond;
    if (rate != null) {
      const now = Date.now();
      const bucket = this.buckets.get(project.id) ?? { tokens: rate * 2, at: now };
      bucket.tokens = Math.min(rate * 2, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
      this.buckets.set(project.id, bucket);
      if (bucket.tokens < 1) {
        throw new CanopyError('RATE_LIMITED', `This project's plan allows ${rate} requests per second`, 429);
      }
      bucket.tokens -= 1;
    }
    this.count(project);
  }

  /** Counts the request towards the project's usage. */
  count(project: ProjectEntry): void {
    const hour = Math.floor(Date.now() / 3_600_000);
    const hours = this.pending.get(project.id) ?? new Map<number, number>();
    hours.set(hour, (hours.get(hour) ?? 0) + 1);
    this.pending.set(project.id, hours);
  }

  /** Adds what was counted since the last flush to the usage table. */
  async flush(): Promise<void> {
    const counted = this.pending;
    this.pending = new Map();
    const rows = [...counted].flatMap(([projectId, hours]) =>
      [...hours].map(([hour, count]) => ({ projectId, hour: new Date(hour * 3_600_000).toISOString(), count })),
    );
    if (rows.length === 0) return;
    await this.owner.query(
      `insert into app_private.project_usage (project_id, hour, api_requests)
       select project_id, hour, api_requests from json_to_recordset($1) as r(project_id uuid, hour timestamptz, api_requests bigint)
       where exists (select from app_public.projects p where p.id = r.project_id)
       on conflict (project_id, hour) do update set api_requests = project_usage.api_requests + excluded.api_requests`,
      [JSON.stringify(rows.map((row) => ({ project_id: row.projectId, hour: row.hour, api_requests: row.count })))],
    );
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
