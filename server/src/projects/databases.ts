/**
 * Connections to organization databases.
 *
 * A project's API requests run on its own pool, logged in as its own authenticator (`p_<ref>_authenticator`), which
 * can become only its three API roles. Postgres checks SET ROLE against the login: with one login for all of an
 * organization's projects, SQL written by one project's DBA (a function its API calls) could become another project's
 * roles and read its rows.
 *
 * Pools are bounded per organization database: at most `maxConnections / projectPoolSize` project pools are open
 * at once; opening one more closes the least recently used (its connections end as their requests finish). So a
 * thousand projects cannot open a thousand pools, and a busy project still gets a pool of its own. Idle connections
 * close after IDLE_MS.
 *
 * One LISTEN connection per database, as the organization's authenticator (which can become no role), carries the
 * database's announcements (announcements.ts): live tables' changes, and the schema changes that make project APIs
 * rebuild.
 */
import pg from 'pg';
import { PgSubscriber } from 'postgraphile/adaptors/pg';
import { createPool } from '../db/pools.ts';
import { statementWithSettings, transactionWithSettings } from '../db/transactions.ts';
import { openedAnnouncements } from './announcements.ts';
import type { ProjectCaller } from './callers.ts';
import { LiveFeeds } from './live.ts';
import type { ProjectEntry } from './registry.ts';

const IDLE_MS = 10_000;

/** A project's connections, through whichever pool is open for it now. */
export class ProjectPool {
  constructor(private readonly current: () => pg.Pool) {}

  connect(): Promise<pg.PoolClient> {
    return this.current().connect();
  }

  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.current().query<R>(text, values);
  }
}

/** A channel's announcements, opened (announcements.ts); return() stops listening. */
export type Announcements = (channel: string) => AsyncIterableIterator<string>;

export interface ProjectDatabase {
  pool: ProjectPool;
  /** The organization database's LISTEN connection, for PostGraphile. */
  subscriber: PgSubscriber;
  /** The project's live tables' changes, asked about once for all subscribers (live.ts). */
  live: LiveFeeds;
}

/** What the registry knows of an active project's database. */
export type PlacedProject = Pick<ProjectEntry, 'ref'> & { databaseUrl: string; listenUrl: string };

export class OrganizationDatabases {
  /** By the organization authenticator's URL. */
  private readonly databases = new Map<string, OrganizationDatabase>();

  constructor(
    private readonly sizes: { maxConnections: number; projectPoolSize: number },
    /** Called with the project refs whose schemas changed. */
    private readonly onSchemaChange: (refs: string[]) => void,
  ) {}

  project(project: PlacedProject): ProjectDatabase {
    let database = this.databases.get(project.listenUrl);
    if (!database) {
      database = new OrganizationDatabase(project.listenUrl, this.sizes, this.onSchemaChange);
      this.databases.set(project.listenUrl, database);
    }
    return database.project(project);
  }

  /** The project changed (paused, deleted): its pool closes, the next request opens a new one. */
  forget(ref: string): void {
    for (const database of this.databases.values()) database.forget(ref);
  }

  async close(): Promise<void> {
    await Promise.all([...this.databases.values()].map((database) => database.close()));
    this.databases.clear();
  }
}

class OrganizationDatabase {
  private readonly listener: pg.Pool;
  private readonly subscriber: PgSubscriber;
  private readonly projects = new Map<string, ProjectDatabase>();
  /** Open pools in use order: the first is the least recently used. */
  private readonly pools = new Map<string, pg.Pool>();
  private readonly maxPools: number;
  private key?: Promise<Buffer>;

  constructor(
    listenUrl: string,
    private readonly sizes: { maxConnections: number; projectPoolSize: number },
    onSchemaChange: (refs: string[]) => void,
  ) {
    this.maxPools = Math.max(1, Math.floor(sizes.maxConnections / sizes.projectPoolSize));
    // One connection LISTENs; another reads the announcement key, once.
    this.listener = createPool(listenUrl, 2);
    Object.assign(this.listener.options, { idleTimeoutMillis: IDLE_MS });
    this.subscriber = new PgSubscriber(this.listener);
    void watchSchemas(this.announcements('canopy:schema'), onSchemaChange);
  }

  /** Only the organization's authenticator may read the key that opens the database's announcements. */
  private readonly announcements: Announcements = (channel) =>
    openedAnnouncements(channel, this.subscriber.subscribe(channel), async () => {
      this.key ??= this.listener.query<{ key: Buffer }>('select key from canopy_private.announcement_key').then(
        ({ rows }) => rows[0].key,
      );
      // Not there yet (before the fleet migration brings it): asked again at the next announcement.
      return this.key.catch(() => (this.key = undefined));
    });

  project({ ref, databaseUrl }: PlacedProject): ProjectDatabase {
    let project = this.projects.get(ref);
    if (!project) {
      const pool = new ProjectPool(() => this.pool(ref, databaseUrl));
      // Live events may hold a third of the pool at once: a burst of changes does not starve requests.
      const liveConnections = Math.max(1, Math.floor(this.sizes.projectPoolSize / 3));
      project = { pool, subscriber: this.subscriber, live: new LiveFeeds(pool, this.announcements, liveConnections) };
      this.projects.set(ref, project);
    }
    return project;
  }

  forget(ref: string): void {
    this.projects.delete(ref);
    const pool = this.pools.get(ref);
    this.pools.delete(ref);
    void pool?.end();
  }

  async close(): Promise<void> {
    this.subscriber.release();
    await Promise.all([this.listener, ...this.pools.values()].map((pool) => pool.end()));
    this.pools.clear();
    this.projects.clear();
  }

  private pool(ref: string, databaseUrl: string): pg.Pool {
    let pool = this.pools.get(ref);
    if (pool) {
      this.pools.delete(ref);
    } else {
      pool = createPool(databaseUrl, this.sizes.projectPoolSize);
      Object.assign(pool.options, { idleTimeoutMillis: IDLE_MS });
      if (this.pools.size >= this.maxPools) {
        const [oldest, oldestPool] = this.pools.entries().next().value!;
        this.pools.delete(oldest);
        void oldestPool.end();
      }
    }
    this.pools.set(ref, pool);
    return pool;
  }
}

/** db/tenant/org/0007 announces DDL on `canopy:schema` with the schemas it touched. */
async function watchSchemas(announcements: AsyncIterableIterator<string>, onSchemaChange: (refs: string[]) => void) {
  try {
    for await (const schemas of announcements) {
      const refs = schemas
        .split(',')
        .map((schema) => /^p_([a-z]{20})/.exec(schema)?.[1])
        .filter((ref): ref is string => !!ref);
      onSchemaChange([...new Set(refs)]);
    }
  } catch {
    // The subscriber was released (shutdown).
  }
}

/** The role and claims a project caller's SQL runs with (its claims readable through canopy.jwt()). */
const callerSettings = (caller: ProjectCaller) => ({ role: caller.databaseRole, 'request.jwt.claims': JSON.stringify(caller.claims) });

/** Runs `work` in a transaction as the caller. */
export function asProjectCaller<T>(pool: ProjectPool, caller: ProjectCaller, work: (client: pg.PoolClient) => Promise<T>) {
  return transactionWithSettings(pool, callerSettings(caller), work);
}

/** One statement as the caller, in one round trip (statementWithSettings). */
export function statementAsProjectCaller<R extends pg.QueryResultRow>(
  pool: ProjectPool,
  caller: ProjectCaller,
  statement: (literal: (value: string) => string) => string,
) {
  return statementWithSettings<R>(pool, callerSettings(caller), statement);
}
