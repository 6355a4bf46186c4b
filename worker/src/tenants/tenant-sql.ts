/**
 * Applies the versioned SQL under db/tenant/<kind>/ to one organization database, recording each file in
 * `canopy.tenant_migrations` under a scope ('org', or a project's ref), so that a file is applied once per scope and
 * a new one can be rolled out to the whole fleet, resumably. `:NAME` placeholders become quoted identifiers.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const TENANT_DIR = fileURLToPath(new URL('../../../db/tenant/', import.meta.url));

export type TenantKind = 'org' | 'project';

export async function tenantFiles(dir: string, kind: TenantKind): Promise<string[]> {
  return (await fs.readdir(path.join(dir, kind))).filter((file) => file.endsWith('.sql')).sort();
}

export async function applyTenantFiles(
  client: pg.Client,
  dir: string,
  kind: TenantKind,
  scope: string,
  placeholders: Record<string, string> = {},
): Promise<void> {
  // Concurrent jobs (two projects of one new organization) would otherwise race on these catalog rows.
  await client.query(`
    begin;
    select pg_advisory_xact_lock(hashtext('canopy:tenant_migrations'));
    create schema if not exists canopy;
    create table if not exists canopy.tenant_migrations (
      scope text not null,
      filename text not null,
      applied_at timestamptz not null default now(),
      primary key (scope, filename)
    );
    revoke all on canopy.tenant_migrations from public;
    commit;
  `);
  for (const filename of await tenantFiles(dir, kind)) {
    const sql = fillPlaceholders(await fs.readFile(path.join(dir, kind, filename), 'utf8'), placeholders, client);
    await client.query('begin');
    try {
      // One applier per scope at a time; the second finds the file recorded and skips it.
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`tenant:${scope}`]);
      const { rowCount } = await client.query(
        'select from canopy.tenant_migrations where scope = $1 and filename = $2',
        [scope, filename],
      );
      if (rowCount === 0) {
        await client.query(sql);
        await client.query('insert into canopy.tenant_migrations (scope, filename) values ($1, $2)', [scope, filename]);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw new Error(`db/tenant/${kind}/${filename}: ${(error as Error).message}`);
    }
  }
}

/** Replaces `:NAME` placeholders (not `::casts`) with quoted identifiers. */
export function fillPlaceholders(sql: string, placeholders: Record<string, string>, client: pg.Client): string {
  return sql.replace(/(?<!:):([A-Z][A-Z_]*)\b/g, (_match, name: string) => {
    const value = placeholders[name];
    if (value === undefined) throw new Error(`No value for the placeholder :${name}`);
    return client.escapeIdentifier(value);
  });
}
