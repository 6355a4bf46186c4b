/**
 * Connections to organization databases, shared by all the organization's projects: one bounded pool per database
 * (so a thousand projects do not open a thousand pools), logged in as the organization's authenticator, which can
 * only become its projects' API roles. One LISTEN connection per database carries both GraphQL subscriptions and
 * the schema-change announcements that make project APIs rebuild.
 */
import pg from 'pg';
import { PgSubscriber } from 'postgraphile/adaptors/pg';
import { createPool } from '../db/pools.ts';
import { transactionWithSettings } from '../db/transactions.ts';
import type { ProjectCaller } from './callers.ts';
import { LiveFeeds } from './live.ts';

export interface OrganizationDatabase {
  pool: pg.Pool;
  subscriber: PgSubscriber;
  /** Its live tables' changes, asked about once for all subscribers (live.ts). */
  live: LiveFeeds;
}

export class OrganizationDatabases {
  private readonly databases = new Map<string, OrganizationDatabase>();

  constructor(
    private readonly poolSize: number,
    /** Called with the project refs whose schemas changed. */
    private readonly onSchemaChange: (refs: string[]) => void,
  ) {}

  get(databaseUrl: string): OrganizationDatabase {
    let database = this.databases.get(databaseUrl);
    if (!database) {
      const pool = createPool(databaseUrl, this.poolSize);
      Object.assign(pool.options, { idleTimeoutMillis: 10_000 });
      const subscriber = new PgSubscriber(pool);
      // Live events may hold a third of the pool at once: a burst of changes does not starve requests.
      database = { pool, subscriber, live: new LiveFeeds(pool, subscriber, Math.max(1, Math.floor(this.poolSize / 3))) };
      this.databases.set(databaseUrl, database);
      void this.watchSchemas(database.subscriber);
    }
    return database;
  }

  async close(): Promise<void> {
    for (const { pool, subscriber } of this.databases.values()) {
      subscriber.release();
      await pool.end();
    }
    this.databases.clear();
  }

  /** db/tenant/org/0002 announces DDL on `canopy:schema` with the schemas it touched. */
  private async watchSchemas(subscriber: PgSubscriber): Promise<void> {
    try {
      for await (const payload of subscriber.subscribe('canopy:schema')) {
        const refs = String(payload)
          .split(',')
          .map((schema) => /^p_([a-z]{20})/.exec(schema)?.[1])
          .filter((ref): ref is string => !!ref);
        this.onSchemaChange([...new Set(refs)]);
      }
    } catch {
      // The subscriber was released (shutdown).
    }
  }
}

/** Runs `work` in a transaction as the caller's role, with its claims readable through canopy.jwt(). */
export function asProjectCaller<T>(pool: pg.Pool, caller: ProjectCaller, work: (client: pg.PoolClient) => Promise<T>) {
  return transactionWithSettings(
    pool,
    { role: caller.databaseRole, 'request.jwt.claims': JSON.stringify(caller.claims) },
    work,
  );
}
