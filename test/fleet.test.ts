/**
 * The fleet, as an operator runs it: more data clusters, new tenant SQL rolled out to every organization and
 * project, and a reconcile that finds (and repairs) what does not match the control database.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@supabase/supabase-js';
import test from 'ava';
import { registerCluster } from '../server/src/projects/clusters.ts';
import { projectBucket } from '../server/src/storage/s3.ts';
import { installationTag, migrateOrganizationDatabase, withClient } from '../worker/src/tenants/projects.ts';
import { reconcile } from '../worker/src/tenants/reconcile.ts';
import { TENANT_DIR } from '../worker/src/tenants/tenant-sql.ts';
import { type SignedInUser, signUp } from './support/client.ts';
import { newOrganization, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
test.after.always(() => platform?.stop());

const CREATE = `mutation ($organizationId: UUID!, $name: String!, $cluster: String) {
  createProject(input: { organizationId: $organizationId, name: $name, cluster: $cluster }) { result { id ref } }
}`;

const rootUrl = (database = 'postgres') =>
  Object.assign(new URL(process.env.CANOPY_TEST_ROOT_URL!), { pathname: `/${database}` }).toString();

async function activeProject(owner: SignedInUser, organizationId: string, cluster?: string) {
  const { createProject } = await owner.client.data(CREATE, { organizationId, name: 'App', cluster });
  await waitFor(
    'the project to be active',
    async () =>
      (await platform.owner.query(`select from app_public.projects where id = $1 and status = 'active'`, [createProject.result.id]))
        .rowCount === 1,
    20_000,
  );
  return createProject.result as { id: string; ref: string };
}

// One test registers a second cluster: the same Postgres server, reached under another host name.
const SECOND_CLUSTER = (() => {
  const url = new URL(rootUrl());
  url.hostname = 'localhost';
  return url.toString();
})();

test('an operator registers another cluster; a project can ask for it, and its organization stays there', async (t) => {
  await registerCluster(platform.owner, platform.worker.box, { name: 'second', adminUrl: SECOND_CLUSTER, maxDatabases: 5 });
  const sealed = await platform.owner.query(`select admin_url_sealed from app_private.clusters where name = 'second'`);
  t.false(sealed.rows[0].admin_url_sealed.includes('localhost'), 'the admin URL is sealed at rest');

  const owner = await signUp(platform);
  const { clusterNames } = await owner.client.data('{ clusterNames { nodes } }');
  t.deepEqual(clusterNames.nodes, ['control', 'second']);
  const org = await newOrganization(platform, owner);
  await platform.owner.query(`update app_public.organizations set plan_id = 'pro' where id = $1`, [org.id]);
  const project = await activeProject(owner, org.id, 'second');
  const { rows } = await platform.owner.query(
    `select c.name from app_private.organization_databases d join app_private.clusters c on c.id = d.cluster_id
     where d.organization_id = $1`,
    [org.id],
  );
  t.deepEqual(rows, [{ name: 'second' }]);
  const { projectCredentials } = await owner.client.data(
    `query ($id: UUID!) { projectCredentials(projectId: $id) { databaseUrl } }`,
    { id: project.id },
  );
  t.is(new URL(projectCredentials.databaseUrl).hostname, 'localhost', 'the connection string names that cluster');
  t.is(await owner.client.errorCode(CREATE, { organizationId: org.id, name: 'Elsewhere', cluster: 'control' }), 'INVALID_STATE');
  t.is(await owner.client.errorCode(CREATE, { organizationId: org.id, name: 'Nowhere', cluster: 'mars' }), 'NOT_FOUND');
  await t.throwsAsync(
    registerCluster(platform.owner, platform.worker.box, { name: 'control', adminUrl: SECOND_CLUSTER, maxDatabases: 1 }),
  );
});

test('a new db/tenant file is rolled out to every existing organization and project, once', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const [a, b] = [await activeProject(owner, org.id), await activeProject(owner, org.id)];
  // A deploy that brings a new project file: here, a copy of db/tenant/ with one more file.
  const tenantDir = await mkdtemp(path.join(os.tmpdir(), 'canopy-tenant-'));
  await cp(TENANT_DIR, tenantDir, { recursive: true });
  await writeFile(path.join(tenantDir, 'project', '9999-fleet-marker.sql'), 'create table :SCHEMA.fleet_marker (id int);');
  const ctx = { ...platform.worker, tenantDir };

  await migrateOrganizationDatabase(ctx, org.id);
  await migrateOrganizationDatabase(ctx, org.id);
  await withClient(rootUrl(`org_${org.ref}`), async (client) => {
    for (const project of [a, b]) {
      const marker = await client.query(`select to_regclass($1) as table`, [`p_${project.ref}.fleet_marker`]);
      t.truthy(marker.rows[0].table);
    }
    const { rows } = await client.query(`select scope from canopy.tenant_migrations where filename = '9999-fleet-marker.sql' order by 1`);
    t.deepEqual(rows.map((row) => row.scope), [a.ref, b.ref].sort());
  });
});

/** As a project from before per-project logins was: none of its own, its API roles granted to the organization's. */
async function asBeforePerProjectLogins(organizationRef: string, ref: string) {
  const apiRoles = ['anon', 'authenticated', 'service'].map((role) => `p_${ref}_${role}`).join(', ');
  await withClient(rootUrl(`org_${organizationRef}`), async (client) => {
    await client.query(`drop owned by p_${ref}_authenticator`);
    await client.query(`drop role p_${ref}_authenticator`);
    await client.query(`grant ${apiRoles} to o_${organizationRef}_authenticator`);
  });
}

/** How many roles each of these logins is a member of. */
async function membershipsOf(logins: string[]) {
  return withClient(rootUrl(), async (client) => {
    const { rows } = await client.query<{ login: string; roles: number }>(
      `select r.rolname as login, count(m.roleid)::int as roles from pg_roles r left join pg_auth_members m on m.member = r.oid
       where r.rolname = any($1) group by r.rolname order by 1`,
      [logins],
    );
    return rows;
  });
}

async function answers(owner: SignedInUser, projectId: string) {
  const { projectCredentials } = await owner.client.data(
    `query ($id: UUID!) { projectCredentials(projectId: $id) { apiUrl anonKey } }`,
    { id: projectId },
  );
  const response = await fetch(`${projectCredentials.apiUrl}/graphql/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', apikey: projectCredentials.anonKey },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  return response.json();
}

test("the fleet migration gives a project from before per-project logins its own, and takes the organization's away", async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const project = await activeProject(owner, org.id);
  // (Or as a migration that stopped halfway left it: its login's password already sealed.)
  await asBeforePerProjectLogins(org.ref, project.ref);

  await migrateOrganizationDatabase(platform.worker, org.id);
  t.deepEqual(await membershipsOf([`p_${project.ref}_authenticator`, `o_${org.ref}_authenticator`]), [
    { login: `o_${org.ref}_authenticator`, roles: 0 },
    { login: `p_${project.ref}_authenticator`, roles: 3 },
  ]);
  t.deepEqual(await answers(owner, project.id), { data: { __typename: 'Query' } }, 'its API answers, on its new login');
});

test('a project from before per-project logins can be paused and resumed before the fleet migration reaches it', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const project = await activeProject(owner, org.id);
  await asBeforePerProjectLogins(org.ref, project.ref);
  const status = async () =>
    (await platform.owner.query('select status from app_public.projects where id = $1', [project.id])).rows[0].status;
  await owner.client.data(`mutation ($id: UUID!) { pauseProject(input: { projectId: $id }) { result { status } } }`, { id: project.id });
  await waitFor('the pause', async () => (await status()) === 'paused', 20_000);
  await owner.client.data(`mutation ($id: UUID!) { resumeProject(input: { projectId: $id }) { result { status } } }`, { id: project.id });
  await waitFor('the resumption', async () => (await status()) === 'active', 20_000);
  t.deepEqual(await membershipsOf([`p_${project.ref}_authenticator`, `o_${org.ref}_authenticator`]), [
    { login: `o_${org.ref}_authenticator`, roles: 0 },
    { login: `p_${project.ref}_authenticator`, roles: 3 },
  ]);
  t.deepEqual(await answers(owner, project.id), { data: { __typename: 'Query' } });
});

// Reconciling repairs the whole installation: the two reconcile tests must not run at once.
test.serial('reconcile reports orphans and missing objects, repairs them when asked, and never touches another installation', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const project = await activeProject(owner, org.id);
  const tag = await installationTag(platform.worker);
  const ghost = 'zzzzzzzzzzzzzzzzzzzz'.replace(/z/g, () => String.fromCharCode(97 + Math.floor(Math.random() * 26)));
  const stranger = `org_${ghost}x`;
  await withClient(rootUrl(), async (client) => {
    // Orphans of ours: a database and a role no row accounts for.
    await client.query(`create database org_${ghost}`);
    await client.query(`comment on database org_${ghost} is '${tag}'`);
    await client.query(`create role p_${ghost}_anon`);
    await client.query(`comment on role p_${ghost}_anon is '${tag}'`);
    // Another installation's database on the same server: not ours to judge.
    await client.query(`create database ${stranger}`);
    await client.query(`comment on database ${stranger} is 'canopy:someone-else'`);
  });
  await withClient(rootUrl(`org_${org.ref}`), async (client) => {
    await client.query(`create schema p_${ghost}`);
    await client.query(`drop schema p_${project.ref}_storage cascade`);
  });
  await platform.worker.s3.makeBucket(projectBucket(ghost));
  await platform.worker.s3.putObject(projectBucket(ghost), '.canopy-installation', Buffer.from(tag));
  await platform.worker.s3.removeObject(projectBucket(project.ref), '.canopy-installation');
  await platform.worker.s3.removeBucket(projectBucket(project.ref));

  const report = await reconcile(platform.worker, { repair: false });
  t.true(report.orphans.databases.includes(`org_${ghost}`));
  t.false(report.orphans.databases.includes(stranger));
  t.true(report.orphans.roles.includes(`p_${ghost}_anon`));
  t.true(report.orphans.schemas.includes(`org_${org.ref}.p_${ghost}`));
  t.true(report.orphans.buckets.includes(projectBucket(ghost)));
  t.deepEqual(report.missing, [
    { projectId: project.id, ref: project.ref, objects: [`schema p_${project.ref}_storage`, `bucket ${projectBucket(project.ref)}`] },
  ]);

  await reconcile(platform.worker, { repair: true });
  const again = await reconcile(platform.worker, { repair: false });
  t.false(JSON.stringify(again).includes(ghost), 'the orphans are gone');
  t.deepEqual(again.missing, [], 'what was missing is back');
  t.true(await platform.worker.s3.bucketExists(projectBucket(project.ref)));
  const strangerLeft = await withClient(rootUrl(), (client) =>
    client.query('select from pg_database where datname = $1', [stranger]),
  );
  t.is(strangerLeft.rowCount, 1, "another installation's database is untouched");
  await withClient(rootUrl(), (client) => client.query(`drop database ${stranger}`));
  const reports = await platform.owner.query('select repaired from app_private.reconcile_reports order by created_at');
  t.true(reports.rowCount! >= 3);
});

test('the whole fleet is migrated by one job, which fans out to one job per organization', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  await activeProject(owner, org.id);
  await platform.owner.query(`select graphile_worker.add_job('fleet__migrate', '{}'::json, job_key := 'fleet__migrate')`);
  await waitFor(
    'the fleet jobs to finish',
    async () => {
      const { rows } = await platform.owner.query<{ pending: number }>(
        `select count(*)::int as pending from graphile_worker.jobs
         where task_identifier in ('fleet__migrate', 'organization_database__migrate')`,
      );
      return rows[0].pending === 0;
    },
    20_000,
  );
  t.pass('every job finished: a failed one would have stayed queued for its retry');
});

test.serial('reconcile finds stored bytes without metadata and metadata without bytes, and removes the stray bytes', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const project = await activeProject(owner, org.id);
  const { projectCredentials } = await owner.client.data(
    `query ($id: UUID!) { projectCredentials(projectId: $id) { apiUrl serviceRoleKey } }`,
    { id: project.id },
  );
  const storage = createClient(projectCredentials.apiUrl, projectCredentials.serviceRoleKey, {
    auth: { persistSession: false },
  }).storage;
  await storage.createBucket('files');
  for (const name of ['kept.txt', 'lost.txt']) {
    const { error } = await storage.from('files').upload(name, Buffer.from(name), { contentType: 'text/plain' });
    if (error) throw error;
  }
  const bucket = projectBucket(project.ref);
  const [lost] = (
    await withClient(rootUrl(`org_${org.ref}`), (client) =>
      client.query(`select id from "p_${project.ref}_storage".objects where name = 'lost.txt'`),
    )
  ).rows;
  // A crash after the bytes of an upload and before its row; and bytes lost under a row.
  const stray = `objects/${randomUUID()}`;
  await platform.worker.s3.putObject(bucket, stray, Buffer.from('stray'));
  await platform.worker.s3.removeObject(bucket, `objects/${lost.id}`);

  const report = await reconcile(platform.worker, { repair: true, uploadGraceMs: 0 });
  t.deepEqual(report.orphans.objectBytes, [`${bucket}/${stray}`]);
  t.deepEqual(report.missing.find((entry) => entry.projectId === project.id)?.objects, ['bytes of files/lost.txt']);
  await t.throwsAsync(platform.worker.s3.statObject(bucket, stray), undefined, 'the stray bytes are gone');
  t.truthy(await storage.from('files').download('kept.txt'));
});
