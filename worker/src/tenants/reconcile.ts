/**
 * Reconciling what exists with what the control database says: Canopy databases, roles, schemas and buckets that no
 * row accounts for (orphans: left by a crash before a row was written, or by a restore), and those a row says exist
 * but do not (missing). Only objects tagged with this installation's id are considered, so another Canopy sharing
 * the Postgres server or S3 is never touched. With `repair`, orphans are removed and the missing objects of active
 * and paused projects are provisioned again (every provisioning step is idempotent).
 */
import type pg from 'pg';
import { projectBucket } from '../../../server/src/storage/s3.ts';
import { provisionProject } from '../tasks/project__provision.ts';
import { organizationNames, projectNames } from './names.ts';
import {
  BUCKET_MARKER,
  findOrganizationDatabase,
  installationTag,
  loadProject,
  placeOrganization,
  removeBucket,
  setProjectReachable,
  withClient,
  type WorkerContext,
} from './projects.ts';

export interface Findings {
  /** `objectBytes`: S3 keys of stored objects no metadata row names (`<bucket>/<key>`). */
  orphans: { databases: string[]; roles: string[]; schemas: string[]; buckets: string[]; objectBytes: string[] };
  /** Active or paused projects with something missing, and what. */
  missing: Array<{ projectId: string; ref: string; objects: string[] }>;
}

interface Project {
  id: string;
  ref: string;
  organizationId: string;
  organizationRef: string;
  clusterId: string | null;
  status: string;
}

/** Statuses whose objects must all exist. Projects in other live statuses are mid-job: neither missing nor orphans. */
const SETTLED = ['active', 'paused'];

/** An upload stores its bytes first and its row after: bytes younger than this may just be waiting for their row. */
const UPLOAD_GRACE_MS = 15 * 60_000;

export async function reconcile(
  ctx: WorkerContext,
  { repair, uploadGraceMs = UPLOAD_GRACE_MS }: { repair: boolean; uploadGraceMs?: number },
): Promise<Findings> {
  const tag = await installationTag(ctx);
  const { rows: projects } = await ctx.owner.query<Project>(
    `select p.id, p.ref, p.organization_id as "organizationId", o.ref as "organizationRef", d.cluster_id as "clusterId", p.status
     from app_public.projects p join app_public.organizations o on o.id = p.organization_id
     left join app_private.organization_databases d on d.organization_id = p.organization_id
     where p.status <> 'deleted'`,
  );
  const { rows: placements } = await ctx.owner.query<{ ref: string; clusterId: string }>(
    `select o.ref, d.cluster_id as "clusterId"
     from app_private.organization_databases d join app_public.organizations o on o.id = d.organization_id`,
  );
  const { rows: clusters } = await ctx.owner.query<{ id: string; admin_url_sealed: string | null }>(
    'select id, admin_url_sealed from app_private.clusters',
  );

  const findings: Findings = {
    orphans: { databases: [], roles: [], schemas: [], buckets: [], objectBytes: [] },
    missing: [],
  };
  const missing = new Map<Project, string[]>();
  const miss = (project: Project, object: string) => missing.set(project, [...(missing.get(project) ?? []), object]);
  const knownRefs = new Set(projects.map((project) => project.ref));

  for (const server of await groupByServer(ctx, clusters)) {
    const { at, clusterIds } = server;
    const here = projects.filter((project) => project.clusterId && clusterIds.includes(project.clusterId));
    const expectedDatabases = placements.filter((p) => clusterIds.includes(p.clusterId)).map((p) => organizationNames(p.ref));
    const expectedRoles = new Set([
      ...expectedDatabases.map((names) => names.authenticator),
      ...here.flatMap((project) => Object.values(roleNames(project.ref))),
    ]);
    const present = await withClient(at('postgres'), async (client) => ({
      databases: await tagged(client, 'databases', tag),
      roles: await tagged(client, 'roles', tag),
    }));
    findings.orphans.databases.push(
      ...present.databases.filter((name) => !expectedDatabases.some((names) => names.database === name)),
    );
    findings.orphans.roles.push(...present.roles.filter((name) => !expectedRoles.has(name)));

    for (const project of here.filter((p) => SETTLED.includes(p.status))) {
      const database = organizationNames(project.organizationRef).database;
      if (!present.databases.includes(database)) miss(project, `database ${database}`);
      const { authenticator } = organizationNames(project.organizationRef);
      for (const role of [authenticator, ...Object.values(roleNames(project.ref))]) {
        if (!present.roles.includes(role)) miss(project, `role ${role}`);
      }
    }
    for (const { database } of expectedDatabases.filter((names) => present.databases.includes(names.database))) {
      const schemas = await withClient(at(database), async (client) =>
        (await client.query<{ name: string }>(`select nspname as name from pg_namespace where nspname like 'p\\_%'`)).rows.map(
          (row) => row.name,
        ),
      );
      findings.orphans.schemas.push(
        ...schemas.filter((schema) => !knownRefs.has(schema.slice(2, 22))).map((schema) => `${database}.${schema}`),
      );
      for (const project of here.filter((p) => SETTLED.includes(p.status) && organizationNames(p.organizationRef).database === database)) {
        const names = projectNames(project.ref);
        for (const schema of [names.schema, names.authSchema, names.storageSchema]) {
          if (!schemas.includes(schema)) miss(project, `schema ${schema}`);
        }
      }
    }
    if (repair) await removeOrphans(at, findings.orphans, present.databases);
  }

  for (const { name } of await ctx.s3.listBuckets()) {
    if (name.startsWith('canopy-') && !knownRefs.has(name.slice('canopy-'.length)) && (await bucketIsOurs(ctx, name, tag))) {
      findings.orphans.buckets.push(name);
    }
  }
  for (const project of projects.filter((p) => SETTLED.includes(p.status))) {
    const bucket = projectBucket(project.ref);
    if (!(await ctx.s3.bucketExists(bucket))) {
      miss(project, `bucket ${bucket}`);
      continue;
    }
    const { bytes, rows } = await storedObjects(ctx, project, bucket, uploadGraceMs);
    for (const key of bytes) if (!rows.has(key)) findings.orphans.objectBytes.push(`${bucket}/${key}`);
    for (const [key, name] of rows) if (!bytes.has(key)) miss(project, `bytes of ${name}`);
  }
  findings.missing = [...missing].map(([project, objects]) => ({ projectId: project.id, ref: project.ref, objects }));

  if (repair) {
    for (const bucket of findings.orphans.buckets) await removeBucket(ctx, bucket);
    for (const path of findings.orphans.objectBytes) {
      const [bucket, ...key] = path.split('/');
      await ctx.s3.removeObject(bucket, key.join('/'));
    }
    for (const { projectId, objects } of findings.missing) await reprovision(ctx, projectId, objects);
  }
  await ctx.owner.query('insert into app_private.reconcile_reports (repaired, findings) values ($1, $2)', [
    repair,
    JSON.stringify(findings),
  ]);
  return findings;
}

/**
 * A project's stored objects: the S3 keys of their bytes (older than an upload takes), and the keys and names its
 * storage metadata holds (read as a superuser: reconciling is not subject to the project's policies).
 */
async function storedObjects(ctx: WorkerContext, project: Project, bucket: string, graceMs: number) {
  const bytes = new Set<string>();
  for await (const item of ctx.s3.listObjectsV2(bucket, 'objects/', true)) {
    if (item.name && item.lastModified && Date.now() - item.lastModified.getTime() >= graceMs) bytes.add(item.name);
  }
  const org = await findOrganizationDatabase(ctx, project.organizationId);
  const rows = new Map<string, string>();
  if (org) {
    await withClient(org.adminUrl(org.database), async (client) => {
      const schema = client.escapeIdentifier(`p_${project.ref}_storage`);
      const exists = await client.query('select to_regclass($1) as objects', [`p_${project.ref}_storage.objects`]);
      if (!exists.rows[0].objects) return;
      const result = await client.query<{ id: string; name: string; bucket_id: string }>(
        `select id, name, bucket_id from ${schema}.objects where created_at <= now() - make_interval(secs => $1)`,
        [graceMs / 1000],
      );
      for (const row of result.rows) rows.set(`objects/${row.id}`, `${row.bucket_id}/${row.name}`);
    });
  }
  return { bytes, rows };
}

function roleNames(ref: string) {
  const { anon, authenticated, service, owner, authenticator } = projectNames(ref);
  return { anon, authenticated, service, owner, authenticator };
}

/**
 * Cluster rows grouped by the Postgres server they reach (its system identifier): two rows naming one server under
 * two host names must not see each other's databases as orphans.
 */
async function groupByServer(ctx: WorkerContext, clusters: Array<{ id: string; admin_url_sealed: string | null }>) {
  const servers = new Map<string, { at: (database: string) => string; clusterIds: string[] }>();
  for (const cluster of clusters) {
    const root = cluster.admin_url_sealed ? ctx.box.open(cluster.admin_url_sealed) : ctx.controlRootUrl;
    const at = (database: string) => Object.assign(new URL(root), { pathname: `/${database}` }).toString();
    const identifier = await withClient(at('postgres'), async (client) =>
      String((await client.query('select system_identifier from pg_control_system()')).rows[0].system_identifier),
    );
    const server = servers.get(identifier) ?? { at, clusterIds: [] };
    server.clusterIds.push(cluster.id);
    servers.set(identifier, server);
  }
  return [...servers.values()];
}

/** Names of the databases or roles tagged (by comment) with this installation. */
const TAGGED = {
  databases: `select datname as name from pg_database d where shobj_description(d.oid, 'pg_database') = $1`,
  roles: `select rolname as name from pg_roles r where shobj_description(r.oid, 'pg_authid') = $1`,
};

async function tagged(client: pg.Client, what: keyof typeof TAGGED, tag: string): Promise<string[]> {
  return (await client.query<{ name: string }>(TAGGED[what], [tag])).rows.map((row) => row.name);
}

async function bucketIsOurs(ctx: WorkerContext, bucket: string, tag: string): Promise<boolean> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await ctx.s3.getObject(bucket, BUCKET_MARKER)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString() === tag;
  } catch {
    return false;
  }
}

/** Drops one cluster's orphans: schemas first, then databases, then roles (with what they own in our databases). */
async function removeOrphans(at: (database: string) => string, orphans: Findings['orphans'], ourDatabases: string[]) {
  for (const qualified of orphans.schemas) {
    const [database, schema] = qualified.split('.');
    if (!ourDatabases.includes(database)) continue;
    await withClient(at(database), (client) => client.query(`drop schema if exists ${client.escapeIdentifier(schema)} cascade`));
  }
  await withClient(at('postgres'), async (client) => {
    const id = (name: string) => client.escapeIdentifier(name);
    for (const database of orphans.databases) await client.query(`drop database if exists ${id(database)} with (force)`);
    const remaining = ourDatabases.filter((database) => !orphans.databases.includes(database));
    for (const role of orphans.roles) {
      if ((await client.query('select from pg_roles where rolname = $1', [role])).rowCount === 0) continue;
      for (const database of remaining) {
        await withClient(at(database), (tenant) => tenant.query(`drop owned by ${tenant.escapeIdentifier(role)}`));
      }
      await client.query(`drop role ${id(role)}`);
    }
  });
}

/**
 * Provisions a settled project again (idempotent steps), keeping a paused one paused. A missing schema means its
 * db/tenant/project/ files must run again, so their records for this project are forgotten first (those files are
 * written to be re-runnable, as README.md asks).
 */
async function reprovision(ctx: WorkerContext, projectId: string, objects: string[]) {
  const project = await loadProject(ctx, projectId);
  if (!project || !SETTLED.includes(project.status)) return;
  if (objects.some((object) => object.startsWith('database ') || object.startsWith('role o_'))) {
    // The organization's database itself must be made again, not skipped as ready.
    await ctx.owner.query('update app_private.organization_databases set ready_at = null where organization_id = $1', [
      project.organizationId,
    ]);
  }
  const org = await placeOrganization(ctx, project.organizationId);
  if (objects.some((object) => object.startsWith('schema '))) {
    await withClient(org.adminUrl(org.database), (client) =>
      client.query('delete from canopy.tenant_migrations where scope = $1', [project.ref]),
    );
  }
  await provisionProject(ctx, project);
  if (project.status === 'paused') await setProjectReachable(project, org, false);
}
