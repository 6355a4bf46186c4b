/**
 * Project API isolation: project A's keys and user tokens get nothing from project B in the same organization or
 * project C in another, on any endpoint; tokens that are forged, confused or stale are refused everywhere. Data
 * driven: a new endpoint gets a row in ENDPOINTS, a new kind of credential a row in FORGERIES.
 */
import { generateKeyPair, SignJWT } from 'jose';
import test from 'ava';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { openedAnnouncements } from '../server/src/projects/announcements.ts';
import { withClient } from '../worker/src/tenants/projects.ts';
import { signUp } from './support/client.ts';
import { newOrganization, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';

type Project = ActiveProject;

let platform: TestPlatform;
let A: Project;
let B: Project;
let C: Project;

/** A table with a secret row in every project, readable by anyone of that project: what must never leak. */
async function plantSecret(project: Project) {
  await withClient(project.databaseUrl, (client) =>
    client.query(`
      create table p_${project.ref}.secrets (id serial primary key, value text not null);
      insert into p_${project.ref}.secrets (value) values ('secret of ${project.ref}');
      alter table p_${project.ref}.secrets enable row level security;
      create policy everyone on p_${project.ref}.secrets using (true);
      select canopy.enable_live('p_${project.ref}.secrets');
    `),
  );
}

test.before(async () => {
  platform = await startTestPlatform();
  const owner = await signUp(platform);
  const [one, other] = [await newOrganization(platform, owner), await newOrganization(platform, owner)];
  await platform.owner.query(`update app_public.organizations set plan_id = 'pro' where id = $1`, [one.id]);
  [A, B, C] = [
    await activeProject(platform, owner, one),
    await activeProject(platform, owner, one),
    await activeProject(platform, owner, other),
  ];
  for (const project of [A, B, C]) await plantSecret(project);
  await plantRoleThief(A);
});
test.after.always(() => platform?.stop());

const secret = new TextEncoder();
function token(project: Project, claims: Record<string, unknown>, { expiresIn = '1h', key = project.jwtSecret } = {}) {
  return new SignJWT({ ref: project.ref, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(secret.encode(key));
}
const userOf = (project: Project, extra: Record<string, unknown> = {}) =>
  token(project, { role: 'authenticated', aud: 'authenticated', sub: '00000000-0000-4000-8000-000000000001', ...extra });

/** What a request carries: an apikey and maybe a bearer token. */
type Credential = { apikey: string; bearer?: string };

/** Project A's own credentials, each tried against B and C. */
const A_CREDENTIALS: Record<string, () => Promise<Credential>> = {
  "A's anon key": async () => ({ apikey: A.anonKey }),
  "A's service_role key": async () => ({ apikey: A.serviceRoleKey }),
  "a user token of A": async () => ({ apikey: A.anonKey, bearer: await userOf(A) }),
};

/** Credentials that no project accepts, tried against A itself (with A's anon key as apikey when a bearer). */
const FORGERIES: Record<string, () => Promise<Credential>> = {
  'an unsigned token (alg none)': async () => ({
    apikey: A.anonKey,
    bearer: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ role: 'service_role', ref: A.ref }),
    ).toString('base64url')}.`,
  }),
  'an RS256 token (algorithm confusion)': async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const jwt = await new SignJWT({ role: 'service_role', ref: A.ref }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    return { apikey: A.anonKey, bearer: jwt };
  },
  "a token signed with B's secret naming A": async () => ({
    apikey: A.anonKey,
    bearer: await token(A, { role: 'service_role' }, { key: B.jwtSecret }),
  }),
  'a user token with the wrong audience': async () => ({ apikey: A.anonKey, bearer: await userOf(A, { aud: 'anon' }) }),
  'a user token without a subject': async () => ({ apikey: A.anonKey, bearer: await token(A, { role: 'authenticated', aud: 'authenticated' }) }),
  'an expired user token': async () => ({ apikey: A.anonKey, bearer: await token(A, { role: 'authenticated', aud: 'authenticated', sub: 'x' }, { expiresIn: '-1s' }) }),
  'a token claiming the postgres role': async () => ({ apikey: A.anonKey, bearer: await token(A, { role: 'postgres' }) }),
  'a user token as the apikey': async () => ({ apikey: await userOf(A) }),
};

/** Each endpoint: what it answers a credential with, as a status and the body's text. */
const ENDPOINTS: Record<string, (project: Project, credential: Credential) => Promise<{ status: number; text: string }>> = {
  'GraphQL over HTTP': async (project, { apikey, bearer }) => {
    const response = await fetch(`${project.apiUrl}/graphql/v1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apikey, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query: '{ secrets { nodes { value } } }' }),
    });
    return { status: response.status, text: await response.text() };
  },
  'GraphQL subscriptions over WebSocket': async (project, { apikey, bearer }) => {
    // The upgrade is refused (or the operation errors) before any event: nothing but an error can arrive.
    const client = createClient({
      url: `${project.apiUrl.replace(/^http/, 'ws')}/graphql/v1?apikey=${encodeURIComponent(apikey)}`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
    const text = await new Promise<string>((resolve) => {
      client.subscribe(
        { query: 'subscription { secretChanged { op secret { value } } }' },
        {
          next: (result) => resolve(JSON.stringify(result)),
          error: (error) => resolve(`error ${error instanceof Error ? error.message : JSON.stringify(error)}`),
          complete: () => resolve('complete'),
        },
      );
    });
    await client.dispose();
    return { status: text.startsWith('error') ? 401 : 200, text };
  },
};

for (const [endpoint, call] of Object.entries(ENDPOINTS)) {
  for (const [credential, make] of Object.entries(A_CREDENTIALS)) {
    for (const [target, project] of [
      ['project B in the same organization', () => B],
      ['project C in another organization', () => C],
    ] as const) {
      test(`${endpoint}: ${credential} gets nothing from ${target}`, async (t) => {
        const { status, text } = await call(project(), await make());
        t.is(status, 401, text);
        t.false(text.includes('secret of'), 'no data');
      });
    }
  }
  for (const [forgery, make] of Object.entries(FORGERIES)) {
    test(`${endpoint}: ${forgery} is refused`, async (t) => {
      const { status, text } = await call(A, await make());
      t.is(status, 401, text);
      t.false(text.includes('secret of'));
    });
  }
}

test("the matrix is not vacuous: A's own service key reads A's secret over HTTP", async (t) => {
  const { status, text } = await ENDPOINTS['GraphQL over HTTP'](A, { apikey: A.serviceRoleKey });
  t.is(status, 200);
  t.true(text.includes(`secret of ${A.ref}`));
});

test("project APIs keep the control API's query limits", async (t) => {
  const nested = `{ a: secrets { nodes { value } } ${Array.from({ length: 40 }, (_, i) => `x${i}: secrets { totalCount }`).join(' ')} }`;
  const response = await fetch(`${A.apiUrl}/graphql/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', apikey: A.serviceRoleKey },
    body: JSON.stringify({ query: nested }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  t.is(body.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX', JSON.stringify(body));
});

/* ------------------------------------------------------------------ SQL that a project's DBA writes */

/**
 * A's DBA may write any function, and A's API runs it: here one that tries to become another role and read the
 * `secrets` table of the schema it is given. Postgres checks SET ROLE against the session's login, which must
 * therefore be A's alone.
 */
async function plantRoleThief(project: Project) {
  await withClient(project.databaseUrl, (client) =>
    client.query(`
      create function p_${project.ref}.steal(target text, from_schema text) returns text as $$
      declare
        stolen text;
      begin
        perform set_config('role', target, true);
        execute format('select string_agg(value, '','') from %I.secrets', from_schema) into stolen;
        return stolen;
      end
      $$ language plpgsql stable;
    `),
  );
}

const stealThroughA = async (target: string, fromSchema: string) => {
  const response = await fetch(`${A.apiUrl}/graphql/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', apikey: A.serviceRoleKey },
    body: JSON.stringify({
      query: 'query ($target: String!, $schema: String!) { steal(target: $target, fromSchema: $schema) }',
      variables: { target, schema: fromSchema },
    }),
  });
  return { status: response.status, text: await response.text() };
};

for (const [label, target] of [
  ["B's service role (same organization)", () => [`p_${B.ref}_service`, `p_${B.ref}`]],
  ["B's anon role (same organization)", () => [`p_${B.ref}_anon`, `p_${B.ref}`]],
  ["B's authenticated role (same organization)", () => [`p_${B.ref}_authenticated`, `p_${B.ref}`]],
  ["B's owner (same organization)", () => [`p_${B.ref}_owner`, `p_${B.ref}`]],
  ["B's authenticator (same organization)", () => [`p_${B.ref}_authenticator`, `p_${B.ref}`]],
  ["C's service role (another organization)", () => [`p_${C.ref}_service`, `p_${C.ref}`]],
] as const) {
  test(`a function of A's, called through A's API, cannot become ${label}`, async (t) => {
    const [role, schema] = target();
    const { text } = await stealThroughA(role, schema);
    t.regex(text, /"code":"FORBIDDEN"/, text);
    t.false(text.includes('secret of'), 'no data');
  });
}

test("the login A's API runs on reads nothing itself: a function that sets the role to none is refused", async (t) => {
  const { text } = await stealThroughA('none', `p_${A.ref}`);
  t.regex(text, /"code":"FORBIDDEN"/, text);
  t.false(text.includes('secret of'), 'no data');
});

test("the matrix of thieves is not vacuous: the same function, becoming A's own anon role, reads A's secret", async (t) => {
  const { text } = await stealThroughA(`p_${A.ref}_anon`, `p_${A.ref}`);
  t.true(text.includes(`secret of ${A.ref}`), text);
});

test("each project's authenticator can become its own three API roles, and the organization's none", async (t) => {
  const memberships = await withClient(process.env.CANOPY_TEST_ROOT_URL!, async (client) => {
    const { rows } = await client.query<{ login: string; roles: string[] }>(
      `select login.rolname as login, coalesce(array_agg(granted.rolname::text order by granted.rolname)
                filter (where granted.rolname is not null), '{}') as roles
       from pg_roles login
       left join pg_auth_members m on m.member = login.oid
       left join pg_roles granted on granted.oid = m.roleid
       where login.rolname = any($1) group by login.rolname`,
      [[`p_${A.ref}_authenticator`, `p_${B.ref}_authenticator`, `o_${A.org.ref}_authenticator`]],
    );
    return Object.fromEntries(rows.map((row) => [row.login, row.roles]));
  });
  const apiRoles = (ref: string) => [`p_${ref}_anon`, `p_${ref}_authenticated`, `p_${ref}_service`];
  t.deepEqual(memberships, {
    [`p_${A.ref}_authenticator`]: apiRoles(A.ref),
    [`p_${B.ref}_authenticator`]: apiRoles(B.ref),
    [`o_${A.org.ref}_authenticator`]: [],
  });
});

/* ------------------------------------------------------------------ announcements (NOTIFY) */

// These listen to shared channels (A's live table, canopy:schema): one at a time, before the other tests run.

/** Any login of an organization database may LISTEN and NOTIFY on any channel: here, B's DBA on A's. */
async function listenAs(databaseUrl: string, channel: string) {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  const heard: string[] = [];
  client.on('notification', (message) => heard.push(message.payload ?? ''));
  await client.query(`listen ${client.escapeIdentifier(channel)}`);
  return { heard, client };
}

async function tableOid(project: Project, table: string): Promise<number> {
  const { rows } = await withClient(project.databaseUrl, (client) => client.query(`select $1::regclass::oid as oid`, [table]));
  return Number(rows[0].oid);
}

test.serial("another project's DBA can neither read A's live announcements nor forge or replay them to A's subscribers", async (t) => {
  const channel = `canopy:live:${await tableOid(A, `p_${A.ref}.secrets`)}`;
  const spy = await listenAs(B.databaseUrl, channel);
  t.teardown(() => spy.client.end());
  const heard: Array<{ op: string; value?: string }> = [];
  const subscriber = createClient({
    url: `${A.apiUrl.replace(/^http/, 'ws')}/graphql/v1?apikey=${A.serviceRoleKey}`,
    webSocketImpl: WebSocket,
  });
  t.teardown(() => subscriber.dispose());
  subscriber.subscribe<{ secretChanged: { op: string; secret: { value: string } | null } }>(
    { query: 'subscription { secretChanged { op secret { value } } }' },
    {
      next: ({ data }) => void heard.push({ op: data!.secretChanged.op, value: data!.secretChanged.secret?.value }),
      error: () => {},
      complete: () => {},
    },
  );
  const insertIntoA = (value: string) =>
    withClient(A.databaseUrl, (client) => client.query(`insert into p_${A.ref}.secrets (value) values ($1)`, [value]));
  // Subscriptions start listening asynchronously: probes until one is heard, then until the last one is.
  let probes = 0;
  await waitFor('the subscription to listen', async () => (await insertIntoA(`probe ${++probes}`), heard.length > 0), 20_000);
  await waitFor('the last probe', async () => heard.some((change) => change.value === `probe ${probes}`));
  await waitFor('the spy to hear every probe', async () => spy.heard.length === probes);
  const lastProbe = spy.heard[probes - 1];

  t.false(spy.heard.some((payload) => /secret|probe|INSERT|"key"|"id"/.test(payload)), 'the spy hears only sealed bytes');
  heard.length = 0;
  await withClient(B.databaseUrl, async (client) => {
    const notify = (payload: string) => client.query('select pg_notify($1, $2)', [channel, payload]);
    await notify(JSON.stringify({ op: 'DELETE', key: { id: 1 } })); // forged, as announcements were once sent
    await notify(lastProbe); // replayed
    await notify(`${lastProbe.slice(0, -8)}AAAAAAA=`); // tampered
  });
  // Notifications reach listeners in the order they were committed: anything the forgeries set off comes first.
  await insertIntoA('after the forgeries');
  await waitFor('the real change', async () => heard.some((change) => change.value === 'after the forgeries'));
  t.deepEqual(heard, [{ op: 'INSERT', value: 'after the forgeries' }]);
});

test.serial('a schema announcement opens once, on its own channel, and never when forged: nobody makes A rebuild at will', async (t) => {
  const spy = await listenAs(B.databaseUrl, 'canopy:schema');
  t.teardown(() => spy.client.end());
  await withClient(A.databaseUrl, (client) => client.query(`comment on table p_${A.ref}.secrets is 'changed'`));
  await waitFor('the announcement', async () => spy.heard.length > 0);
  const [genuine] = spy.heard;
  const { rows } = await withClient(
    Object.assign(new URL(process.env.CANOPY_TEST_ROOT_URL!), { pathname: `/org_${A.org.ref}` }).toString(),
    (client) => client.query('select key from canopy_private.announcement_key'),
  );
  const heardBy = async (channel: string, payloads: string[]) => {
    const opened = openedAnnouncements(channel, payloads.values() as unknown as AsyncIterableIterator<unknown>, async () => rows[0].key);
    const messages: string[] = [];
    for await (const message of opened) messages.push(message);
    return messages;
  };
  t.deepEqual(await heardBy('canopy:schema', [genuine, genuine, `p_${A.ref}`]), [`p_${A.ref}`], 'once; plain text is not heard');
  t.deepEqual(await heardBy('canopy:live:1', [genuine]), [], 'not on another channel');
});

test.serial("a project's own cast runs as that project when its rows are announced, never as the platform", async (t) => {
  // to_jsonb() uses a cast to json that the row's project defined: the announcing trigger must run it as the writer.
  const schema = `p_${B.ref}`;
  const who = await withClient(B.databaseUrl, async (client) => {
    await client.query(`
      create type ${schema}.sly as enum ('x');
      create table ${schema}.cast_runs (who text);
      create function ${schema}.sly_json(${schema}.sly) returns json as $$
      begin
        insert into ${schema}.cast_runs values (current_user);
        return '"x"'::json;
      end
      $$ language plpgsql;
      create cast (${schema}.sly as json) with function ${schema}.sly_json(${schema}.sly);
      create table ${schema}.bait (id int primary key, value ${schema}.sly);
      create trigger announce after insert on ${schema}.bait for each row execute function canopy.tg__announce_row_change('id');
      insert into ${schema}.bait values (1, 'x');
    `);
    return (await client.query(`select distinct who from ${schema}.cast_runs`)).rows.map((row) => row.who);
  });
  t.deepEqual(who, [`p_${B.ref}_owner`]);
});

test("another project's DBA cannot announce a change on A's tables by calling the announcing function itself", async (t) => {
  const table = await tableOid(A, `p_${A.ref}.secrets`);
  const error = await withClient(B.databaseUrl, (client) =>
    client.query(`select canopy.announce_row_change($1, '{"op":"DELETE","key":{"id":1}}')`, [table]).then(
      () => undefined,
      (failure: { code?: string }) => failure.code,
    ),
  );
  t.is(error, '42501');
});

test.serial('a sealed announcement does not open on a channel whose name runs into its bytes', async (t) => {
  // Without the channel's length in what is signed, `canopy:live:12345` + payload and `canopy:live:1234` + "5" +
  // payload would be the same bytes.
  const channel = `canopy:live:${await tableOid(A, `p_${A.ref}.secrets`)}`;
  const spy = await listenAs(B.databaseUrl, channel);
  t.teardown(() => spy.client.end());
  await withClient(A.databaseUrl, (client) => client.query(`insert into p_${A.ref}.secrets (value) values ('sealed')`));
  await waitFor('the announcement', async () => spy.heard.length > 0);
  const sealed = Buffer.from(spy.heard[0], 'base64');
  const moved = Buffer.concat([sealed.subarray(0, 32), Buffer.from(channel.slice(-1)), sealed.subarray(32)]).toString('base64');
  const { rows } = await withClient(
    Object.assign(new URL(process.env.CANOPY_TEST_ROOT_URL!), { pathname: `/org_${A.org.ref}` }).toString(),
    (client) => client.query('select key from canopy_private.announcement_key'),
  );
  const heard: string[] = [];
  const shorter = openedAnnouncements(channel.slice(0, -1), [moved].values() as unknown as AsyncIterableIterator<unknown>, async () => rows[0].key);
  for await (const message of shorter) heard.push(message);
  t.deepEqual(heard, []);
});

test("a project's DBA can neither read the announcement key nor seal an announcement itself", async (t) => {
  const codes = await withClient(B.databaseUrl, async (client) => {
    const attempt = (sql: string) => client.query(sql).then(() => 'allowed', (error: { code?: string }) => error.code);
    return [
      await attempt('select key from canopy_private.announcement_key'),
      await attempt("select canopy_private.announce('canopy:schema', 'p_x')"),
    ];
  });
  t.deepEqual(codes, ['42501', '42501'], 'permission denied, both');
});
