/**
 * What exists in Postgres and S3 for an organization and its projects, and the idempotent steps that make and
 * unmake it. Every step creates what is missing and leaves what exists, so a job that crashed anywhere is healed by
 * running it again; the tasks in ../tasks/ are these steps in order.
 */
import { randomBytes } from 'node:crypto';
import type * as Minio from 'minio';
import pg from 'pg';
import type { Config } from '../../../server/src/config.ts';
import type { SecretBox } from '../../../server/src/secrets.ts';
import { projectBucket } from '../../../server/src/storage/s3.ts';
import { organizationNames, projectNames } from './names.ts';
import { scramVerifier } from './scram.ts';
import { applyTenantFiles } from './tenant-sql.ts';

export interface WorkerContext {
  config: Config;
  /** The control database, as canopy_owner. */
  owner: pg.Pool;
  /** A superuser on the control cluster (the default data cluster). */
  controlRootUrl: string;
  box: SecretBox;
  s3: Minio.Client;
  s3Region: string;
  /** db/tenant/, the versioned SQL of organization databases and project schemas. */
  tenantDir: string;
}

export interface ProjectRow {
  id: string;
  ref: string;
  organizationId: string;
  organizationRef: string;
  status: string;
  requestedCluster: string | null;
}

export async function loadProject(ctx: WorkerContext, id: string): Promise<ProjectRow | undefined> {
  const { rows } = await ctx.owner.query<ProjectRow>(
    `select p.id, p.ref, p.organization_id as "organizationId", o.ref as "organizationRef", p.status,
            p.requested_cluster as "requestedCluster"
     from app_public.projects p join app_public.organizations o on o.id = p.organization_id where p.id = $1`,
    [id],
  );
  return rows[0];
}

/** Moves a project on, but only from the status the job was started for (a user may have moved it meanwhile). */
export async function setProjectStatus(ctx: WorkerContext, id: string, from: string, to: string, reason?: string) {
  await ctx.owner.query(
    `update app_public.projects set status = $3::app_public.project_status, status_reason = $4,
       deleted_at = case when $3::text = 'deleted' then now() else deleted_at end
     where id = $1 and status = $2::app_public.project_status`,
    [id, from, to, reason ?? null],
  );
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A job on one project: does nothing unless the project is (still) in `status`, runs `work`, then moves the project
 * to `next`. A crash before the move leaves the status as it was, so the retry runs `work` again.
 */
export function projectJob(
  ctx: WorkerContext,
  status: string | string[],
  work: (project: ProjectRow) => Promise<void>,
  next?: string,
) {
  const statuses = [status].flat();
  return async (payload: unknown) => {
    const project = await loadProject(ctx, (payload as { id: string }).id);
    if (!project || !statuses.includes(project.status)) return;
    await work(project);
    if (next) await setProjectStatus(ctx, project.id, project.status, next);
  };
}

/* ------------------------------------------------------------------ organization databases */

export interface OrganizationDatabase {
  organizationId: string;
  ref: string;
  /** Whether ensureOrganizationDatabase has completed since the database was placed. */
  ready: boolean;
  database: string;
  authenticator: string;
  authenticatorPassword: string;
  /** A superuser URL on the organization's cluster, for the given database. */
  adminUrl(database: string): string;
}

/**
 * The organization's database record, placing it the first time on the requested cluster or else on the data
 * cluster with the most room. Placement is a row in the control database; ensureOrganizationDatabase makes it real.
 */
export async function placeOrganization(
  ctx: WorkerContext,
  organizationId: string,
  requestedCluster: string | null = null,
): Promise<OrganizationDatabase> {
  await ctx.owner.query(
    `insert into app_private.organization_databases (organization_id, cluster_id, authenticator_password_sealed)
     select $1, c.id, $2
     from app_private.clusters c left join app_private.organization_databases d on d.cluster_id = c.id
     where c.name = coalesce($3, c.name)
     group by c.id
     having count(d.organization_id) < c.max_databases
     order by c.max_databases - count(d.organization_id) desc, c.created_at
     limit 1
     on conflict (organization_id) do nothing`,
    [organizationId, ctx.box.seal(newSecret()), requestedCluster],
  );
  const placed = await findOrganizationDatabase(ctx, organizationId);
  if (!placed) throw new Error(`No data cluster${requestedCluster ? ` named ${requestedCluster}` : ''} has room`);
  return placed;
}

/**
 * The tag on every database, role and bucket this installation makes, so that reconciling never mistakes another
 * installation's objects (sharing a Postgres server or S3) for orphans.
 */
export async function installationTag(ctx: WorkerContext): Promise<string> {
  const { rows } = await ctx.owner.query<{ id: string }>('select id from app_private.installation');
  return `canopy:${rows[0].id}`;
}

/** Where a bucket records which installation made it (S3 tagging is not available everywhere). */
export const BUCKET_MARKER = '.canopy-installation';

export async function findOrganizationDatabase(
  ctx: WorkerContext,
  organizationId: string,
): Promise<OrganizationDatabase | undefined> {
  const { rows } = await ctx.owner.query<{ ref: string; password: string; admin_url_sealed: string | null; ready: boolean }>(
    `select o.ref, d.authenticator_password_sealed as password, c.admin_url_sealed, d.ready_at is not null as ready
     from app_private.organization_databases d
     join app_public.organizations o on o.id = d.organization_id
     join app_private.clusters c on c.id = d.cluster_id
     where d.organization_id = $1`,
    [organizationId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const clusterUrl = row.admin_url_sealed ? ctx.box.open(row.admin_url_sealed) : ctx.controlRootUrl;
  const names = organizationNames(row.ref);
  return {
    organizationId,
    ref: row.ref,
    ready: row.ready,
    ...names,
    authenticatorPassword: ctx.box.open(row.password),
    adminUrl: (database) => Object.assign(new URL(clusterUrl), { pathname: `/${database}` }).toString(),
  };
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Catalog changes of one organization (its database's privileges, its roles and their grants) are made by one job
 * at a time: two projects provisioning at once would otherwise update the same catalog rows concurrently, which
 * Postgres refuses ("tuple concurrently updated"). The lock is held by a session on the cluster's maintenance
 * database, so it covers work done over any connection, and is released when that session ends.
 */
export async function withOrganizationLock<T>(org: OrganizationDatabase, work: () => Promise<T>): Promise<T> {
  return withClient(org.adminUrl('postgres'), async (lock) => {
    await lock.query('select pg_advisory_lock(hashtext($1))', [`canopy:organization:${org.ref}`]);
    return work();
  });
}

/**
 * Creates a role with its attributes in one statement if it is missing, and tags it; a role that exists is left as
 * it is (pause, resume and password resets change attributes explicitly). Callers hold the organization lock.
 */
async function ensureRole(
  client: pg.Client,
  role: string,
  attributes: string | (() => Promise<string>),
  tag: string,
): Promise<void> {
  const name = client.escapeIdentifier(role);
  const { rows } = await client.query<{ tag: string | null }>(
    `select shobj_description(oid, 'pg_authid') as tag from pg_roles where rolname = $1`,
    [role],
  );
  if (rows.length === 0) {
    await client.query(`create role ${name} ${typeof attributes === 'string' ? attributes : await attributes()}`);
  }
  if (rows[0]?.tag !== tag) await client.query(`comment on role ${name} is ${client.escapeLiteral(tag)}`);
}

async function passwordAttribute(client: pg.Client, password: string): Promise<string> {
  return `password ${client.escapeLiteral(await scramVerifier(password))}`;
}

/** Makes the organization's database whole; once it is (`ready`), later projects skip this. */
export async function ensureOrganizationDatabase(ctx: WorkerContext, org: OrganizationDatabase): Promise<void> {
  if (org.ready) return;
  const tag = await installationTag(ctx);
  await withOrganizationLock(org, () => createOrganizationDatabase(org, tag));
  await withClient(org.adminUrl(org.database), (client) => applyOrganizationFiles(ctx, client, org));
  await ctx.owner.query('update app_private.organization_databases set ready_at = now() where organization_id = $1', [
    org.organizationId,
  ]);
}

/** db/tenant/org/, where `:AUTHENTICATOR` is the organization's authenticator. */
function applyOrganizationFiles(ctx: WorkerContext, client: pg.Client, org: OrganizationDatabase) {
  return applyTenantFiles(client, ctx.tenantDir, 'org', 'org', { AUTHENTICATOR: org.authenticator });
}

async function createOrganizationDatabase(org: OrganizationDatabase, tag: string): Promise<void> {
  await withClient(org.adminUrl('postgres'), async (client) => {
    const database = client.escapeIdentifier(org.database);
    const { rowCount } = await client.query('select from pg_database where datname = $1', [org.database]);
    if (rowCount === 0) {
      try {
        await client.query(`create database ${database}`);
      } catch (error) {
        // Created meanwhile by another job: 42P04, or 23505 when both inserted into pg_database at once.
        if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
      }
    }
    await client.query(`comment on database ${database} is ${client.escapeLiteral(tag)}`);
    // Nobody may connect or create temporary tables unless granted: no tenant reaches another's database.
    await client.query(`revoke all on database ${database} from public`);
    await ensureRole(
      client,
      org.authenticator,
      async () => `login noinherit ${await passwordAttribute(client, org.authenticatorPassword)}`,
      tag,
    );
    await client.query(`grant connect on database ${database} to ${client.escapeIdentifier(org.authenticator)}`);
  });
}

/* ------------------------------------------------------------------ projects */

/** The passwords of the project's two logins, each generated once and kept sealed. */
async function projectPasswords(ctx: WorkerContext, projectId: string): Promise<{ owner: string; authenticator: string }> {
  const { rows } = await ctx.owner.query(
    `insert into app_private.project_secrets (project_id, owner_password_sealed, authenticator_password_sealed)
     values ($1, $2, $3)
     on conflict (project_id) do update
       set authenticator_password_sealed = coalesce(project_secrets.authenticator_password_sealed, excluded.authenticator_password_sealed)
     returning owner_password_sealed as owner, authenticator_password_sealed as authenticator`,
    [projectId, ctx.box.seal(newSecret()), ctx.box.seal(newSecret())],
  );
  return { owner: ctx.box.open(rows[0].owner), authenticator: ctx.box.open(rows[0].authenticator) };
}

/** Whether the project's API roles may be assumed: not while it is paused or being paused. */
const isReachable = (project: ProjectRow) => !['pausing', 'paused'].includes(project.status);

/**
 * The project's roles. Its APIs log in as its own authenticator: Postgres checks SET ROLE against the login, so a
 * login shared by several projects would let SQL written by one project's DBA (a function its API calls) become
 * another project's roles. Installations from before per-project authenticators granted the API roles to the
 * organization's authenticator; that is taken back here (the fleet migration runs this for such projects).
 */
export async function ensureProjectRoles(ctx: WorkerContext, project: ProjectRow, org: OrganizationDatabase) {
  const names = projectNames(project.ref);
  const passwords = await projectPasswords(ctx, project.id);
  const tag = await installationTag(ctx);
  await withOrganizationLock(org, () => withClient(org.adminUrl(org.database), async (client) => {
    const id = (name: string) => client.escapeIdentifier(name);
    // Read again under the lock that pausing takes too: a pause asked for since `project` was read is seen.
    const reachable = isReachable((await loadProject(ctx, project.id)) ?? project);
    const login = reachable ? 'login' : 'nologin';
    await ensureRole(client, names.anon, 'nologin noinherit', tag);
    await ensureRole(client, names.authenticated, 'nologin noinherit', tag);
    // As Supabase's service_role: the service key is trusted to see every row.
    await ensureRole(client, names.service, 'nologin noinherit bypassrls', tag);
    await ensureRole(
      client,
      names.owner,
      async () => `${login} noinherit connection limit 20 ${await passwordAttribute(client, passwords.owner)}`,
      tag,
    );
    await ensureRole(
      client,
      names.authenticator,
      async () => `${login} noinherit ${await passwordAttribute(client, passwords.authenticator)}`,
      tag,
    );
    const apiRoles = `${id(names.anon)}, ${id(names.authenticated)}, ${id(names.service)}`;
    if (reachable) await client.query(`grant ${apiRoles} to ${id(names.authenticator)}`);
    await client.query(`revoke ${apiRoles} from ${id(org.authenticator)}`);
    await client.query(`grant connect on database ${id(org.database)} to ${id(names.owner)}, ${id(names.authenticator)}`);
  }));
}

export async function ensureProjectSchemas(ctx: WorkerContext, project: ProjectRow, org: OrganizationDatabase) {
  await withClient(org.adminUrl(org.database), (client) => applyProjectFiles(ctx, client, project.ref));
}

/** db/tenant/project/ for one project, over a connection to its organization's database. */
export function applyProjectFiles(ctx: WorkerContext, client: pg.Client, ref: string) {
  return applyTenantFiles(client, ctx.tenantDir, 'project', ref, projectPlaceholders(ref));
}

/** What `:NAME` stands for in db/tenant/project/ files. */
export function projectPlaceholders(ref: string): Record<string, string> {
  const names = projectNames(ref);
  return {
    SCHEMA: names.schema,
    AUTH_SCHEMA: names.authSchema,
    STORAGE_SCHEMA: names.storageSchema,
    OWNER: names.owner,
    ANON: names.anon,
    AUTHENTICATED: names.authenticated,
    SERVICE: names.service,
  };
}

export async function ensureProjectKeys(ctx: WorkerContext, project: ProjectRow) {
  await ctx.owner.query(
    `update app_private.project_secrets set jwt_secret_sealed = $2, keys_issued_at = now()
     where project_id = $1 and jwt_secret_sealed is null`,
    [project.id, ctx.box.seal(newSecret())],
  );
}

export async function ensureProjectBucket(ctx: WorkerContext, project: ProjectRow) {
  const bucket = projectBucket(project.ref);
  if (!(await ctx.s3.bucketExists(bucket))) {
    try {
      await ctx.s3.makeBucket(bucket, ctx.s3Region);
    } catch (error) {
      if ((error as { code?: string }).code !== 'BucketAlreadyOwnedByYou') throw error;
    }
  }
  await ctx.s3.putObject(bucket, BUCKET_MARKER, Buffer.from(await installationTag(ctx)));
}

/** Pausing takes the project's roles out of reach: its logins cannot log in, its API roles cannot be assumed. */
export async function setProjectReachable(project: ProjectRow, org: OrganizationDatabase, reachable: boolean) {
  const names = projectNames(project.ref);
  await withOrganizationLock(org, () => withClient(org.adminUrl(org.database), async (client) => {
    const id = (name: string) => client.escapeIdentifier(name);
    const apiRoles = `${id(names.anon)}, ${id(names.authenticated)}, ${id(names.service)}`;
    const logins = [names.owner, names.authenticator];
    for (const login of logins) await client.query(`alter role ${id(login)} ${reachable ? 'login' : 'nologin'}`);
    if (reachable) {
      await client.query(`grant ${apiRoles} to ${id(names.authenticator)}`);
    } else {
      await client.query(`revoke ${apiRoles} from ${id(names.authenticator)}`);
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = any($1)', [logins]);
    }
  }));
}

/** Pausing or resuming: the project's roles are made whole first (one from before per-project logins gets its own). */
export async function switchProjectReachable(ctx: WorkerContext, project: ProjectRow, reachable: boolean) {
  const org = await placeOrganization(ctx, project.organizationId);
  await ensureProjectRoles(ctx, project, org);
  await setProjectReachable(project, org, reachable);
}

export async function rotateJwtSecret(ctx: WorkerContext, project: ProjectRow) {
  await ctx.owner.query(
    'update app_private.project_secrets set jwt_secret_sealed = $2, keys_issued_at = now() where project_id = $1',
    [project.id, ctx.box.seal(newSecret())],
  );
}

export async function resetDatabasePassword(ctx: WorkerContext, project: ProjectRow, org: OrganizationDatabase) {
  const password = newSecret();
  const owner = projectNames(project.ref).owner;
  await withClient(org.adminUrl(org.database), async (client) =>
    client.query(`alter role ${client.escapeIdentifier(owner)} ${await passwordAttribute(client, password)}`),
  );
  await ctx.owner.query('update app_private.project_secrets set owner_password_sealed = $2 where project_id = $1', [
    project.id,
    ctx.box.seal(password),
  ]);
}

/** Removes everything a project made: schemas, roles, bucket, secrets. Safe on a half-provisioned project. */
export async function removeProject(ctx: WorkerContext, project: ProjectRow) {
  const names = projectNames(project.ref);
  const org = await findOrganizationDatabase(ctx, project.organizationId);
  if (org) {
    await withOrganizationLock(org, () => withClient(org.adminUrl('postgres'), async (client) => {
      const { rowCount } = await client.query('select from pg_database where datname = $1', [org.database]);
      if (rowCount === 0) return;
      await withClient(org.adminUrl(org.database), async (tenant) => {
        const id = (name: string) => tenant.escapeIdentifier(name);
        for (const schema of [names.schema, names.authSchema, names.storageSchema]) {
          await tenant.query(`drop schema if exists ${id(schema)} cascade`);
        }
        for (const role of [names.authenticator, names.anon, names.authenticated, names.service, names.owner]) {
          const { rowCount: exists } = await tenant.query('select from pg_roles where rolname = $1', [role]);
          if (exists === 0) continue;
          await tenant.query(`drop owned by ${id(role)}`);
          await tenant.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [role]);
          await tenant.query(`drop role ${id(role)}`);
        }
        await tenant.query('delete from canopy.tenant_migrations where scope = $1', [project.ref]);
      });
    }));
  }
  await removeBucket(ctx, projectBucket(project.ref));
  await ctx.owner.query('delete from app_private.project_secrets where project_id = $1', [project.id]);
}

export async function removeBucket(ctx: WorkerContext, bucket: string) {
  if (!(await ctx.s3.bucketExists(bucket))) return;
  const names: string[] = [];
  for await (const item of ctx.s3.listObjectsV2(bucket, '', true)) if (item.name) names.push(item.name);
  if (names.length > 0) await ctx.s3.removeObjects(bucket, names);
  await ctx.s3.removeBucket(bucket);
}

/** Drops the organization's database and authenticator, and forgets its placement. */
export async function removeOrganizationDatabase(ctx: WorkerContext, organizationId: string) {
  const org = await findOrganizationDatabase(ctx, organizationId);
  if (!org) return;
  await withClient(org.adminUrl('postgres'), async (client) => {
    await client.query(`drop database if exists ${client.escapeIdentifier(org.database)} with (force)`);
    await client.query(`drop role if exists ${client.escapeIdentifier(org.authenticator)}`);
  });
  await ctx.owner.query('delete from app_private.organization_databases where organization_id = $1', [organizationId]);
}

/* ------------------------------------------------------------------ fleet migrations */

/** Statuses in which a project has its schemas, so new db/tenant/project/ files apply to it. */
const MIGRATABLE = ['active', 'pausing', 'paused', 'resuming'];

/**
 * Applies every db/tenant/ file an organization database and its projects have not applied yet. Each file is
 * recorded as it is applied, so an interrupted run resumes where it stopped. Projects from before per-project
 * authenticators (no login of their own, or API roles still granted to the organization's authenticator) are given
 * theirs first (ensureProjectRoles), whatever an earlier run left done.
 */
export async function migrateOrganizationDatabase(ctx: WorkerContext, organizationId: string): Promise<void> {
  const org = await findOrganizationDatabase(ctx, organizationId);
  if (!org) return;
  const { rows } = await ctx.owner.query<{ id: string; ref: string }>(
    'select id, ref from app_public.projects where organization_id = $1 and status = any($2)',
    [organizationId, MIGRATABLE],
  );
  const unfinished = await withClient(org.adminUrl(org.database), async (client) => {
    const { rows: refs } = await client.query<{ ref: string }>(
      `select p.ref from unnest($1::text[]) as p (ref)
       where not exists (select from pg_roles where rolname = 'p_' || p.ref || '_authenticator')
          or exists (select from pg_auth_members m join pg_roles granted on granted.oid = m.roleid
                     join pg_roles member on member.oid = m.member
                     where member.rolname = $2 and granted.rolname like 'p\_' || p.ref || '\_%')`,
      [rows.map((row) => row.ref), org.authenticator],
    );
    return new Set(refs.map((row) => row.ref));
  });
  for (const { id } of rows.filter((row) => unfinished.has(row.ref))) {
    const project = await loadProject(ctx, id);
    if (project) await ensureProjectRoles(ctx, project, org);
  }
  await withClient(org.adminUrl(org.database), async (client) => {
    await applyOrganizationFiles(ctx, client, org);
    for (const { ref } of rows) await applyProjectFiles(ctx, client, ref);
  });
}
