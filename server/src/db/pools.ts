/**
 * Connection pools. Owner connections act as canopy_owner (migrations, the worker, and the server's few privileged
 * calls such as sign-in), whichever role logs in; the control API's connections log in as canopy_authenticator,
 * which can only become a visitor or nobody.
 */
import pg from 'pg';

/** The same connection, acting as canopy_owner from its first statement (a startup option, not a SET later). */
export function asOwner(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', '-c role=canopy_owner');
  return parsed.toString();
}

/** A pool of `max` connections to `url`; its connections are made by `Client` (pg.Client, or a subclass that counts). */
export function createPool(url: string, max = 10, Client?: typeof pg.Client): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, ...(Client && { Client }) });
  // A connection that fails (Postgres restarted, network gone) is logged and replaced, never fatal to the process.
  const logFailure = (error: Error) => console.error('[pg] a connection failed:', error.message);
  pool.on('error', logFailure);
  pool.on('connect', (client) => client.on('error', logFailure));
  return pool;
}
