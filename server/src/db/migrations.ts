/**
 * Brings the control database up to date: roles and database (bootstrap), graphile-worker's schema, then the
 * committed migrations from db/migrations/ with the policies re-applied. Runs at every start; each part is a no-op
 * when there is nothing to do.
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { migrate, type Settings } from 'graphile-migrate';
import { runMigrations } from 'graphile-worker';
import JSON5 from 'json5';
import type { DatabaseUrls } from '../local/services.ts';
import { bootstrapControlDatabase, databaseName } from './bootstrap.ts';
import { asOwner, createPool } from './pools.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export async function prepareControlDatabase(database: DatabaseUrls, authenticatorPassword: string): Promise<void> {
  await bootstrapControlDatabase(database.rootUrl, databaseName(database.url), authenticatorPassword);
  const pool = createPool(asOwner(database.url), 1);
  try {
    await runMigrations({ pgPool: pool });
  } finally {
    await pool.end();
  }
  await migrate(await migrateSettings(database), false, true);
}

/** .gmrc with the connection strings filled in. */
export async function migrateSettings(database: DatabaseUrls): Promise<Settings> {
  const gmrc = JSON5.parse(await fs.readFile(`${REPO_ROOT}/.gmrc`, 'utf8'));
  return {
    ...gmrc,
    migrationsFolder: `${REPO_ROOT}/db/migrations`,
    connectionString: asOwner(database.url),
    shadowConnectionString: database.shadowUrl && asOwner(database.shadowUrl),
    rootConnectionString: database.rootUrl,
  };
}
