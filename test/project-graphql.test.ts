/**
 * A project's GraphQL API, as app developers use it: tables their DBAs create appear, filtered by their RLS
 * policies for the key or user token used; schema changes show up without a restart; anything not the project's own
 * key or token is refused before any work.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import test from 'ava';
import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import pg from 'pg';
import { withPgClientFromPgService } from 'postgraphile/@dataplan/pg';
import { makeIntrospectionQuery, parseIntrospectionResults } from 'postgraphile/graphile-build-pg/pg-introspection';
import WebSocket from 'ws';
import { makeProjectPgService } from '../server/src/projects/introspection.ts';
import { withClient } from '../worker/src/tenants/projects.ts';
import { type SignedInUser, signUp } from './support/client.ts';
import { newOrganization, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject as createActiveProject } from './support/projects.ts';

const API_DOMAIN = 'api.canopy.test';
let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform({ CANOPY_API_DOMAIN: API_DOMAIN });
});
test.after.always(() => platform?.stop());

const rootUrl = () => process.env.CANOPY_TEST_ROOT_URL!;

type Project = ActiveProject;
const activeProject = (owner: SignedInUser) => createActiveProject(platform, owner);

/** A todo list whose rows belong to end users: each sees and adds only their own. */
async function createTodos(project: Project) {
  await withClient(project.databaseUrl, async (client) => {
    const schema = `p_${project.ref}`;
    await client.query(`
      create table ${schema}.todos (
        id serial primary key,
        owner_id uuid not null default canopy.uid(),
        title text not null
      );
      alter table ${schema}.todos enable row level security;
      create policy own_todos on ${schema}.todos using (owner_id = canopy.uid()) with check (owner_id = canopy.uid());
    `);
  });
}

function userToken(project: Project, sub: string, overrides: Record<string, unknown> = {}, expiresIn: string | number = '1h') {
  return new SignJWT({ role: 'authenticated', ref: project.ref, ...overrides })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('authenticated')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(project.jwtSecret));
}

async function graphql(
  url: string,
  query: string,
  headers: Record<string, string>,
  variables?: Record<string, unknown>,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/graphql/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() };
}

const TITLES = `{ todos(orderBy: ID_ASC) { nodes { title } } }`;
const ADD = `mutation ($title: String!) { createTodo(input: { todo: { title: $title } }) { todo { title ownerId } } }`;

test('tables the DBA creates appear, and each user sees only the rows their RLS policy allows', async (t) => {
  const project = await activeProject(await signUp(platform));
  await createTodos(project);
  const [ada, bob] = [randomUUID(), randomUUID()];
  const as = async (sub: string) => ({ apikey: project.anonKey, authorization: `Bearer ${await userToken(project, sub)}` });

  const added = await graphql(project.apiUrl, ADD, await as(ada), { title: 'ada 1' });
  t.deepEqual(added.body.data.createTodo.todo, { title: 'ada 1', ownerId: ada });
  await graphql(project.apiUrl, ADD, await as(bob), { title: 'bob 1' });

  t.deepEqual((await graphql(project.apiUrl, TITLES, await as(ada))).body.data.todos.nodes, [{ title: 'ada 1' }]);
  t.deepEqual((await graphql(project.apiUrl, TITLES, await as(bob))).body.data.todos.nodes, [{ title: 'bob 1' }]);
  t.deepEqual((await graphql(project.apiUrl, TITLES, { apikey: project.anonKey })).body.data.todos.nodes, []);
  // The service_role key sees every row, as in Supabase.
  const service = await graphql(project.apiUrl, TITLES, { apikey: project.serviceRoleKey });
  t.deepEqual(service.body.data.todos.nodes, [{ title: 'ada 1' }, { title: 'bob 1' }]);
  // A user cannot write a row as someone else.
  const forged = await graphql(
    project.apiUrl,
    `mutation { createTodo(input: { todo: { title: "x", ownerId: "${bob}" } }) { todo { id } } }`,
    await as(ada),
  );
  t.is(forged.body.errors[0].extensions.code, 'FORBIDDEN');
});

test("an organization database's connections stay within their bound under load, and queued requests all finish", async (t) => {
  // Room for two connections, one per project: three projects asking at once take turns.
  const small = await startTestPlatform({ CANOPY_ORG_POOL_SIZE: '2', CANOPY_PROJECT_POOL_SIZE: '1' });
  t.teardown(() => small.stop());
  const owner = await signUp(small);
  const org = await newOrganization(small, owner);
  await small.owner.query(`update app_public.organizations set plan_id = 'pro' where id = $1`, [org.id]);
  const projects: Project[] = [];
  for (let i = 0; i < 3; i++) {
    const project = await createActiveProject(small, owner, org);
    await withClient(project.databaseUrl, (client) =>
      client.query(`create function p_${project.ref}.slow() returns int as $$ select 1 from pg_sleep(0.3) $$ language sql stable`),
    );
    projects.push(project);
  }
  const logins = projects.map((project) => `p_${project.ref}_authenticator`);
  let most = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      const { rows } = await withClient(rootUrl(), (client) =>
        client.query(`select count(*)::int as open from pg_stat_activity where usename = any($1)`, [logins]),
      );
      most = Math.max(most, rows[0].open);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const slow = (project: Project) => graphql(project.apiUrl, '{ slow }', { apikey: project.serviceRoleKey });
  // The first project's second request waits in its pool while the project changes (its registry entry is renewed).
  const answers = Promise.all([slow(projects[0]), slow(projects[0]), slow(projects[1]), slow(projects[2])]);
  await waitFor('a slow query to run', async () => {
    const { rows } = await withClient(rootUrl(), (client) =>
      client.query(`select from pg_stat_activity where usename = any($1) and wait_event = 'PgSleep'`, [logins]),
    );
    return rows.length > 0;
  });
  await small.owner.query(`update app_public.projects set name = 'Renamed' where id = $1`, [projects[0].id]);
  const bodies = (await answers).map(({ body }) => body);
  running = false;
  await sampling;
  t.deepEqual(bodies, Array(4).fill({ data: { slow: 1 } }));
  t.true(most <= 2, `${most} connections at most`);

  // A project without a connection takes the room of one idle pool, not of every idle one.
  const openLogins = async () => {
    const { rows } = await withClient(rootUrl(), (client) =>
      client.query<{ usename: string }>(`select usename from pg_stat_activity where usename = any($1)`, [logins]),
    );
    return rows.map((row) => row.usename);
  };
  // Once no connection is still closing, at most two are open. (The cold project's request below takes 0.3 s: any pool
  // it closed has closed by its end.)
  const open = await waitFor('at most two connections', async () => {
    const now = await openLogins();
    return now.length <= 2 && now;
  });
  const cold = projects[logins.findIndex((login) => !open.includes(login))];
  t.deepEqual((await slow(cold)).body, { data: { slow: 1 } });
  const closedForRoom = 'one idle pool was closed to make room (if one had to be), the other kept';
  t.is((await openLogins()).length, Math.min(open.length + 1, 2), closedForRoom);
});

test('a schema change shows up without a restart', async (t) => {
  const project = await activeProject(await signUp(platform));
  await createTodos(project);
  const headers = { apikey: project.serviceRoleKey };
  t.truthy((await graphql(project.apiUrl, TITLES, headers)).body.data);
  await withClient(project.databaseUrl, (client) =>
    client.query(`alter table p_${project.ref}.todos add column done boolean not null default false`),
  );
  await waitFor('the new column', async () => {
    const { body } = await graphql(project.apiUrl, `{ todos { nodes { title done } } }`, headers);
    return !body.errors;
  });
  t.pass();
});

test("a schema change still shows up after the organization database's LISTEN connection was lost", async (t) => {
  const project = await activeProject(await signUp(platform));
  await createTodos(project);
  const headers = { apikey: project.serviceRoleKey };
  t.truthy((await graphql(project.apiUrl, TITLES, headers)).body.data);
  // As a Postgres restart or a failover would: the server's listening connection ends.
  await withClient(rootUrl(), (client) =>
    client.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [`o_${project.org.ref}_authenticator`]),
  );
  await withClient(project.databaseUrl, (client) =>
    client.query(`alter table p_${project.ref}.todos add column done boolean not null default false`),
  );
  await waitFor('the new column', async () => !(await graphql(project.apiUrl, `{ todos { nodes { title done } } }`, headers)).body.errors);
  t.pass();
});

test('the API answers at <ref>.<CANOPY_API_DOMAIN> too', async (t) => {
  const project = await activeProject(await signUp(platform));
  // fetch may not set Host: a plain HTTP request, as one arriving through DNS would be.
  const body = await new Promise<string>((resolve, reject) => {
    const request = http.request(
      `${platform.url}/graphql/v1`,
      {
        method: 'POST',
        headers: { host: `${project.ref}.${API_DOMAIN}`, apikey: project.anonKey, 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve(text));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ query: '{ __typename }' }));
  });
  t.deepEqual(JSON.parse(body).data, { __typename: 'Query' });
});

test('requests without a valid key of this very project are refused before any work', async (t) => {
  const owner = await signUp(platform);
  const [project, other] = [await activeProject(owner), await activeProject(owner)];
  const query = '{ __typename }';
  const codeOf = async (headers: Record<string, string>, url = project.apiUrl) => {
    const { status, body } = await graphql(url, query, headers);
    return [status, body.errors?.[0]?.extensions?.code];
  };
  t.deepEqual(await codeOf({}), [401, 'NO_API_KEY']);
  t.deepEqual(await codeOf({ apikey: other.anonKey }), [401, 'INVALID_API_KEY']);
  t.deepEqual(await codeOf({ apikey: 'not a jwt' }), [401, 'INVALID_API_KEY']);
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ role: 'service_role', ref: project.ref })).toString('base64url')}.`;
  t.deepEqual(await codeOf({ apikey: unsigned }), [401, 'INVALID_API_KEY']);
  t.deepEqual(await codeOf({ apikey: project.anonKey, authorization: `Bearer ${await userToken(other, randomUUID())}` }), [401, 'INVALID_JWT']);
  t.deepEqual(
    await codeOf({ apikey: project.anonKey, authorization: `Bearer ${await userToken(project, randomUUID(), { ref: other.ref })}` }),
    [401, 'INVALID_JWT'],
  );
  t.deepEqual(
    await codeOf({ apikey: project.anonKey, authorization: `Bearer ${await userToken(project, randomUUID(), {}, '-1s')}` }),
    [401, 'JWT_EXPIRED'],
  );
  t.deepEqual(
    await codeOf({ apikey: project.anonKey, authorization: `Bearer ${await userToken(project, randomUUID(), { role: 'postgres' })}` }),
    [401, 'INVALID_JWT'],
  );
  t.deepEqual(await codeOf({ apikey: project.anonKey }, `${platform.url}/p/abcdefghijabcdefghij`), [404, 'PROJECT_NOT_FOUND']);

  await owner.client.data(`mutation ($id: UUID!) { pauseProject(input: { projectId: $id }) { result { status } } }`, { id: project.id });
  await waitFor('the pause', async () => (await codeOf({ apikey: project.anonKey }))[1] === 'PROJECT_PAUSED', 30_000);
  t.is((await codeOf({ apikey: project.anonKey }))[0], 503);
});

test('Ruru at /p/<ref>/graphiql points at the project\'s endpoint, takes the key from the fragment only, and 404s for no project', async (t) => {
  const project = await activeProject(await signUp(platform));
  const page = await fetch(`${platform.url}/p/${project.ref}/graphiql`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  const html = await page.text();
  t.true(html.includes(`"/p/${project.ref}/graphql/v1"`));
  t.false(html.includes(project.anonKey), 'the page holds no key');
  t.truthy(page.headers.get('content-security-policy'), "the console's security headers");
  t.is((await fetch(`${platform.url}/p/abcdefghijabcdefghij/graphiql`)).status, 404);
});

test('a rotated JWT secret makes the old keys and user tokens stop working at once', async (t) => {
  const owner = await signUp(platform);
  const project = await activeProject(owner);
  // The user token is verified, and remembered as verified, before the rotation.
  const user = { apikey: project.anonKey, authorization: `Bearer ${await userToken(project, randomUUID())}` };
  t.truthy((await graphql(project.apiUrl, '{ __typename }', user)).body.data);
  await owner.client.data(`mutation ($id: UUID!) { rotateProjectJwtSecret(input: { projectId: $id }) { result } }`, { id: project.id });
  await waitFor('the rotation', async () => (await graphql(project.apiUrl, '{ __typename }', { apikey: project.anonKey })).status === 401, 30_000);
  const { projectCredentials } = await owner.client.data(
    `query ($id: UUID!) { projectCredentials(projectId: $id) { anonKey } }`,
    { id: project.id },
  );
  const oldToken = await graphql(project.apiUrl, '{ __typename }', { ...user, apikey: projectCredentials.anonKey });
  t.is(oldToken.status, 401, 'the user token signed with the old secret, with the new anon key');
});

test('a user token verified once is refused when it expires', async (t) => {
  const project = await activeProject(await signUp(platform));
  const expiresAt = Math.floor(Date.now() / 1000) + 2;
  const user = { apikey: project.anonKey, authorization: `Bearer ${await userToken(project, randomUUID(), {}, expiresAt)}` };
  t.truthy((await graphql(project.apiUrl, '{ __typename }', user)).body.data);
  await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
  const expired = await graphql(project.apiUrl, '{ __typename }', user);
  t.is(expired.status, 401);
  t.is(expired.body.errors?.[0]?.extensions?.code, 'JWT_EXPIRED');
});

test('subscribers to a live table hear only of the changes to rows their RLS lets them see', async (t) => {
  const project = await activeProject(await signUp(platform));
  await createTodos(project);
  await withClient(project.databaseUrl, (client) => client.query(`select canopy.enable_live('p_${project.ref}.todos')`));
  const [ada, bob] = [randomUUID(), randomUUID()];
  const as = async (sub: string) => ({ apikey: project.anonKey, authorization: `Bearer ${await userToken(project, sub)}` });
  await waitFor('the subscription field', async () => {
    const { body } = await graphql(project.apiUrl, '{ __type(name: "TodoChange") { name } }', await as(ada));
    return body.data?.__type;
  });

  const client = createClient({
    url: `${project.apiUrl.replace(/^http/, 'ws')}/graphql/v1?apikey=${project.anonKey}`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${await userToken(project, ada)}` },
  });
  const events: Array<{ op: string; todo: { title: string; ownerId: string } | null }> = [];
  const stop = client.subscribe(
    { query: 'subscription { todoChanged { op todo { title ownerId } } }' },
    { next: ({ data }) => void events.push((data as any).todoChanged), error: () => {}, complete: () => {} },
  );
  t.teardown(async () => {
    stop();
    await client.dispose();
  });
  // The subscription starts listening asynchronously: add Ada's rows until the first event arrives.
  let added = 0;
  await waitFor('the first event', async () => {
    await graphql(project.apiUrl, ADD, await as(ada), { title: `ada ${++added}` });
    return waitFor('an event', async () => events.length > 0, 300).catch(() => false);
  });
  // Events come in order: once the last warm-up row's is in, none of theirs can come after what follows.
  await waitFor('the last warm-up event', async () => events.some((event) => event.todo?.title === `ada ${added}`));
  events.length = 0;
  // Bob's row is not Ada's to see: she does not even hear of it.
  await graphql(project.apiUrl, ADD, await as(bob), { title: 'bob secret' });
  await graphql(project.apiUrl, ADD, await as(ada), { title: 'ada last' });
  await waitFor('her event', async () => events.length >= 1);
  t.deepEqual(events, [{ op: 'INSERT', todo: { title: 'ada last', ownerId: ada } }]);
});

test("a project over its plan's request rate is refused with 429, and every request is counted for metering", async (t) => {
  const owner = await signUp(platform);
  const project = await activeProject(owner);
  await platform.owner.query(
    `insert into app_public.plans (id, name, max_projects, sort_order, api_requests_per_second)
     values ('trickle', 'Trickle', 5, 9, 1) on conflict do nothing`,
  );
  await platform.owner.query(
    `update app_public.organizations set plan_id = 'trickle'
     where id = (select organization_id from app_public.projects where id = $1)`,
    [project.id],
  );
  // A burst of twice the rate passes, then requests are refused until tokens come back.
  const statuses: number[] = [];
  await waitFor('the plan to apply', async () => {
    statuses.push((await graphql(project.apiUrl, '{ __typename }', { apikey: project.anonKey })).status);
    return statuses.at(-1) === 429;
  });
  const refused = await graphql(project.apiUrl, '{ __typename }', { apikey: project.anonKey });
  t.is(refused.status, 429);
  t.is(refused.body.errors[0].extensions.code, 'RATE_LIMITED');

  const counted = await waitFor(
    'the usage to be written',
    async () => {
      const { rows } = await platform.owner.query<{ requests: string }>(
        'select sum(api_requests) as requests from app_private.project_usage where project_id = $1',
        [project.id],
      );
      return Number(rows[0].requests) >= statuses.length - 1 && Number(rows[0].requests);
    },
    15_000,
  );
  t.true(counted >= statuses.length - 1, 'admitted requests are counted');
});

test("with room for one instance and two pools, an organization's three projects all keep answering", async (t) => {
  // A platform of its own, whose cache holds a single instance (each is estimated at ~3 MB here) and whose
  // organization databases have room for two project pools of one connection.
  const small = await startTestPlatform({ CANOPY_API_CACHE_MB: '3', CANOPY_ORG_POOL_SIZE: '2', CANOPY_PROJECT_POOL_SIZE: '1' });
  t.teardown(() => small.stop());
  const owner = await signUp(small);
  const org = await newOrganization(small, owner);
  await small.owner.query(`update app_public.organizations set plan_id = 'pro' where id = $1`, [org.id]);
  const projects: Project[] = [];
  for (let i = 0; i < 3; i++) projects.push(await createActiveProject(small, owner, org));
  // Round robin: every request finds another project's instance and pool gone, and opens its own.
  for (let round = 0; round < 2; round++) {
    for (const project of projects) {
      const { body } = await graphql(project.apiUrl, '{ __typename }', { apikey: project.anonKey });
      t.deepEqual(body.data, { __typename: 'Query' });
    }
  }
  const logins = [`o_${org.ref}_authenticator`, ...projects.map((project) => `p_${project.ref}_authenticator`)];
  const connections = async () =>
    (
      await withClient(rootUrl(), (client) =>
        client.query(`select count(*)::int as connections from pg_stat_activity where usename = any($1)`, [logins]),
      )
    ).rows[0].connections as number;
  // A closed pool's connections end as soon as Postgres hears of it.
  await waitFor('the least recently used pool to close', async () => (await connections()) <= 2 + 2, 5_000);
  t.pass("two pools of one connection, and the organization's listener (LISTEN, and the announcement key read once)");
});

test("a project's instance introspects its own schemas and what is shared, not its neighbours'", async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  await platform.owner.query(`update app_public.organizations set plan_id = 'pro' where id = $1`, [org.id]);
  const [a, b] = [await createActiveProject(platform, owner, org), await createActiveProject(platform, owner, org)];
  for (const project of [a, b]) await createTodos(project);
  // Through the service's own path, as PostGraphile's gather phase calls it.
  const pool = new pg.Pool({ connectionString: a.databaseUrl, max: 1 });
  t.teardown(() => pool.end());
  const service = makeProjectPgService(a.ref, { pool, pubsub: false, schemas: [`p_${a.ref}`] });
  const introspection = await withPgClientFromPgService(service, service.pgSettingsForIntrospection ?? null, (client) =>
    client.query<{ introspection: string }>({ text: makeIntrospectionQuery() }),
  ).then(({ rows }) => parseIntrospectionResults(rows[0].introspection));
  const schemas = introspection.namespaces.map((namespace) => namespace.nspname);
  for (const own of [`p_${a.ref}`, `p_${a.ref}_auth`, `p_${a.ref}_storage`, 'canopy', 'pg_catalog']) t.true(schemas.includes(own), own);
  t.false(schemas.some((name) => name.startsWith(`p_${b.ref}`)), `nothing of ${b.ref}: ${schemas.join(', ')}`);
  const tables = introspection.classes.map((c) => `${c.getNamespace()!.nspname}.${c.relname}`);
  t.true(tables.includes(`p_${a.ref}.todos`));
  t.false(tables.includes(`p_${b.ref}.todos`));
  const roles = introspection.roles.map((role) => role.rolname);
  t.true(roles.includes(`p_${a.ref}_anon`));
  t.false(roles.some((name) => name.startsWith(`p_${b.ref}`)), `no role of ${b.ref}`);
  // Unless A's own objects grant B's roles something: then the ACL's roles are read, and A's API still builds.
  await withClient(a.databaseUrl, (client) => client.query(`grant select on p_${a.ref}.todos to p_${b.ref}_anon`));
  await waitFor('the rebuilt schema', async () => {
    const { body } = await graphql(a.apiUrl, TITLES, { apikey: a.serviceRoleKey });
    return body.data?.todos;
  });
  // And both APIs serve their own todos.
  for (const project of [a, b]) {
    const { body } = await graphql(project.apiUrl, TITLES, { apikey: project.serviceRoleKey });
    t.deepEqual(body.data, { todos: { nodes: [] } });
  }
});

test('bad requests to a project API get a clear code and status, never a 500 or a stack', async (t) => {
  const project = await activeProject(await signUp(platform));
  const send = async (body: string | Buffer, contentType = 'application/json') => {
    const response = await fetch(`${project.apiUrl}/graphql/v1`, {
      method: 'POST',
      headers: { 'content-type': contentType, apikey: project.anonKey },
      body,
    });
    const text = await response.text();
    t.notRegex(text, /\n\s+at |select |postgres/i, 'nothing leaks');
    return [response.status, JSON.parse(text).errors?.[0]?.extensions?.code];
  };
  t.deepEqual(await send('{ not json'), [400, 'INVALID_JSON']);
  t.deepEqual(await send(Buffer.concat([Buffer.from('{"query":"{ __typename }","x":"'), Buffer.from([0xff]), Buffer.from('"}')])), [
    400,
    'INVALID_ENCODING',
  ]);
  t.deepEqual(await send(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(200_000)}` })), [413, 'PAYLOAD_TOO_LARGE']);
  t.deepEqual(await send('{ __typename }', 'text/plain'), [415, 'UNSUPPORTED_MEDIA_TYPE']);
  t.deepEqual(await send(JSON.stringify({ query: '{ nope }' })), [400, 'GRAPHQL_VALIDATION_FAILED']);
  t.deepEqual(await send(JSON.stringify({ query: '{ __typename ' })), [400, 'GRAPHQL_PARSE_FAILED']);
});
