/**
 * Project API isolation: project A's keys and user tokens get nothing from project B in the same organization or
 * project C in another, on any endpoint; tokens that are forged, confused or stale are refused everywhere. Data
 * driven: a new endpoint gets a row in ENDPOINTS, a new kind of credential a row in FORGERIES.
 */
import { generateKeyPair, SignJWT } from 'jose';
import test from 'ava';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { withClient } from '../worker/src/tenants/projects.ts';
import { signUp } from './support/client.ts';
import { newOrganization } from './support/org-fixtures.ts';
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
