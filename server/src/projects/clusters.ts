/**
 * Data clusters: the Postgres servers that hold organization databases. The control cluster is always one; an
 * operator registers more (`npm run admin -- add-cluster`), and new organization databases go to the one with the
 * most room unless a project asks for a cluster by name.
 */
import pg from 'pg';
import { HARDEN_CLUSTER_SQL } from '../db/bootstrap.ts';
import { CanopyError } from '../errors.ts';
import type { SecretBox } from '../secrets.ts';

export const CONTROL_CLUSTER = 'control';

/** Registers (or updates) a cluster, after checking that its URL is a superuser's and hardening it. */
export async function registerCluster(
  owner: pg.Pool,
  box: SecretBox,
  cluster: { name: string; adminUrl: string; maxDatabases: number },
): Promise<void> {
  if (cluster.name === CONTROL_CLUSTER) {
    throw new CanopyError('INVALID_INPUT', 'The control cluster is always the server of ROOT_DATABASE_URL');
  }
  const client = new pg.Client(Object.assign(new URL(cluster.adminUrl), { pathname: '/postgres' }).toString());
  await client.connect();
  try {
    const { rows } = await client.query('select rolsuper from pg_roles where rolname = current_user');
    if (!rows[0]?.rolsuper) throw new CanopyError('INVALID_INPUT', 'A cluster is registered with a superuser URL');
    await client.query(HARDEN_CLUSTER_SQL);
  } finally {
    await client.end();
  }
  await owner.query(
    `insert into app_private.clusters (name, admin_url_sealed, max_databases) values ($1, $2, $3)
     on conflict (name) do update set admin_url_sealed = excluded.admin_url_sealed, max_databases = excluded.max_databases`,
    [cluster.name, box.seal(cluster.adminUrl), cluster.maxDatabases],
  );
}

export async function listClusters(owner: pg.Pool) {
  const { rows } = await owner.query<{ name: string; max_databases: number; databases: number }>(
    `select c.name, c.max_databases, count(d.organization_id)::int as databases
     from app_private.clusters c left join app_private.organization_databases d on d.cluster_id = c.id
     group by c.id order by c.created_at`,
  );
  return rows;
}
