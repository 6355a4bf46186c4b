/**
 * Projects: what members may do with them, and what provisioning makes in Postgres and S3 — checked against the
 * real databases, roles and buckets, not against our own rows.
 */
import test from 'ava';
import { jwtVerify } from 'jose';
import pg from 'pg';
import { projectBucket } from '../server/src/storage/s3.ts';
import { PROVISIONING_STEPS, provisionProject } from '../worker/src/tasks/project__provision.ts';
import { loadProject, removeProject, withClient } from '../worker/src/tenants/projects.ts';
import { type SignedInUser, signUp } from './support/client.ts';
import { newOrganization, subscribe, subscriptionClient, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
test.after.always(() => platform?.stop());

const CREATE = `mutation ($organizationId: UUID!, $name: String!) {
  createProject(input: { organizationId: $organizationId, name: $name }) { result { id ref status } }
}`;
const PROJECT = `query ($id: UUID!) { project(id: $id) { id ref status statusReason steps } }`;
const CREDENTIALS = `query ($id: UUID!) {
  projectCredentials(projectId: $id) { apiUrl anonKey serviceRoleKey jwtSecret databaseUrl }
}`;

interface Project {
  id: string;
  ref: string;
  status: string;
}

async function createProject(user: SignedInUser, organizationId: string, name = 'App'): Promise<Project> {
  const { createProject } = await user.client.data(CREATE, { organizationId, name });
  return createProject.result;
}

/**
 * Waits until the project reaches `status`, and returns it as the user sees it. The deadline is generous: tests in
 * this file run at once, and the worker takes four jobs at a time.
 */
async function until(user: SignedInUser, id: string, status: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { project } = await user.client.data(PROJECT, { id });
    if (project.status === status) return project;
    if (Date.now() > deadline) throw new Error(`Project ${id} is ${project.status} (${project.statusReason}), not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function activeProject(user: SignedInUser, organizationId: string) {
  const project = await createProject(user, organizationId);
  return until(user, project.id, 'active');
}

async function credentials(user: SignedInUser, id: string) {
  return (await user.client.data(CREDENTIALS, { id })).projectCredentials;
}

async function canConnect(url: string): Promise<true | string> {
  const client = new pg.Client(url);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

const rootUrl = (database: string) =>
  Object.assign(new URL(process.env.CANOPY_TEST_ROOT_URL!), { pathname: `/${database}` }).toString();

async function catalog(sql: string, values: unknown[] = [], database = 'postgres') {
  return withClient(rootUrl(database), async (client) => (await client.query(sql, values)).rows);
}

test('an owner creates a project: it is provisioning at once, then active, with every step and its time', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const project = await createProject(owner, org.id);
  t.is(project.status, 'provisioning');
  t.regex(project.ref, /^[a-z]{20}$/);
  const active = await until(owner, project.id, 'active');
  t.deepEqual(
    active.steps.map((step: { step: string }) => step.step),
    ['database', 'roles', 'schema', 'keys', 'storage'],
  );
  for (const step of active.steps) t.false(Number.isNaN(Date.parse(step.at)));
  t.true(await platform.worker.s3.bucketExists(projectBucket(project.ref)));
});

test('members watching the organization are told as a project moves through its steps', async (t) => {
  const owner = await signUp(platform);
  const developer = await signUp(platform);
  const org = await newOrganization(platform, owner, [[developer, 'developer']]);
  const client = await subscriptionClient(platform, developer.token);
  const subscription = subscribe(client, `subscription ($id: UUID!) { organizationEvents(organizationId: $id) { action } }`, {
    id: org.id,
  });
  t.teardown(() => subscription.stop());
  // The subscription starts listening asynchronously: rename until its first event arrives.
  let renames = 0;
  await waitFor('the subscription to be live', async () => {
    await owner.client.data(`mutation ($id: UUID!, $name: String!) { updateOrganization(input: { id: $id, patch: { name: $name } }) { clientMutationId } }`, {
      id: org.id,
      name: `Live ${++renames}`,
    });
    return waitFor('an event', async () => subscription.results.length > 0, 300).catch(() => false);
  });

  const project = await createProject(owner, org.id);
  await until(owner, project.id, 'active');
  const actions = () => subscription.results.map((result) => result.data?.organizationEvents?.action);
  await waitFor('the events', async () => actions().filter((action) => action === 'project.progressed').length === 5);
  t.deepEqual(subscription.failures, []);
  t.true(actions().includes('project.created'));
  t.true(actions().includes('project.updated'), 'the status change to active');
});

test('developers and read-only members may not create projects', async (t) => {
  const owner = await signUp(platform);
  const developer = await signUp(platform);
  const reader = await signUp(platform);
  const org = await newOrganization(platform, owner, [[developer, 'developer'], [reader, 'read_only']]);
  for (const user of [developer, reader]) {
    t.is(await user.client.errorCode(CREATE, { organizationId: org.id, name: 'No' }), 'FORBIDDEN');
  }
});

test('the plan limits how many projects an organization has', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  await createProject(owner, org.id, 'one');
  await createProject(owner, org.id, 'two');
  t.is(await owner.client.errorCode(CREATE, { organizationId: org.id, name: 'three' }), 'PLAN_LIMIT_REACHED');
  await platform.owner.query(`update app_public.organizations set plan_id = 'pro' where id = $1`, [org.id]);
  t.truthy(await createProject(owner, org.id, 'three'));
});

test('every member sees the URL and anon key; only owners, administrators and developers see secrets, audited', async (t) => {
  const owner = await signUp(platform);
  const developer = await signUp(platform);
  const reader = await signUp(platform);
  const outsider = await signUp(platform);
  const org = await newOrganization(platform, owner, [[developer, 'developer'], [reader, 'read_only']]);
  const project = await activeProject(owner, org.id);

  const full = await credentials(developer, project.id);
  t.is(full.apiUrl, `${platform.url}/p/${project.ref}`);
  const secret = new TextEncoder().encode(full.jwtSecret);
  const anon = await jwtVerify(full.anonKey, secret, { algorithms: ['HS256'] });
  t.like(anon.payload, { role: 'anon', ref: project.ref });
  const service = await jwtVerify(full.serviceRoleKey, secret, { algorithms: ['HS256'] });
  t.like(service.payload, { role: 'service_role', ref: project.ref });
  t.deepEqual(await credentials(owner, project.id), full, 'the keys are stable: derived, not random per reveal');

  const limited = await credentials(reader, project.id);
  t.is(limited.anonKey, full.anonKey);
  t.is(limited.serviceRoleKey, null);
  t.is(limited.jwtSecret, null);
  t.is(limited.databaseUrl, null);
  t.is(await outsider.client.errorCode(CREDENTIALS, { id: project.id }), 'NOT_FOUND');

  const { rows } = await platform.owner.query(
    `select actor_id from app_public.audit_events where action = 'project.credentials_revealed' and target_id = $1`,
    [project.id],
  );
  t.deepEqual(rows.map((row) => row.actor_id).sort(), [developer.userId, owner.userId].sort());
});

test("the connection string works with a Postgres client, for the project's own schema only", async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  await platform.owner.query(`update app_public.organizations set plan_id = 'pro' where id = $1`, [org.id]);
  const [a, b] = [await activeProject(owner, org.id), await activeProject(owner, org.id)];
  const otherOrg = await newOrganization(platform, owner);
  const c = await activeProject(owner, otherOrg.id);
  const aUrl = (await credentials(owner, a.id)).databaseUrl;

  await withClient(aUrl, async (client) => {
    await client.query(`create table p_${a.ref}.todos (id serial primary key, title text)`);
    await client.query(`insert into p_${a.ref}.todos (title) values ('mine')`);
    await t.throwsAsync(client.query(`create table p_${b.ref}.stolen (id int)`), { message: /permission denied/ });
    await t.throwsAsync(client.query(`select * from p_${b.ref}_auth.anything`), { message: /permission denied|does not exist/ });
    await t.throwsAsync(client.query('create table public.sneaky (id int)'), { message: /permission denied/ });
    await t.throwsAsync(client.query(`set role p_${b.ref}_owner`), { message: /permission denied/ });
    await t.throwsAsync(client.query(`set role p_${a.ref}_service`), { message: /permission denied/ });
  });
  const other = (await credentials(owner, c.id)).databaseUrl;
  const url = new URL(aUrl);
  t.regex(String(await canConnect(Object.assign(new URL(aUrl), { pathname: new URL(other).pathname }).toString())), /permission denied/);
  t.regex(String(await canConnect(Object.assign(url, { pathname: `/${new URL(platform.databaseUrl).pathname.slice(1)}` }).toString())), /permission denied/);
  t.regex(String(await canConnect(Object.assign(new URL(aUrl), { pathname: '/postgres' }).toString())), /permission denied/);
});

test('catalogs name tenants only by opaque refs, and PUBLIC may neither connect to nor create in org databases', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner, [], 'secret-company-name');
  const project = await activeProject(owner, org.id);
  const everything = JSON.stringify([
    await catalog('select datname from pg_database'),
    await catalog('select rolname from pg_roles'),
    await catalog('select nspname from pg_namespace', [], `org_${org.ref}`),
  ]);
  t.false(everything.includes('secret-company-name'));
  t.true(everything.includes(`p_${project.ref}`));
  const [acl] = await catalog(
    `select has_database_privilege('public', datname, 'connect') as connect,
            has_database_privilege('public', datname, 'temp') as temp from pg_database where datname = $1`,
    [`org_${org.ref}`],
  );
  t.deepEqual(acl, { connect: false, temp: false });
  const [schema] = await catalog(`select has_schema_privilege('public', 'public', 'create') as can`, [], `org_${org.ref}`);
  t.false(schema.can);
});

test("pausing ends the project's logins and keeps the API roles out of reach; resuming brings both back", async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const project = await activeProject(owner, org.id);
  const { databaseUrl } = await credentials(owner, project.id);
  const apiRolesOfAuthenticator = () =>
    catalog(
      `select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid
       join pg_roles a on a.oid = m.member where a.rolname = $1 order by 1`,
      [`p_${project.ref}_authenticator`],
    );
  const authenticatorMayLogIn = async () =>
    (await catalog('select rolcanlogin from pg_roles where rolname = $1', [`p_${project.ref}_authenticator`]))[0].rolcanlogin;
  t.is((await apiRolesOfAuthenticator()).length, 3);

  const open = new pg.Client(databaseUrl);
  await open.connect();
  const ended = new Promise<Error>((resolve) => open.on('error', resolve));
  await owner.client.data(`mutation ($id: UUID!) { pauseProject(input: { projectId: $id }) { result { status } } }`, { id: project.id });
  await until(owner, project.id, 'paused');
  t.regex((await ended).message, /terminat/, 'the open session was ended');
  await open.end().catch(() => {});
  t.regex(String(await canConnect(databaseUrl)), /not permitted to log in/);
  t.deepEqual(await apiRolesOfAuthenticator(), []);
  t.false(await authenticatorMayLogIn());
  t.is(
    await owner.client.errorCode(`mutation ($id: UUID!) { pauseProject(input: { projectId: $id }) { result { status } } }`, { id: project.id }),
    'INVALID_STATE',
  );

  await owner.client.data(`mutation ($id: UUID!) { resumeProject(input: { projectId: $id }) { result { status } } }`, { id: project.id });
  await until(owner, project.id, 'active');
  t.true(await canConnect(databaseUrl));
  t.is((await apiRolesOfAuthenticator()).length, 3);
  t.true(await authenticatorMayLogIn());
});

test('rotating the JWT secret changes every key; resetting the password changes the connection string', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const project = await activeProject(owner, org.id);
  const before = await credentials(owner, project.id);

  await owner.client.data(`mutation ($id: UUID!) { rotateProjectJwtSecret(input: { projectId: $id }) { result } }`, { id: project.id });
  await owner.client.data(`mutation ($id: UUID!) { resetProjectDatabasePassword(input: { projectId: $id }) { result } }`, { id: project.id });
  const deadline = Date.now() + 20_000;
  let after = before;
  while (after.jwtSecret === before.jwtSecret || after.databaseUrl === before.databaseUrl) {
    if (Date.now() > deadline) throw new Error('The credentials did not change');
    await new Promise((resolve) => setTimeout(resolve, 25));
    after = await credentials(owner, project.id);
  }
  t.not(after.anonKey, before.anonKey);
  t.not(after.serviceRoleKey, before.serviceRoleKey);
  await t.throwsAsync(jwtVerify(before.anonKey, new TextEncoder().encode(after.jwtSecret)));
  t.regex(String(await canConnect(before.databaseUrl)), /password authentication failed/);
  t.true(await canConnect(after.databaseUrl));
});

test('deleting a project removes its schemas, roles and bucket and keeps a tombstone', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const project = await activeProject(owner, org.id);
  await owner.client.data(`mutation ($id: UUID!) { deleteProject(input: { projectId: $id }) { result { status } } }`, { id: project.id });
  const tombstone = await until(owner, project.id, 'deleted');
  t.is(tombstone.ref, project.ref);
  t.deepEqual(await catalog(`select rolname from pg_roles where rolname like $1`, [`p_${project.ref}%`]), []);
  t.false(await platform.worker.s3.bucketExists(projectBucket(project.ref)));
  t.deepEqual(await catalog(`select nspname from pg_namespace where nspname like $1`, [`p_${project.ref}%`], `org_${org.ref}`), []);
  t.is(await owner.client.errorCode(CREDENTIALS, { id: project.id }), 'NOT_READY');
});

test('deleting an organization removes its projects, its database and its roles; only owners may', async (t) => {
  const owner = await signUp(platform);
  const admin = await signUp(platform);
  const org = await newOrganization(platform, owner, [[admin, 'administrator']]);
  const project = await activeProject(owner, org.id);
  const DELETE = `mutation ($id: UUID!) { deleteOrganization(input: { organizationId: $id }) { result { deletingAt } } }`;
  t.is(await admin.client.errorCode(DELETE, { id: org.id }), 'FORBIDDEN');
  await owner.client.data(DELETE, { id: org.id });
  const deadline = Date.now() + 20_000;
  while ((await platform.owner.query('select from app_public.organizations where id = $1', [org.id])).rowCount) {
    if (Date.now() > deadline) throw new Error('The organization was not deleted');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  t.deepEqual(await catalog('select datname from pg_database where datname = $1', [`org_${org.ref}`]), []);
  t.deepEqual(await catalog(`select rolname from pg_roles where rolname like $1 or rolname like $2`, [`o_${org.ref}%`, `p_${project.ref}%`]), []);
  t.false(await platform.worker.s3.bucketExists(projectBucket(project.ref)));
  const { rowCount } = await platform.owner.query(`select from app_public.audit_events where organization_id = $1`, [org.id]);
  t.true(rowCount! > 0, 'the audit log outlives the organization');
});

/*
 * Crash tests: provisioning stopped after each step (as a killed worker would leave it), then the job run again,
 * must end active with everything in place — and deleting afterwards must leave nothing behind.
 */
for (let stepsDone = 0; stepsDone <= PROVISIONING_STEPS.length; stepsDone++) {
  const after = stepsDone === 0 ? 'before any step' : `after the ${PROVISIONING_STEPS[stepsDone - 1][0]} step`;
  test(`provisioning interrupted ${after} is healed by running it again`, async (t) => {
    const owner = await signUp(platform);
    const org = await newOrganization(platform, owner);
    // A project row without a job: this test plays the worker.
    const { rows } = await platform.owner.query(
      `insert into app_public.projects (organization_id, name) values ($1, 'crash') returning id`,
      [org.id],
    );
    const project = (await loadProject(platform.worker, rows[0].id))!;
    await provisionProject(platform.worker, project, PROVISIONING_STEPS.slice(0, stepsDone));
    await provisionProject(platform.worker, project);
    await provisionProject(platform.worker, project);
    const done = (await platform.owner.query('select steps from app_public.projects where id = $1', [project.id])).rows[0];
    t.is(done.steps.length, PROVISIONING_STEPS.length, 'each step is recorded once');
    t.is((await catalog(`select rolname from pg_roles where rolname like $1`, [`p_${project.ref}%`])).length, 5);
    t.true(await platform.worker.s3.bucketExists(projectBucket(project.ref)));

    await removeProject(platform.worker, project);
    await removeProject(platform.worker, project);
    t.deepEqual(await catalog(`select rolname from pg_roles where rolname like $1`, [`p_${project.ref}%`]), []);
    t.false(await platform.worker.s3.bucketExists(projectBucket(project.ref)));
  });
}

test('twenty projects created at once, in one organization and across organizations, all become active', async (t) => {
  const owner = await signUp(platform);
  const orgs = [await newOrganization(platform, owner), await newOrganization(platform, owner), await newOrganization(platform, owner)];
  await platform.owner.query(`update app_public.organizations set plan_id = 'enterprise' where id = any($1)`, [orgs.map((org) => org.id)]);
  const projects = await Promise.all(
    Array.from({ length: 20 }, (_, i) => createProject(owner, orgs[i < 10 ? 0 : i % 3].id, `p${i}`)),
  );
  const finished = await Promise.all(projects.map((project) => until(owner, project.id, 'active')));
  t.is(finished.length, 20);
});

test('a provisioning that fails on its last attempt leaves the project failed with the reason; retry provisions it', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  // A cluster with no room: placing the organization's database cannot succeed.
  await platform.owner.query(`insert into app_private.clusters (name, max_databases) values ('full', 0) on conflict do nothing`);
  // As createProject would make it, but with one attempt only, so that the first failure is the last.
  const { rows } = await platform.owner.query(
    `insert into app_public.projects (organization_id, name, requested_cluster) values ($1, 'Doomed', 'full') returning id`,
    [org.id],
  );
  const { id } = rows[0];
  await platform.owner.query(
    `select graphile_worker.add_job('project__provision', json_build_object('id', $1::uuid),
                                    job_key := 'project__provision:' || $1, max_attempts := 1)`,
    [id],
  );
  const failed = await until(owner, id, 'failed');
  t.regex(failed.statusReason, /No data cluster named full has room/);

  await platform.owner.query(`update app_private.clusters set max_databases = 10 where name = 'full'`);
  await owner.client.data(`mutation ($id: UUID!) { retryProject(input: { projectId: $id }) { result { status } } }`, { id });
  const active = await until(owner, id, 'active');
  t.is(active.statusReason, null);
});

test('names with quotes, SQL, unicode or too many characters never reach SQL as code', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  await platform.owner.query(`update app_public.organizations set plan_id = 'pro' where id = $1`, [org.id]);
  for (const name of [`x'; drop schema public cascade; --`, 'Ünïcødé 🚀 "quoted"']) {
    const project = await createProject(owner, org.id, name);
    const active = await until(owner, project.id, 'active');
    t.is((await owner.client.data(`query ($id: UUID!) { project(id: $id) { name } }`, { id: active.id })).project.name, name);
  }
  for (const name of ['', 'x'.repeat(101), 'tab\there']) {
    t.is(await owner.client.errorCode(CREATE, { organizationId: org.id, name }), 'INVALID_NAME', JSON.stringify(name));
  }
});
