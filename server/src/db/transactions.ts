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

/** A value as an escaped SQL literal (`null` for null): for statements sent as text, in a simple query. */
export type Literal = (value: string | number | null) => string;

export const literalFor =
  (client: pg.PoolClient): Literal =>
  (value) => {
    if (value === undefined) throw new TypeError('An SQL literal of undefined');
    return value === null ? 'null' : client.escapeLiteral(String(value));
  };

/**
 * Statements with settings, in one round trip where transactionWithSettings takes three or more: the statements of
 * one simple query run as one transaction, so the settings hold for them and end with them, and if one fails none
 * has happened. For hot paths (a download's object row, an upload's row). `statements` put their values in with
 * `literal`; their results come back in order.
 */
export async function statementsWithSettings(
  pool: Connections,
  settings: Record<string, string>,
  statements: (literal: Literal) => string[],
): Promise<pg.QueryResult[]> {
  const client = await pool.connect();
  try {
    const texts = statements(literalFor(client));
    // With the settings' select, always two statements or more: pg then answers with a list of results.
    if (texts.length === 0) throw new Error('statementsWithSettings needs a statement');
    // Each ; on a line of its own: a statement that ends in a -- comment cannot hide it.
    const text = [`select ${localSettings(client, settings)}`, ...texts].join('\n;\n');
    const results = (await client.query(text)) as unknown as pg.QueryResult[];
    return results.slice(1);
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
