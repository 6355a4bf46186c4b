/**
 * Applies db/policies/*.sql (RLS policies and grants) in name order, as canopy_owner, in one transaction. Every file
 * is idempotent, so this runs after every migration. graphile-migrate runs this file as a command, giving the
 * database in GM_DBURL.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const POLICIES_DIR = fileURLToPath(new URL('../../../db/policies/', import.meta.url));

export async function applyPolicies(connectionString: string): Promise<void> {
  const files = (await fs.readdir(POLICIES_DIR)).filter((file) => file.endsWith('.sql')).sort();
  const client = new pg.Client(connectionString);
  await client.connect();
  try {
    await client.query('begin');
    await client.query('set local role canopy_owner');
    for (const file of files) {
      try {
        await client.query(await fs.readFile(path.join(POLICIES_DIR, file), 'utf8'));
      } catch (error) {
        throw new Error(`db/policies/${file}: ${(error as Error).message}`);
      }
    }
    await client.query('commit');
  } finally {
    await client.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.GM_DBURL;
  if (!url) throw new Error('GM_DBURL is not set: this runs as a graphile-migrate action');
  await applyPolicies(url);
}
