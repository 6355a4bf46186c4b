/**
 * Connections to organization databases.
 *
 * A project's API requests run on its own pool, logged in as its own authenticator (`p_<ref>_authenticator`), which
 * can become only its three API roles. Postgres checks SET ROLE against the login: with one login for all of an
 * organization's projects, SQL written by one project's DBA (a function its API calls) could become another project's
 * roles and read its rows.
 *
 * Connections are bounded per organization database (`maxConnections`, across its projects' pools of
 * `projectPoolSize`): when they are all open, a project that needs one more closes the least recently used pool whose
 * connections are all idle, or waits for a connection to be released. So a thousand projects cannot open a thousand
 * pools, and a busy project still gets a pool of its own. Idle connections close after IDLE_MS.
 *
 * One LISTEN connection per database, as the organization's authenticator (which can become no role), carries the
 * database's announcements (announcements.ts): live tables' changes, and the schema changes that make project APIs
 * rebuild.
 */
import pg from 'pg';
import { PgSubscriber } from 'postgraphile/adaptors/pg';
import { createPool } from '../db/pools.ts';
import { type Literal, statementsWithSettings, transactionWithSettings } from '../db/transactions.ts';
import { fromNow, openedAnnouncements } from './announcements.ts';
import type { ProjectCaller } from './callers.ts';
import { LiveFeeds } from './live.ts';
import type { ProjectEntry } from './registry.ts';

const IDLE_MS = 10_000;
/** A project's API is rebuilt for schema changes at most this often. */
const REBUILD_MS = 1_000;

/** A project's connections, through whichever pool is open for it now. */
export class ProjectPool {
  constructor(readonly connect: () => Promise<pg.PoolClient>) {}

  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const client = await this.connect();
    try {
      return await client.query<R>(text, values);
    } finally {
      client.release();
    }
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
    private readonly sizes: ConnectionSizes,
    /** Called with the project refs whose schemas changed (or may have: after the LISTEN connection was lost). */
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

  /** The project changed (paused, deleted, its secret rotated): see OrganizationDatabase.forget. */
  forget(ref: string): void {
    for (const database of this.databases.values()) database.forget(ref);
  }

  async close(): Promise<void> {
    await Promise.all([...this.databases.values()].map((database) => database.close()));
    this.databases.clear();
  }
}

interface ConnectionSizes {
  /** Connections to one organization database, across its projects' pools. */
  maxConnections: number;
  /** Connections of one project's pool. */
  projectPoolSize: number;
}

/**
 * pg.Client, for pools whose connections are counted together: `opened` as each starts, `closed` once its socket has
 * closed, whatever happened (ended, failed, refused: `end` always comes).
 */
function countedClient(opened: () => void, closed: () => void): typeof pg.Client {
  return class CountedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      opened();
      this.once('end', closed);
    }
  };
}

class OrganizationDatabase {
  private readonly listener: pg.Pool;
  private readonly subscriber: PgSubscriber;
  private readonly projects = new Map<string, ProjectDatabase>();
  private readonly pools = new Map<string, pg.Pool>();
  /** When each project's pool was last asked for a connection. */
  private readonly lastUsed = new Map<string, number>();
  /** Pools closed but not yet ended, and when they will have. */
  private readonly closing = new Map<pg.Pool, Promise<void>>();
  /**
   * The projects' connections, each from its start until its socket has closed. Not the pools' own counts: a pool
   * forgets a connection as soon as it starts closing it, while Postgres still has it open.
   */
  private connections = 0;
  private readonly CountedClient: typeof pg.Client;
  /** Connections waiting for room, woken when a connection is released or closed. */
  private waiting: Array<() => void> = [];
  /** Projects rebuilt within the last REBUILD_MS, and whether once more at its end. */
  private readonly rebuilt = new Map<string, { again: boolean }>();
  private key?: Promise<Buffer>;
  private closed = false;

  constructor(
    listenUrl: string,
    private readonly sizes: ConnectionSizes,
    private readonly onSchemaChange: (refs: string[]) => void,
  ) {
    this.CountedClient = countedClient(
      () => this.connections++,
      () => {
        this.connections--;
        this.wake();
      },
    );
    // One connection LISTENs; another reads the announcement key, once.
    this.listener = createPool(listenUrl, 2);
    Object.assign(this.listener.options, { idleTimeoutMillis: IDLE_MS });
    this.subscriber = new PgSubscriber(this.listener);
    void this.watchSchemas();
  }

  project({ ref, databaseUrl }: PlacedProject): ProjectDatabase {
    let project = this.projects.get(ref);
    if (!project) {
      const pool = new ProjectPool(() => this.connect(ref, databaseUrl));
      // Live events may hold a third of the pool at once: a burst of changes does not starve requests.
      const liveConnections = Math.max(1, Math.floor(this.sizes.projectPoolSize / 3));
      // A live feed hears only what was sent since it started: nothing older can be replayed to it.
      const announcements: Announcements = (channel) => this.announcements(channel, fromNow());
      project = { pool, subscriber: this.subscriber, live: new LiveFeeds(pool, announcements, liveConnections) };
      this.projects.set(ref, project);
    }
    return project;
  }

  /**
   * The project changed: its live feeds start again with its next instance. Its pool stays (a paused or deleted
   * project's connections are ended by Postgres, and its emptied pool is let go with the others).
   */
  forget(ref: string): void {
    this.projects.delete(ref);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscriber.release();
    for (const [ref, pool] of this.pools) this.end(ref, pool);
    await Promise.all([this.listener.end(), ...this.closing.values()]);
    this.projects.clear();
  }

  /** Only the organization's authenticator may read the key that opens the database's announcements. */
  private announcements(channel: string, since?: number): AsyncIterableIterator<string> {
    return openedAnnouncements(
      channel,
      this.subscriber.subscribe(channel),
      async () => {
        this.key ??= this.listener.query<{ key: Buffer }>('select key from canopy_private.announcement_key').then(
          ({ rows }) => rows[0].key,
        );
        // Not there yet (before the fleet migration brings it): asked again at the next announcement.
        return this.key.catch(() => (this.key = undefined));
      },
      since,
    );
  }

  /**
   * A connection from the project's pool, within the database's connections: when they are all open, the least
   * recently used pool whose connections are all idle is closed to make room, or else this waits for one to be.
   */
  private connect(ref: string, databaseUrl: string): Promise<pg.PoolClient> {
    const pool = this.pool(ref, databaseUrl);
    // An idle connection nobody queued for yet, or a full pool's own queue, opens nothing new.
    const opensNothing = pool.idleCount > pool.waitingCount || pool.totalCount >= this.sizes.projectPoolSize;
    return opensNothing || this.connections < this.sizes.maxConnections ? pool.connect() : this.connectWhenRoom(ref, databaseUrl);
  }

  private async connectWhenRoom(ref: string, databaseUrl: string): Promise<pg.PoolClient> {
    const idle = [...this.pools]
      .filter(([other, it]) => other !== ref && it.idleCount > 0 && it.idleCount === it.totalCount && it.waitingCount === 0)
      .sort(([a], [b]) => this.lastUsed.get(a)! - this.lastUsed.get(b)!)[0];
    // A closed pool makes room once its connections have closed: one pool at a time, not every idle one at once.
    if (idle) this.end(...idle);
    // Woken by a release or a closed connection; looked at again within a second whatever happens.
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      setTimeout(resolve, 1_000).unref();
    });
    return this.connect(ref, databaseUrl);
  }

  /** Wakes the connections waiting for room: one was released or has closed. */
  private wake(): void {
    this.waiting.splice(0).forEach((resolve) => resolve());
  }

  /** The project's pool, now the most recently used. */
  private pool(ref: string, databaseUrl: string): pg.Pool {
    let pool = this.pools.get(ref);
    if (!pool) {
      pool = createPool(databaseUrl, this.sizes.projectPoolSize, this.CountedClient);
      Object.assign(pool.options, { idleTimeoutMillis: IDLE_MS });
      pool.on('release', () => this.wake());
      // Pools whose connections have all closed (idle too long) are let go: a thousand projects keep no thousand pools.
      for (const [other, it] of this.pools) if (it.totalCount === 0 && it.waitingCount === 0) this.end(other, it);
      this.pools.set(ref, pool);
    }
    this.lastUsed.set(ref, performance.now());
    return pool;
  }

  /** Closes a pool (only ever one nobody waits on): its idle connections now, the others as they are released. */
  private end(ref: string, pool: pg.Pool): void {
    this.pools.delete(ref);
    this.lastUsed.delete(ref);
    this.closing.set(pool, pool.end().finally(() => this.closing.delete(pool)));
  }

  /**
   * db/tenant/org/0007 announces DDL on `canopy:schema` with the schemas it touched. If the LISTEN connection is lost,
   * announcements may have been missed: listening starts again, and every project of the database rebuilds, now and
   * once more when PgSubscriber has surely reconnected (it waits at most 30 s between attempts).
   */
  private async watchSchemas(): Promise<void> {
    while (!this.closed) {
      try {
        for await (const schemas of this.announcements('canopy:schema')) {
          const refs = schemas
            .split(',')
            .map((schema) => /^p_([a-z]{20})/.exec(schema)?.[1])
            .filter((ref): ref is string => !!ref);
          this.rebuild([...new Set(refs)]);
        }
      } catch {
        if (this.closed) return;
        this.rebuild([...this.projects.keys()]);
        setTimeout(() => this.rebuild([...this.projects.keys()]), 30_000).unref();
      }
    }
  }

  /**
   * Rebuilds projects' APIs, each at most once every REBUILD_MS (and once more at its end if asked meanwhile): a
   * replayed announcement (announcements.ts) cannot make a project rebuild over and over.
   */
  private rebuild(refs: string[]): void {
    for (const ref of refs) {
      const recent = this.rebuilt.get(ref);
      if (recent) {
        recent.again = true;
        continue;
      }
      this.onSchemaChange([ref]);
      const window = { again: false };
      this.rebuilt.set(ref, window);
      setTimeout(() => {
        this.rebuilt.delete(ref);
        if (window.again) this.rebuild([ref]);
      }, REBUILD_MS).unref();
    }
  }
}

/** The role and claims a project caller's SQL runs with (its claims readable through canopy.jwt()). */
const callerSettings = (caller: ProjectCaller) => ({ role: caller.databaseRole, 'request.jwt.claims': JSON.stringify(caller.claims) });

/** Runs `work` in a transaction as the caller. */
export function asProjectCaller<T>(pool: ProjectPool, caller: ProjectCaller, work: (client: pg.PoolClient) => Promise<T>) {
  return transactionWithSettings(pool, callerSettings(caller), work);
}

/** Statements as the caller, in one round trip and one transaction (statementsWithSettings). */
export function statementsAsProjectCaller(pool: ProjectPool, caller: ProjectCaller, statements: (literal: Literal) => string[]) {
  return statementsWithSettings(pool, callerSettings(caller), statements);
}
