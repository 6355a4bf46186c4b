/**
 * The console's SQL editor: SQL run through the control API in a project's database as its owner login, and queries
 * saved privately per person. Owners, administrators and developers run SQL; read-only members and outsiders do not;
 * the owner login reaches nothing beyond its project, whatever the SQL tries.
 */
import test from 'ava';
import pg from 'pg';
import { type SignedInUser, signUp } from './support/client.ts';
import { newOrganization, type Organization, subscribe, subscriptionClient, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';

let platform: TestPlatform;
let org: Organization;
let project: ActiveProject;
/** Another project of the same organization: same database, another schema and owner. */
let sibling: ActiveProject;
let owner: SignedInUser;
let developer: SignedInUser;
let reader: SignedInUser;
let outsider: SignedInUser;
test.before(async () => {
  platform = await startTestPlatform();
  [owner, developer, reader, outsider] = await Promise.all([signUp(platform), signUp(platform), signUp(platform), signUp(platform)]);
  org = await newOrganization(platform, owner, [
    [developer, 'developer'],
    [reader, 'read_only'],
  ]);
  await newOrganization(platform, outsider);
  project = await activeProject(platform, owner, org);
  sibling = await activeProject(platform, owner, org);
});
test.after.always(() => platform?.stop());

const RUN = `mutation ($id: UUID!, $query: String!, $params: [String]) {
  runProjectSql(projectId: $id, query: $query, params: $params) {
    results { command rowCount columns { name type } rows truncated }
    error { message code position line column detail hint }
    durationMs
  }
}`;

interface SqlRun {
  results: Array<{ command: string; rowCount: number | null; columns: Array<{ name: string; type: string }>; rows: any[][]; truncated: boolean }>;
  error: { message: string; code: string; position: number | null; line: number | null; column: number | null; detail: string | null; hint: string | null } | null;
  durationMs: number;
}

async function run(user: SignedInUser, query: string, params?: Array<string | null>, on = project): Promise<SqlRun> {
  const { runProjectSql } = await user.client.data(RUN, { id: on.id, query, params });
  return runProjectSql;
}

/** The error of a run that must fail, and the results before it. */
async function failing(user: SignedInUser, query: string, params?: Array<string | null>) {
  const result = await run(user, query, params);
  if (!result.error) throw new Error(`Expected an SQL error, got ${JSON.stringify(result.results)}`);
  return result;
}

test('a developer creates a table, fills it and reads it back: columns with their types, values as text', async (t) => {
  const sql = `create table notes (id int primary key, body text, meta jsonb, at timestamptz not null default now());
     insert into notes (id, body, meta) values (1, 'hello', '{"a": 1}'), (2, null, null);
     select id, body, meta, at is not null as dated, 1.50::numeric as price from notes order by id`;
  const created = await run(developer, sql);
  t.is(created.error, null);
  t.true(created.durationMs >= 0);
  t.deepEqual(
    created.results.map(({ command, rowCount }) => [command, rowCount]),
    [
      ['CREATE', null],
      ['INSERT', 2],
      ['SELECT', 2],
    ],
  );
  const select = created.results[2];
  t.deepEqual(select.columns, [
    { name: 'id', type: 'int4' },
    { name: 'body', type: 'text' },
    { name: 'meta', type: 'jsonb' },
    { name: 'dated', type: 'bool' },
    { name: 'price', type: 'numeric' },
  ]);
  t.deepEqual(select.rows, [
    ['1', 'hello', '{"a": 1}', 't', '1.50'],
    ['2', null, null, 't', '1.50'],
  ]);
  t.false(select.truncated);
  t.deepEqual(created.results[0].columns, []);
  t.deepEqual(created.results[0].rows, []);

  // Unqualified names are the project's schema, which its DBAs (and its APIs) see.
  const client = new pg.Client(project.databaseUrl);
  await client.connect();
  try {
    const { rows } = await client.query(`select count(*)::int as n from p_${project.ref}.notes`);
    t.is(rows[0].n, 2);
  } finally {
    await client.end();
  }

  // Audited, without the SQL.
  const { rows } = await platform.owner.query(
    `select organization_id, details from app_public.audit_events
     where action = 'project.sql_executed' and target_id = $1 and actor_id = $2 and (details ->> 'query_length')::int = $3`,
    [project.id, developer.userId, sql.length],
  );
  t.is(rows.length, 1);
  t.is(rows[0].organization_id, org.id);
  t.deepEqual(rows[0].details, { query_length: sql.length, parameters: null });
});

test('types made by the project have their names too, and each statement its own result', async (t) => {
  const { results, error } = await run(
    owner,
    `create type mood as enum ('happy', 'sad'); select 'happy'::mood as m, array[1, 2] as a; select; select 'x' as "two words"`,
  );
  t.is(error, null);
  t.deepEqual(results[1].columns, [
    { name: 'm', type: 'mood' },
    { name: 'a', type: '_int4' },
  ]);
  t.deepEqual(results[1].rows, [['happy', '{1,2}']]);
  t.deepEqual(results[2], { command: 'SELECT', rowCount: 1, columns: [], rows: [[]], truncated: false });
  t.deepEqual(results[3].columns, [{ name: 'two words', type: 'text' }]);
});

test('with params, one statement runs over the extended protocol; values are text and null stays null', async (t) => {
  const { results, error } = await run(developer, 'select $1::int + 1 as n, $2::text is null as missing, $3 as raw', [
    '41',
    null,
    `it's "quoted"; drop table notes`,
  ]);
  t.is(error, null);
  t.deepEqual(results[0].rows, [['42', 't', `it's "quoted"; drop table notes`]]);
  t.deepEqual(results[0].columns.map((column) => column.type), ['int4', 'bool', 'text']);

  const none = await run(developer, 'select 1 as one', []);
  t.deepEqual(none.results[0].rows, [['1']]);

  const several = await failing(developer, 'select 1; select 2', []);
  t.is(several.error!.code, '42601');
  t.deepEqual(several.results, []);

  const badValue = await failing(developer, 'select $1::int', ['twelve']);
  t.is(badValue.error!.code, '22P02');
});

test('a Postgres error comes back as data, with its line and column, after the results before it', async (t) => {
  const missing = await failing(developer, 'select 1 as one;\nselect nope\n  from pg_class');
  t.deepEqual(missing.results.map((result) => result.rows), [[['1']]]);
  t.like(missing.error, { code: '42703', line: 2, column: 8, position: 25 });
  t.regex(missing.error!.message, /nope/);

  // A syntax error is found before anything runs.
  const syntax = await failing(developer, 'select 1;\n\n  selec 2;');
  t.deepEqual(syntax.results, []);
  t.like(syntax.error, { code: '42601', line: 3, column: 3 });

  // Positions count characters, not bytes.
  const accented = await failing(developer, "select 'héllo', 'wörld' ||| 1");
  t.like(accented.error, { line: 1, column: 25, position: 25 });

  const detailed = await failing(
    developer,
    'create table uniq (id int primary key); insert into uniq values (1); insert into uniq values (1)',
  );
  t.is(detailed.error!.code, '23505');
  t.regex(detailed.error!.detail ?? '', /already exists/);

  const hinted = await failing(developer, 'select nosuchfunction(1)');
  t.is(hinted.error!.code, '42883');
  t.truthy(hinted.error!.hint);
});

test('a row too large to hold (one value of hundreds of MB) stops the run with an error, not the server', async (t) => {
  const huge = await failing(developer, "select repeat('x', 600000000) as value");
  t.is(huge.error!.code, '54000');
  t.regex(huge.error!.message, /larger than 64 MB/);
  // The server is up, and so is the project's next run.
  t.deepEqual((await run(developer, 'select 1 as one')).results[0]!.rows, [['1']]);
});

test('a statement that runs too long is cancelled and reported, and the next run has the usual timeout', async (t) => {
  const started = Date.now();
  const slow = await failing(developer, `set statement_timeout = '200ms'; select pg_sleep(10)`);
  t.is(slow.error!.code, '57014');
  t.true(Date.now() - started < 5_000);
  const { results } = await run(developer, 'show statement_timeout');
  t.deepEqual(results[0].rows, [['30s']]);
});

test('at most 1,000 rows per statement come back; rowCount still counts them all', async (t) => {
  const { results } = await run(developer, 'select generate_series(1, 2500) as n; select 1 as one');
  t.is(results[0].rows.length, 1000);
  t.deepEqual(results[0].rows[999], ['1000']);
  t.true(results[0].truncated);
  t.is(results[0].rowCount, 2500);
  t.false(results[1].truncated);
});

test('each run starts afresh: an open transaction is rolled back, settings are reset', async (t) => {
  t.is((await run(developer, 'begin; create table leftover (x int)')).error, null);
  t.is((await run(developer, `set search_path = public; set work_mem = '77MB'`)).error, null);
  const { results } = await run(
    developer,
    `select to_regclass('p_${project.ref}.leftover') is null as gone, current_setting('search_path') as path, current_setting('work_mem') as mem`,
  );
  t.deepEqual(results[0].rows, [['t', `p_${project.ref}`, '4MB']]);

  // A failed transaction is rolled back too.
  t.is((await run(developer, 'begin; select 1; select 1/0')).error?.code, '22012');
  t.is((await run(developer, 'select 1 as ok')).error, null);
});

test('the SQL runs as the owner login itself: RESET ROLE and SET ROLE escalate nothing', async (t) => {
  const me = `p_${project.ref}_owner`;
  const { results } = await run(developer, 'reset role; select current_user, session_user');
  t.deepEqual(results[1].rows, [[me, me]]);
  const { results: attributes } = await run(
    developer,
    'select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = current_user',
  );
  t.deepEqual(attributes[0].rows, [['f', 'f', 'f', 'f']]);
  for (const [query, code] of [
    [`set role p_${sibling.ref}_owner`, '42501'],
    [`set role p_${project.ref}_service`, '42501'],
    ['set session authorization postgres', '42501'],
    ['set role postgres', '42501'],
  ] as const) {
    t.is((await failing(developer, query)).error!.code, code, query);
  }
});

test('the owner login reaches nothing beyond its project: not a sibling project, not the server, not the control database', async (t) => {
  const client = new pg.Client(sibling.databaseUrl);
  await client.connect();
  try {
    await client.query(`create table p_${sibling.ref}.secrets (value text); insert into p_${sibling.ref}.secrets values ('s3cret')`);
  } finally {
    await client.end();
  }
  for (const [query, codes] of [
    [`select * from p_${sibling.ref}.secrets`, ['42501']],
    [`select * from p_${sibling.ref}_auth.users`, ['42501']],
    [`select * from p_${project.ref}_auth.users`, ['42501']],
    [`create table p_${sibling.ref}.mine (x int)`, ['42501']],
    ['select * from app_public.users', ['42P01', '3F000']],
    [`select pg_read_file('/etc/passwd')`, ['42501']],
    [`copy (select 1) to program 'id'`, ['42501']],
    [`copy (select 1) to '/tmp/canopy-sql-test'`, ['42501']],
    ['create extension dblink', ['42501', '0A000', '58P01']],
    ['create extension postgres_fdw', ['42501', '0A000', '58P01']],
    ['create temporary table scratch (x int)', ['42501']],
    ['create database other', ['42501']],
    ['create schema elsewhere', ['42501']],
    ['create table public.x (x int)', ['42501']],
    ['alter role current_user superuser', ['42501']],
  ] as const) {
    const { error } = await run(developer, query);
    t.true(error !== null && (codes as readonly string[]).includes(error.code), `${query}: ${JSON.stringify(error)}`);
  }
  // The database is the organization's; the control database is not even named.
  const { results } = await run(developer, 'select current_database()');
  t.is(results[0].rows[0][0], `org_${org.ref}`);
  const copied = await failing(developer, 'create table copied (x int); copy copied from stdin');
  t.regex(copied.error!.message, /COPY FROM STDIN/);
});

test('read-only members may not run SQL; outsiders and anonymous callers see no project', async (t) => {
  t.is(await reader.client.errorCode(RUN, { id: project.id, query: 'select 1' }), 'FORBIDDEN');
  t.is(await outsider.client.errorCode(RUN, { id: project.id, query: 'select 1' }), 'NOT_FOUND');
  t.is(await owner.client.as({ token: undefined }).errorCode(RUN, { id: project.id, query: 'select 1' }), 'UNAUTHENTICATED');
  t.is(
    await developer.client.errorCode(RUN, { id: '00000000-0000-4000-8000-000000000000', query: 'select 1' }),
    'NOT_FOUND',
  );
});

test('empty or oversized SQL is refused; a project that is not active answers NOT_READY', async (t) => {
  for (const query of ['', '   \n ', 'select 1\u0000']) {
    t.is(await developer.client.errorCode(RUN, { id: project.id, query }), 'INVALID_INPUT', JSON.stringify(query));
  }
  const huge = await developer.client.request(RUN, { id: project.id, query: `select '${'x'.repeat(1_100_000)}'` });
  t.not(huge.status, 500);
  t.true(['INVALID_INPUT', 'PAYLOAD_TOO_LARGE'].includes(huge.errors?.[0].extensions?.code ?? ''), JSON.stringify(huge.errors));

  const { rows } = await platform.owner.query(
    `insert into app_public.projects (organization_id, name, status) values ($1, 'Later', 'provisioning') returning id`,
    [org.id],
  );
  t.is(await developer.client.errorCode(RUN, { id: rows[0].id, query: 'select 1' }), 'NOT_READY');
});

test('after the database password is reset, SQL still runs (with the new one)', async (t) => {
  const mine = await activeProject(platform, owner);
  t.is((await run(owner, 'select 1', undefined, mine)).error, null);
  await owner.client.data(`mutation ($id: UUID!) { resetProjectDatabasePassword(input: { projectId: $id }) { result } }`, {
    id: mine.id,
  });
  await waitFor('the new password', async () => {
    const { projectCredentials } = await owner.client.data(
      `query ($id: UUID!) { projectCredentials(projectId: $id) { databaseUrl } }`,
      { id: mine.id },
    );
    return projectCredentials.databaseUrl !== mine.databaseUrl;
  }, 20_000);
  // Connections made before stay; new ones need the new password: both must work.
  await Promise.all([run(owner, 'select pg_sleep(0.2)', undefined, mine), run(owner, 'select pg_sleep(0.2)', undefined, mine)]);
  const after = await run(owner, 'select current_user', undefined, mine);
  t.is(after.error, null);
  t.deepEqual(after.results[0].rows, [[`p_${mine.ref}_owner`]]);
});

/* ------------------------------------------------------------------------------------------------------------------
 * Saved queries
 */
const CREATE_SAVED = `mutation ($input: CreateProjectSqlQueryInput!) {
  createProjectSqlQuery(input: $input) { projectSqlQuery { id projectId userId name sql createdAt updatedAt } }
}`;
const LIST_SAVED = `query ($projectId: UUID!) {
  projectSqlQueries(condition: { projectId: $projectId }, orderBy: NAME_ASC) { totalCount nodes { id name sql } }
}`;
const UPDATE_SAVED = `mutation ($id: UUID!, $patch: ProjectSqlQueryPatch!) {
  updateProjectSqlQuery(input: { id: $id, patch: $patch }) { projectSqlQuery { id name sql updatedAt } }
}`;
const DELETE_SAVED = `mutation ($id: UUID!) { deleteProjectSqlQuery(input: { id: $id }) { projectSqlQuery { id } } }`;

test('saved queries: a member creates, lists, renames and deletes their own, and nobody else sees them', async (t) => {
  const { createProjectSqlQuery } = await developer.client.data(CREATE_SAVED, {
    input: { projectSqlQuery: { projectId: project.id, name: 'Recent notes', sql: 'select * from notes' } },
  });
  const saved = createProjectSqlQuery.projectSqlQuery;
  t.like(saved, { projectId: project.id, userId: developer.userId, name: 'Recent notes', sql: 'select * from notes' });

  const mine = await developer.client.data(LIST_SAVED, { projectId: project.id });
  t.deepEqual(mine.projectSqlQueries.nodes, [{ id: saved.id, name: 'Recent notes', sql: 'select * from notes' }]);

  const { updateProjectSqlQuery } = await developer.client.data(UPDATE_SAVED, {
    id: saved.id,
    patch: { name: 'All notes', sql: 'select * from notes order by id' },
  });
  t.like(updateProjectSqlQuery.projectSqlQuery, { name: 'All notes', sql: 'select * from notes order by id' });
  t.true(new Date(updateProjectSqlQuery.projectSqlQuery.updatedAt) >= new Date(saved.updatedAt));

  // Teammates (even the organization's owner) neither see nor change it.
  for (const other of [owner, reader]) {
    t.is((await other.client.data(LIST_SAVED, { projectId: project.id })).projectSqlQueries.totalCount, 0);
    const { data } = await other.client.request(
      `query ($id: UUID!) { projectSqlQuery(id: $id) { id } project(id: "${project.id}") { projectSqlQueries { totalCount } } }`,
      { id: saved.id },
    );
    t.is(data.projectSqlQuery, null);
    t.is(data.project.projectSqlQueries.totalCount, 0);
    // Updating a row one cannot see changes nothing and returns nothing.
    const update = await other.client.request(UPDATE_SAVED, { id: saved.id, patch: { name: 'Mine now' } });
    t.is(update.data?.updateProjectSqlQuery?.projectSqlQuery ?? null, null, JSON.stringify(update));
    t.not(update.errors?.[0].extensions?.code, 'INTERNAL_ERROR');
    t.is(await other.client.errorCode(DELETE_SAVED, { id: saved.id }), 'NOT_FOUND');
  }
  t.is(await outsider.client.errorCode(CREATE_SAVED, {
    input: { projectSqlQuery: { projectId: project.id, name: 'Theirs', sql: 'select 1' } },
  }), 'FORBIDDEN');
  const { rows } = await platform.owner.query('select name from app_public.project_sql_queries where id = $1', [saved.id]);
  t.deepEqual(rows, [{ name: 'All notes' }]);

  // Bad names are refused in words.
  for (const name of ['', 'x'.repeat(101), 'tab\there']) {
    t.is(
      await developer.client.errorCode(CREATE_SAVED, { input: { projectSqlQuery: { projectId: project.id, name, sql: '' } } }),
      'INVALID_NAME',
    );
  }

  await developer.client.data(DELETE_SAVED, { id: saved.id });
  t.is((await developer.client.data(LIST_SAVED, { projectId: project.id })).projectSqlQueries.totalCount, 0);
});

test('saved queries cannot be given to someone else, and leave with their owner\'s access to the project', async (t) => {
  const leaver = await signUp(platform);
  await platform.owner.query(
    `insert into app_public.organization_memberships (organization_id, user_id, role) values ($1, $2, 'developer')`,
    [org.id, leaver.userId],
  );
  // userId is not an input: a query is always saved as its author.
  const forged = await leaver.client.request(CREATE_SAVED, {
    input: { projectSqlQuery: { projectId: project.id, name: 'Forged', sql: 'select 1', userId: owner.userId } },
  });
  t.truthy(forged.errors?.length);
  await leaver.client.data(CREATE_SAVED, { input: { projectSqlQuery: { projectId: project.id, name: 'Kept', sql: 'select 1' } } });
  t.is((await leaver.client.data(LIST_SAVED, { projectId: project.id })).projectSqlQueries.totalCount, 1);

  await platform.owner.query('delete from app_public.organization_memberships where organization_id = $1 and user_id = $2', [
    org.id,
    leaver.userId,
  ]);
  t.is((await leaver.client.data(LIST_SAVED, { projectId: project.id })).projectSqlQueries.totalCount, 0);
});

test('SQL that writes is announced to the organization’s consoles as project.data_changed; SQL that reads is not', async (t) => {
  // An organization of its own: the other tests' changes are announced to theirs, not heard here.
  const quiet = await newOrganization(platform, owner, [[reader, 'read_only']]);
  const own = await activeProject(platform, owner, quiet);
  await run(owner, 'create table if not exists announced (id int)', undefined, own);
  const client = await subscriptionClient(platform, reader.token);
  t.teardown(() => client.dispose());
  const events = subscribe(client, `subscription ($id: UUID!) { organizationEvents(organizationId: $id) { action } }`, { id: quiet.id });
  t.teardown(() => events.stop());
  const actions = () => events.results.map((result) => result.data?.organizationEvents?.action);

  // The subscription starts listening asynchronously: rename the organization until that is heard.
  const rename = `mutation ($id: UUID!, $name: String!) { updateOrganization(input: { id: $id, patch: { name: $name } }) { clientMutationId } }`;
  await waitFor('the subscription to listen', async () => {
    await owner.client.data(rename, { id: quiet.id, name: `Quiet ${Date.now()}` });
    return actions().includes('organization.updated');
  });
  const renames = () => actions().filter((action) => action === 'organization.updated').length;
  const changes = () => actions().filter((action) => action === 'project.data_changed');
  await run(owner, 'select * from announced; show search_path', undefined, own);
  await run(owner, 'insert into announced values (1)', undefined, own);
  // Announcements arrive in the order of their commits: once a rename made after both is heard, so is all before it.
  const before = renames();
  await owner.client.data(rename, { id: quiet.id, name: 'Quiet, after the write' });
  await waitFor('the rename after the write', async () => renames() > before);
  t.deepEqual(changes(), ['project.data_changed'], 'the write was announced, the read before it was not');
});
