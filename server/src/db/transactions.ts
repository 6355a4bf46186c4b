/**
 * A transaction on the owner pool that carries who is acting and from where, in the same transaction-local
 * settings the control API sets, so that audit entries written inside it name the actor, IP and user agent.
 * Postgres errors come out as CanopyErrors where they are the caller's to know.
 */
import type pg from 'pg';
import { fromPostgresError } from '../errors.ts';

export interface Actor {
  userId: string | null;
  ip: string;
  userAgent: string;
}

export async function actingTransaction<T>(
  pool: pg.Pool,
  actor: Actor,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(
      `select set_config('canopy.user_id', $1, true), set_config('canopy.client_ip', $2, true),
              set_config('canopy.user_agent', $3, true)`,
      [actor.userId ?? '', actor.ip, actor.userAgent],
    );
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw fromPostgresError(error as object) ?? error;
  } finally {
    client.release();
  }
}
