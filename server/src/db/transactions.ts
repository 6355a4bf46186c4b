/**
 * Transactions that carry settings for their statements: who is acting and from where (control database, read by
 * the audit triggers), or which role and JWT claims a project API request runs with (organization databases).
 * The settings are transaction-local and set in the same round trip as `begin`.
 * Postgres errors come out as CanopyErrors where they are the caller's to know.
 */
import type pg from 'pg';
import { fromPostgresError } from '../errors.ts';

/** Anything that lends a connection: a pool, or a project's pool (projects/databases.ts). */
type Connections = { connect(): Promise<pg.PoolClient> };

/** `set_config(key, value, true), …`: settings local to the transaction, as escaped literals. */
const localSettings = (client: pg.PoolClient, settings: Record<string, string>) =>
  Object.entries(settings)
    .map(([key, value]) => `set_config(${client.escapeLiteral(key)}, ${client.escapeLiteral(value)}, true)`)
    .join(', ');

export async function transactionWithSettings<T>(
  pool: Connections,
  settings: Record<string, string>,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    // One round trip for both: a simple query may hold several statements (its values are escaped literals).
    await client.query(`begin; select ${localSettings(client, settings)}`);
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw fromPostgresError(error as object) ?? error;
  } finally {
    client.release();
  }
}

/**
 * One statement with settings, in one round trip where transactionWithSettings takes three: the statements of one
 * simple query run as one transaction, so the settings hold for the statement and end with it. For hot reads (a
 * download's object row). `statement` puts its values in with `literal` (escaped literals).
 */
export async function statementWithSettings<R extends pg.QueryResultRow>(
  pool: Connections,
  settings: Record<string, string>,
  statement: (literal: (value: string) => string) => string,
): Promise<R[]> {
  const client = await pool.connect();
  try {
    const text = `select ${localSettings(client, settings)}; ${statement((value) => client.escapeLiteral(value))}`;
    const results = (await client.query(text)) as unknown as Array<pg.QueryResult<R>>;
    return results[1].rows;
  } catch (error) {
    throw fromPostgresError(error as object) ?? error;
  } finally {
    client.release();
  }
}

export interface Actor {
  userId: string | null;
  ip: string;
  userAgent: string;
}

/** On the control database: audit entries written inside name the actor, IP and user agent. */
export function actingTransaction<T>(pool: pg.Pool, actor: Actor, work: (client: pg.PoolClient) => Promise<T>) {
  return transactionWithSettings(
    pool,
    { 'canopy.user_id': actor.userId ?? '', 'canopy.client_ip': actor.ip, 'canopy.user_agent': actor.userAgent },
    work,
  );
}
