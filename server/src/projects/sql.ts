/**
 * The console's SQL editor: SQL run in a project's database as the project's own owner login (`p_<ref>_owner`),
 * exactly what its DBAs can do with psql and the connection string, and nothing more. It logs in as that role
 * (never a superuser with SET ROLE, which the SQL could undo), through a small pool per project that is dropped when
 * the project changes (a password reset, a pause) and whose connections are reset after every run.
 *
 * Postgres errors are the run's result, not a failure of the request: they come back as data, with where in the SQL
 * they happened. Every value comes back as Postgres's text, parsed by nothing.
 */
import type { Duplex } from 'node:stream';
import pg from 'pg';
import type { Identity, RequestOrigin } from '../control/accounts.ts';
import { CanopyError } from '../errors.ts';
import type { SecretBox } from '../secrets.ts';
import type { ProjectDataAccess } from './access.ts';
import type { ProjectEntry } from './registry.ts';
import type { SqlError, SqlRun, SqlStatementResult } from './sql-results.ts';

export const SQL_LIMITS = {
  /** The SQL text, in UTF-8 bytes. */
  queryBytes: 1_048_576,
  /** Bind parameters: Postgres's own limit. */
  parameters: 65_535,
  rowsPerStatement: 1_000,
  /** Text of all the rows a run returns, in UTF-16 code units; rows beyond are counted, not kept. */
  resultChars: 8 * 1_048_576,
  statementTimeoutMs: 30_000,
  /** A run still going this long after its statement timeout (the SQL may SET its own) is ended by force. */
  graceMs: 5_000,
  poolSize: 2,
  idleMs: 10_000,
  /** One message from Postgres (a row of the result): larger ones end the run (see refuseHugeMessages). */
  messageBytes: 64 * 1_048_576,
};


/** Values stay Postgres's text: nothing is parsed (the owner pools' clients use these parsers). */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

interface OwnerPool {
  pool: pg.Pool;
  /** Type names by oid of this project's database (types made by the project's DBAs; built-in ones are shared). */
  typeNames: Map<number, string>;
}

/** Built-in types have the same oids in every database (below FirstNormalObjectId). */
const BUILTIN_TYPE_NAMES = new Map<number, string>();
const FIRST_NORMAL_OID = 16_384;

/** One small pool per project, logged in as its owner, for the SQL editor. */
export class ProjectOwnerPools {
  private readonly pools = new Map<string, Promise<OwnerPool>>();

  constructor(
    /** The control database, as canopy_owner: where the owner's password is kept, sealed. */
    private readonly owner: pg.Pool,
    private readonly box: SecretBox,
  ) {}

  get(entry: ProjectEntry & { databaseUrl: string }): Promise<OwnerPool> {
    let pool = this.pools.get(entry.ref);
    if (!pool) {
      pool = this.open(entry);
      this.pools.set(entry.ref, pool);
      pool.catch(() => this.pools.get(entry.ref) === pool && this.pools.delete(entry.ref));
    }
    return pool;
  }

  /** The project changed (its password, its status): the next run logs in afresh. */
  forget(ref: string): void {
    const pool = this.pools.get(ref);
    if (!pool) return;
    this.pools.delete(ref);
    void pool.then(({ pool: connections }) => connections.end()).catch(() => {});
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.then(({ pool: connections }) => connections.end()).catch(() => {})));
  }

  private async open(entry: ProjectEntry & { databaseUrl: string }): Promise<OwnerPool> {
    const { rows } = await this.owner.query<{ sealed: string | null }>(
      'select owner_password_sealed as sealed from app_private.project_secrets where project_id = $1',
      [entry.id],
    );
    if (!rows[0]?.sealed) throw new CanopyError('NOT_READY', 'The project has no database login yet', 409);
    // The organization database's address, as its authenticator sees it, with the owner's login instead.
    const url = new URL(entry.databaseUrl);
    url.username = `p_${entry.ref}_owner`;
    url.password = encodeURIComponent(this.box.open(rows[0].sealed));
    const pool = new pg.Pool({
      connectionString: url.toString(),
      max: SQL_LIMITS.poolSize,
      idleTimeoutMillis: SQL_LIMITS.idleMs,
      connectionTimeoutMillis: 10_000,
      application_name: 'canopy sql editor',
      // The project's schema first, as for its DBAs; session defaults, so DISCARD ALL after a run restores them.
      options: `-c search_path=p_${entry.ref} -c statement_timeout=${SQL_LIMITS.statementTimeoutMs}`,
      types: TEXT_TYPES,
    });
    // A connection ended from outside (the project paused, Postgres restarted) is replaced on the next run.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
      refuseHugeMessages((client as unknown as { connection: { stream: Duplex } }).connection.stream);
    });
    return { pool, typeNames: new Map() };
  }
}

/**
 * Ends the connection when Postgres starts a message larger than `SQL_LIMITS.messageBytes`, before pg buffers and
 * decodes it: a single value of some hundreds of MB (`select repeat('x', 600000000)`) makes pg's parser throw in the
 * socket's data handler, where nothing can catch it, and that would stop the server. Listens first, at a message
 * boundary (after the connection's startup), and follows the messages' 5-byte headers.
 */
function refuseHugeMessages(stream: Duplex) {
  let header = Buffer.alloc(0);
  let skip = 0;
  stream.prependListener('data', (chunk: Buffer) => {
    for (let at = 0; at < chunk.length; ) {
      if (skip > 0) {
        const skipped = Math.min(skip, chunk.length - at);
        skip -= skipped;
        at += skipped;
        continue;
      }
      const taken = chunk.subarray(at, at + 5 - header.length);
      header = Buffer.concat([header, taken]);
      at += taken.length;
      if (header.length < 5) return;
      const length = header.readUInt32BE(1);
      header = Buffer.alloc(0);
      if (length > SQL_LIMITS.messageBytes) {
        const megabytes = SQL_LIMITS.messageBytes / 1_048_576;
        stream.destroy(Object.assign(new Error(`A row of the result is larger than ${megabytes} MB; the run was stopped`), { code: '54000' }));
        return;
      }
      skip = length - 4;
    }
  });
}

/** Commands that change nothing (a function called by SELECT, or SELECT INTO, may still write: not announced). */
const READ_COMMANDS = new Set(['SELECT', 'SHOW', 'EXPLAIN', 'FETCH', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SET', 'RESET', 'DISCARD']);

/** Runs members' SQL in their projects' databases (owners, administrators and developers), audited. */
export class ProjectSqlService {
  constructor(
    private readonly access: ProjectDataAccess,
    private readonly pools: ProjectOwnerPools,
  ) {}

  async run(
    identity: Identity,
    origin: RequestOrigin,
    projectId: string,
    query: string,
    params: Array<string | null> | null,
  ): Promise<SqlRun> {
    const project = await this.access.authorize(identity, projectId, true);
    if (query.trim() === '') throw new CanopyError('INVALID_INPUT', 'There is no SQL to run', 400);
    if (Buffer.byteLength(query) > SQL_LIMITS.queryBytes) {
      throw new CanopyError('INVALID_INPUT', 'The SQL is longer than 1 MB', 400);
    }
    if (query.includes('\0')) throw new CanopyError('INVALID_INPUT', 'The SQL contains a NUL character', 400);
    if (params && params.length > SQL_LIMITS.parameters) {
      throw new CanopyError('INVALID_INPUT', `A statement takes at most ${SQL_LIMITS.parameters} parameters`, 400);
    }
    const entry = await this.access.activeEntry(project);
    await this.access.audit(identity, origin, 'project.sql_executed', project, {
      query_length: query.length,
      parameters: params?.length ?? null,
    });

    const owner = await this.pools.get(entry);
    const client = await this.connect(entry, owner);
    let healthy = true;
    try {
      const started = performance.now();
      const run = new OwnerSqlQuery(query, params);
      const deadline = setTimeout(() => {
        run.overdue = true;
        // Its backend is ended from another connection; should even that not end the run, it is abandoned.
        void terminate(owner.pool, client).then(() => setTimeout(() => run.handleError(new Error('overdue')), 2_000).unref());
      }, SQL_LIMITS.statementTimeoutMs + SQL_LIMITS.graceMs);
      try {
        client.query(run);
        await run.done;
      } finally {
        clearTimeout(deadline);
      }
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const error = run.error ? sqlError(run.error, query, run.overdue) : null;
      healthy = !run.overdue && (await resetSession(client));
      const typeNames = await this.typeNames(healthy ? client : undefined, owner, run.typeIds());
      const results = run.results(typeNames);
      // Open consoles read the project's data again after a write, not after a read (which would wake them all).
      if (results.some((result) => !READ_COMMANDS.has(result.command))) await this.access.announce(project, 'project.data_changed');
      return { results, error, durationMs };
    } catch (error) {
      healthy = false;
      throw error;
    } finally {
      client.release(!healthy);
    }
  }

  /** A connection as the owner; a changed password (the pool was made before a reset) is picked up once. */
  private async connect(entry: ProjectEntry & { databaseUrl: string }, owner: OwnerPool, retry = true): Promise<pg.PoolClient> {
    try {
      return await owner.pool.connect();
    } catch (error) {
      this.pools.forget(entry.ref);
      if (retry && (error as { code?: string }).code === '28P01') {
        return this.connect(entry, await this.pools.get(entry), false);
      }
      throw new CanopyError('DATABASE_UNAVAILABLE', "The project's database cannot be reached now, or is busy with other SQL; try again", 503);
    }
  }

  /** The names of the result columns' types: cached, else looked up on the run's connection (if it is usable). */
  private async typeNames(client: pg.PoolClient | undefined, owner: OwnerPool, oids: number[]): Promise<Map<number, string>> {
    const cacheOf = (oid: number) => (oid < FIRST_NORMAL_OID ? BUILTIN_TYPE_NAMES : owner.typeNames);
    const missing = oids.filter((oid) => !cacheOf(oid).has(oid));
    if (client && missing.length > 0) {
      const { rows } = await client
        .query<{ oid: string; typname: string }>('select oid, typname from pg_catalog.pg_type where oid = any($1::oid[])', [
          missing,
        ])
        .catch(() => ({ rows: [] }));
      for (const row of rows) cacheOf(Number(row.oid)).set(Number(row.oid), row.typname);
    }
    return new Map(oids.map((oid) => [oid, cacheOf(oid).get(oid) ?? String(oid)]));
  }
}

/**
 * Leaves the connection as it was before the run: a transaction the SQL left open is rolled back, and settings,
 * role, prepared statements, cursors, LISTENs, advisory locks are discarded. False if the connection is unusable.
 */
async function resetSession(client: pg.PoolClient): Promise<boolean> {
  try {
    await client.query('discard all');
    return true;
  } catch (error) {
    // 25001: inside a transaction block; 25P02: inside a failed one.
    if (!['25001', '25P02'].includes((error as { code?: string }).code ?? '')) return false;
  }
  try {
    await client.query('rollback');
    await client.query('discard all');
    return true;
  } catch {
    return false;
  }
}

/** Ends a run that outlived its timeout: its backend, from another connection of the same login. */
async function terminate(pool: pg.Pool, client: pg.PoolClient) {
  const pid = (client as unknown as { processID?: number }).processID;
  const killer = new pg.Client({ ...pool.options, types: TEXT_TYPES });
  killer.on('error', () => {});
  try {
    await killer.connect();
    await killer.query('select pg_terminate_backend($1)', [pid]);
  } catch {
    // Gone already, or unreachable: the run's own connection error ends it.
  } finally {
    await killer.end().catch(() => {});
  }
}

interface PostgresFailure extends Error {
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

function sqlError(failure: PostgresFailure, query: string, overdue: boolean): SqlError {
  if (overdue) {
    const seconds = (SQL_LIMITS.statementTimeoutMs + SQL_LIMITS.graceMs) / 1000;
    return { ...emptyError, code: '57014', message: `The SQL ran for more than ${seconds} seconds and was stopped` };
  }
  if (!failure.code) {
    // Not Postgres's answer: the connection ended (the project was paused, Postgres restarted).
    return { ...emptyError, code: '08006', message: 'The connection to the database was lost' };
  }
  const position = failure.position ? Number(failure.position) : null;
  return {
    message: failure.message,
    code: failure.code,
    position,
    ...(position ? lineAndColumn(query, position) : { line: null, column: null }),
    detail: failure.detail ?? null,
    hint: failure.hint ?? null,
  };
}

const emptyError: SqlError = { message: '', code: '', position: null, line: null, column: null, detail: null, hint: null };

/** Postgres counts positions in characters from 1; so do line and column here. */
export function lineAndColumn(query: string, position: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  let index = 1;
  for (const character of query) {
    if (index >= position) break;
    index += 1;
    if (character === '\n') {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
  }
  return { line, column };
}

interface Statement {
  fields: Array<{ name: string; dataTypeID: number }>;
  rows: Array<Array<string | null>>;
  truncated: boolean;
}

/**
 * One run, as a pg Submittable: the simple query protocol without parameters (so several statements each give a
 * result), the extended one with them (one statement). Rows are kept raw (text), up to the limits; results of the
 * statements before a failing one are kept.
 */
class OwnerSqlQuery implements pg.Submittable {
  readonly done: Promise<void>;
  error?: PostgresFailure;
  /** Ended by force after its deadline. */
  overdue = false;
  private readonly completed: Array<Statement & { tag: string }> = [];
  private current?: Statement;
  private keptChars = 0;
  private finish!: () => void;

  constructor(
    private readonly text: string,
    private readonly values: Array<string | null> | null,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  submit(connection: pg.Connection) {
    if (!this.values) {
      connection.query(this.text);
      return;
    }
    const stream = connection.stream as pg.Connection['stream'] & { cork?(): void; uncork?(): void };
    stream.cork?.();
    try {
      connection.parse({ text: this.text, name: '', types: [] }, true);
      connection.bind({ portal: '', statement: '', values: this.values }, true);
      connection.describe({ type: 'P', name: '' }, true);
      connection.execute({ portal: '' }, true);
      connection.sync();
    } finally {
      stream.uncork?.();
    }
  }

  handleRowDescription(message: { fields: Array<{ name: string; dataTypeID: number }> }) {
    this.current = {
      fields: message.fields.map(({ name, dataTypeID }) => ({ name, dataTypeID })),
      rows: [],
      truncated: false,
    };
  }

  handleDataRow(message: { fields: Array<string | null> }) {
    const statement = this.current;
    if (!statement) return;
    const chars = message.fields.reduce((sum, value) => sum + (value?.length ?? 0), 0);
    if (statement.rows.length >= SQL_LIMITS.rowsPerStatement || this.keptChars + chars > SQL_LIMITS.resultChars) {
      statement.truncated = true;
      return;
    }
    this.keptChars += chars;
    statement.rows.push(message.fields);
  }

  handleCommandComplete(message: { text: string }) {
    this.completed.push({ fields: [], rows: [], truncated: false, ...this.current, tag: message.text });
    this.current = undefined;
  }

  handleEmptyQuery() {
    this.current = undefined;
  }

  handleError(error: PostgresFailure) {
    this.error ??= error;
    this.current = undefined;
    // pg forgets the query once it has failed: the run ends here (the connection's next query waits its turn).
    this.finish();
  }

  handleReadyForQuery() {
    this.finish();
  }

  handlePortalSuspended() {}

  handleCopyInResponse(connection: pg.Connection & { sendCopyFail(message: string): void }) {
    connection.sendCopyFail('COPY FROM STDIN is not available here: insert the rows instead');
  }

  handleCopyData() {}

  typeIds(): number[] {
    return [...new Set(this.completed.flatMap((statement) => statement.fields.map((field) => field.dataTypeID)))];
  }

  results(typeNames: Map<number, string>): SqlStatementResult[] {
    return this.completed.map(({ tag, fields, rows, truncated }) => {
      // The command tag: "SELECT 3", "INSERT 0 1", "CREATE TABLE".
      const count = /\s(\d+)$/.exec(tag);
      return {
        command: tag.split(' ')[0],
        rowCount: count ? Number(count[1]) : null,
        columns: fields.map((field) => ({ name: field.name, type: typeNames.get(field.dataTypeID) ?? String(field.dataTypeID) })),
        rows,
        truncated,
      };
    });
  }
}
