/**
 * Transactions that carry settings for their statements: who is acting and from where (control database, read by
 * the audit triggers), or which role and JWT claims a project API request runs with (organization databases).
 * The settings are transaction-local and set in the same round trip as `begin`.
 * Postgres errors come out as CanopyErrors where they are the caller's to know.
 */
import type pg from 'pg';
import { fromPostgresError } from '../errors.ts';

export async function transactionWithSettings<T>(
  pool: { connect(): Promise<pg.PoolClient> },
  settings: Record<string, string>,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    // One round trip for both: a simple query may hold several statements (its values are escaped literals).
    const assignments = Object.entries(settings).map(
      ([key, value]) => `set_config(${client.escapeLiteral(key)}, ${client.escapeLiteral(value)}, true)`,
    );
    await client.query(`begin; select ${assignments.join(', ')}`);
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
