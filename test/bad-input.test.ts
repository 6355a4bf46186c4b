/**
 * Bad input: whatever a careless or hostile client sends, it gets a clear error with a stable code and the right HTTP
 * status. Never a 500, a hang, a stack trace, SQL text or a mention of Postgres in the response.
 */
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { ControlClient, PASSWORD, signUp, uniqueEmail } from './support/client.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { activeProject } from './support/projects.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
test.after.always(() => platform?.stop());

const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { token userId } }`;
const CREATE_ORG = `mutation ($name: String!, $slug: String!) {
  createOrganization(input: { name: $name, slug: $slug }) { result { id name slug } }
}`;
const ME = `{ currentUser { id email name } }`;

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** A raw HTTP request to the platform, with a deadline, so a hang fails the test instead of stalling it. */
async function send(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const response = await fetch(`${platform.url}${path}`, {
    method: init.method ?? 'POST',
    headers: init.headers,
    body: init.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

function postGraphQL(payload: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send('/graphql', {
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
  });
}

/** What no response may ever contain: stack frames, SQL, the database's name. */
function assertNothingLeaks(t: ExecutionContext, response: { text: string } | { errors?: unknown; data?: unknown }) {
  const text = 'text' in response ? response.text : JSON.stringify(response);
  t.notRegex(text, /(^|\\n|\n)\s*at \S/, 'no stack frames');
  t.notRegex(text, /\bat \S+ \(\S+:\d+:\d+\)|node:internal|file:\/\//, 'no stack frames');
  t.notRegex(text, /\bselect\s/i, 'no SQL');
  t.notRegex(text, /\binsert\s/i, 'no SQL');
  t.notRegex(text, /postgres/i, 'no mention of Postgres');
}

/** The first GraphQL error's code, asserting there is one and that nothing leaked. */
function errorCodeOf(t: ExecutionContext, response: RawResponse): string | undefined {
  assertNothingLeaks(t, response);
  t.truthy(response.body?.errors?.length, `expected GraphQL errors, got ${response.text.slice(0, 300)}`);
  return response.body?.errors?.[0]?.extensions?.code;
}

/** A document refused with 400 and a code, naming why, before anything was executed. */
function refusedUnexecuted(t: ExecutionContext, response: RawResponse, why: RegExp) {
  t.not(response.status, 500);
  t.falsy(response.body?.data, 'nothing was executed');
  t.is(response.status, 400);
  t.truthy(errorCodeOf(t, response));
  t.regex(JSON.stringify(response.body.errors), why);
}

test('names with SQL and quotes in them are stored literally, never executed', async (t) => {
  const user = await signUp(platform);
  const names = [
    `Robert'); DROP TABLE app_public.users; --`,
    `' OR '1'='1`,
    `"; select pg_sleep(10); --`,
    `O'Brien & "Sons" \\ $1 $$ E'\\x00'`,
  ];
  for (const name of names) {
    const slug = `org-${randomBytes(4).toString('hex')}`;
    const result = await user.client.request(CREATE_ORG, { name, slug });
    t.falsy(result.errors, JSON.stringify(result.errors));
    t.is(result.data.createOrganization.result.name, name);
    const { rows } = await platform.owner.query('select name from app_public.organizations where slug = $1', [slug]);
    t.is(rows[0].name, name);
  }
  const { rows } = await platform.owner.query(`select count(*)::int as n from app_public.users`);
  t.true(rows[0].n >= 1, 'the users table is still there');

  // The same for a user's own name.
  const name = `x'); delete from app_public.users; --`;
  const updated = await user.client.request(
    `mutation ($id: UUID!, $name: String!) { updateUser(input: { id: $id, patch: { name: $name } }) { user { name } } }`,
    { id: user.userId, name },
  );
  t.falsy(updated.errors, JSON.stringify(updated.errors));
  t.is((await user.client.data(ME)).currentUser.name, name);
});

test('slugs with SQL or quotes are refused with INVALID_SLUG', async (t) => {
  const user = await signUp(platform);
  for (const slug of [`x'; drop table app_public.organizations; --`, `' or 1=1 --`, `a"b"c`, `org-1'`, `org 1`]) {
    const result = await user.client.request(CREATE_ORG, { name: 'Acme', slug });
    assertNothingLeaks(t, result);
    t.is(result.errors?.[0].extensions?.code, 'INVALID_SLUG', slug);
  }
  const { rows } = await platform.owner.query(`select count(*)::int as n from app_public.organizations`);
  t.true(rows[0].n >= 1, 'the organizations table is still there');
});

test('looking up an organization or a user by a string with SQL or wildcards in it finds nothing', async (t) => {
  const user = await signUp(platform);
  await user.client.data(CREATE_ORG, { name: 'Acme', slug: `acme-${randomBytes(3).toString('hex')}` });
  for (const slug of [`' or '1'='1`, `%`, `acme-%`, `_____`]) {
    const result = await user.client.request(`query ($slug: String!) { organizationBySlug(slug: $slug) { id } }`, {
      slug,
    });
    assertNothingLeaks(t, result);
    t.falsy(result.errors, JSON.stringify(result.errors));
    t.is(result.data?.organizationBySlug, null, slug);
  }
  for (const email of [`' or '1'='1`, `%@%`, user.email.replace(/^./, '_')]) {
    const result = await user.client.request(`query ($email: String!) { userByEmail(email: $email) { id } }`, {
      email,
    });
    assertNothingLeaks(t, result);
    t.falsy(result.errors, JSON.stringify(result.errors));
    t.is(result.data?.userByEmail, null, email);
  }
});

test('an email with a quote in it is an ordinary email, stored literally', async (t) => {
  const email = `o'brien-${randomBytes(3).toString('hex')}@example.com`;
  const { client } = await signUp(platform, email);
  t.is((await client.data(ME)).currentUser.email, email);
  const anonymous = new ControlClient(platform.url);
  const result = await anonymous.request(REGISTER, { input: { email: `' or 1=1 --`, password: PASSWORD } });
  assertNothingLeaks(t, result);
  t.is(result.errors?.[0].extensions?.code, 'INVALID_EMAIL');
});

test('a 10 MB body is refused with 413 PAYLOAD_TOO_LARGE', async (t) => {
  const response = await postGraphQL({
    query: REGISTER,
    variables: { input: { email: uniqueEmail(), password: PASSWORD, name: 'x'.repeat(10 * 1024 * 1024) } },
  });
  t.is(response.status, 413);
  t.is(errorCodeOf(t, response), 'PAYLOAD_TOO_LARGE');
});

test('a 99 KB name fits in a request but is refused with INVALID_NAME', async (t) => {
  const user = await signUp(platform);
  const name = 'n'.repeat(99_000);
  const response = await postGraphQL(
    { query: CREATE_ORG, variables: { name, slug: `org-${randomBytes(4).toString('hex')}` } },
    { authorization: `Bearer ${user.token}` },
  );
  t.not(response.status, 500);
  t.is(errorCodeOf(t, response), 'INVALID_NAME');
  const registered = await postGraphQL({ query: REGISTER, variables: { input: { email: uniqueEmail(), password: PASSWORD, name } } });
  t.not(registered.status, 500);
  t.is(errorCodeOf(t, registered), 'INVALID_NAME');
});

test('invalid UTF-8 bytes in the body get a clear error, not INTERNAL_ERROR', async (t) => {
  const email = uniqueEmail();
  // ..."name":"a<ff><fe>b"... : bytes that are not UTF-8, inside a JSON string.
  const [before, after] = JSON.stringify({
    query: REGISTER,
    variables: { input: { email, password: PASSWORD, name: 'NAME_GOES_HERE' } },
  }).split('NAME_GOES_HERE');
  const raw = Buffer.concat([Buffer.from(`${before}a`), Buffer.from([0xff, 0xfe]), Buffer.from(`b${after}`)]);
  t.true(raw.includes(Buffer.from([0xff, 0xfe])));
  const response = await postGraphQL(raw);
  const stored = await platform.owner.query('select name from app_public.users where email = $1', [email]);
  t.not(response.status, 500);
  t.true(
    response.status >= 400 && response.status < 500,
    `status ${response.status}, stored name ${JSON.stringify(stored.rows[0]?.name)}: ${response.text.slice(0, 200)}`,
  );
  const code = response.body?.errors?.[0]?.extensions?.code;
  assertNothingLeaks(t, response);
  t.is(code, 'INVALID_ENCODING');
  t.is(stored.rowCount, 0, 'no account was created from the undecodable body');
});

test('a NUL character in a name is refused with a clear code, not INTERNAL_ERROR', async (t) => {
  const user = await signUp(platform);
  const name = 'before\u0000after';
  const org = await user.client.request(CREATE_ORG, { name, slug: `org-${randomBytes(4).toString('hex')}` });
  assertNothingLeaks(t, org);
  t.not(org.status, 500);
  t.true(['INVALID_INPUT', 'INVALID_NAME'].includes(org.errors?.[0].extensions?.code ?? ''), JSON.stringify(org.errors));

  const registered = await new ControlClient(platform.url).request(REGISTER, {
    input: { email: uniqueEmail(), password: PASSWORD, name },
  });
  assertNothingLeaks(t, registered);
  t.not(registered.status, 500);
  t.true(
    ['INVALID_INPUT', 'INVALID_NAME'].includes(registered.errors?.[0].extensions?.code ?? ''),
    JSON.stringify(registered.errors),
  );

  const renamed = await user.client.request(
    `mutation ($id: UUID!, $name: String!) { updateUser(input: { id: $id, patch: { name: $name } }) { user { name } } }`,
    { id: user.userId, name },
  );
  assertNothingLeaks(t, renamed);
  t.true(
    ['INVALID_INPUT', 'INVALID_NAME'].includes(renamed.errors?.[0].extensions?.code ?? ''),
    JSON.stringify(renamed.errors),
  );
});

test('malformed JSON is refused with 400 and a code', async (t) => {
  for (const body of ['{"query": "{ currentUser { id } }"', '{query: 1}', 'not json at all', '']) {
    const response = await postGraphQL(body);
    t.is(response.status, 400, `${JSON.stringify(body)} → ${response.text.slice(0, 200)}`);
    t.truthy(errorCodeOf(t, response), JSON.stringify(body));
  }
});

test('a body that is JSON but not a GraphQL request is refused with 400 and a code', async (t) => {
  for (const payload of [[], 42, { query: 42 }, { query: '{ currentUser { id } }', variables: 'nope' }, {}]) {
    const response = await postGraphQL(JSON.stringify(payload));
    t.is(response.status, 400, `${JSON.stringify(payload)} → ${response.text.slice(0, 200)}`);
    t.truthy(errorCodeOf(t, response), JSON.stringify(payload));
  }
});

test('a wrong content type is refused with a 4xx and a code', async (t) => {
  for (const contentType of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
    const response = await send('/graphql', {
      headers: { 'content-type': contentType },
      body: JSON.stringify({ query: '{ currentUser { id } }' }),
    });
    t.true(response.status >= 400 && response.status < 500, `${contentType} → ${response.status}`);
    t.truthy(errorCodeOf(t, response), contentType);
  }
});

test('a syntax error is refused with 400 and GRAPHQL_PARSE_FAILED', async (t) => {
  const response = await postGraphQL({ query: '{ currentUser { id ' });
  t.is(response.status, 400);
  t.is(errorCodeOf(t, response), 'GRAPHQL_PARSE_FAILED');
});

test('an unknown field is refused with 400 and GRAPHQL_VALIDATION_FAILED', async (t) => {
  for (const query of ['{ nope }', '{ currentUser { passwordHash } }', 'mutation { dropTable }']) {
    const response = await postGraphQL({ query });
    t.is(response.status, 400, query);
    t.is(errorCodeOf(t, response), 'GRAPHQL_VALIDATION_FAILED', query);
  }
});

test('a query nested deeper than 12 levels is refused with a message about depth', async (t) => {
  const user = await signUp(platform);
  let organization = '{ id }';
  for (let i = 0; i < 5; i++) organization = `{ organizationMemberships { nodes { organization ${organization} } } }`;
  // currentUser → organizationMemberships → nodes → organization → organizationMemberships → … : 20 levels.
  const query = `{ currentUser { organizationMemberships { nodes { organization ${organization} } } } }`;
  const response = await postGraphQL({ query }, { authorization: `Bearer ${user.token}` });
  refusedUnexecuted(t, response, /depth/i);
});

test('a document with 50 aliases is refused', async (t) => {
  const user = await signUp(platform);
  const query = `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: currentUser { id }`).join(' ')} }`;
  const response = await postGraphQL({ query }, { authorization: `Bearer ${user.token}` });
  refusedUnexecuted(t, response, /alias/i);
});

test('a document over 100 KB is refused with 413 PAYLOAD_TOO_LARGE', async (t) => {
  const query = `{ currentUser { id } } # ${'x'.repeat(150_000)}`;
  const response = await postGraphQL({ query });
  t.is(response.status, 413);
  t.is(errorCodeOf(t, response), 'PAYLOAD_TOO_LARGE');
});

const CODES_FOR_A_BAD_UUID = ['INVALID_INPUT', 'GRAPHQL_VALIDATION_FAILED'];

test('a malformed UUID written in the document is refused as invalid, never INTERNAL_ERROR', async (t) => {
  const user = await signUp(platform);
  for (const literal of ['"not-a-uuid"', '"\' or 1=1 --"', '""']) {
    const result = await user.client.request(`{ organization(id: ${literal}) { id } }`);
    assertNothingLeaks(t, result);
    t.not(result.status, 500);
    t.truthy(result.errors?.length, literal);
    const code = result.errors?.[0].extensions?.code ?? '';
    t.true(CODES_FOR_A_BAD_UUID.includes(code), `${literal}: ${JSON.stringify(result.errors)}`);
  }
});

test('a malformed UUID passed as a variable is refused as invalid, never INTERNAL_ERROR', async (t) => {
  const user = await signUp(platform);
  for (const id of ['not-a-uuid', `'; drop table app_public.users; --`, '00000000-0000-0000-0000-00000000000g', '']) {
    const result = await user.client.request(`query ($id: UUID!) { organization(id: $id) { id } }`, { id });
    assertNothingLeaks(t, result);
    t.not(result.status, 500);
    t.truthy(result.errors?.length, id);
    const code = result.errors?.[0].extensions?.code ?? '';
    t.true(CODES_FOR_A_BAD_UUID.includes(code), `${JSON.stringify(id)}: ${JSON.stringify(result.errors)}`);
  }
  const deletion = await user.client.request(
    `mutation ($id: UUID!) { deleteSession(input: { id: $id }) { session { id } } }`,
    { id: 'nope' },
  );
  assertNothingLeaks(t, deletion);
  t.true(CODES_FOR_A_BAD_UUID.includes(deletion.errors?.[0].extensions?.code ?? ''), JSON.stringify(deletion.errors));
  const { rows } = await platform.owner.query(`select count(*)::int as n from app_public.users`);
  t.true(rows[0].n >= 1, 'the users table is still there');
});

test('forged, empty, doubled and oversized tokens are refused with 401 INVALID_TOKEN', async (t) => {
  const jwtish = [
    Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url'),
    Buffer.from('{"sub":"admin","role":"service_role"}').toString('base64url'),
    '',
  ].join('.');
  const authorizations = [
    `Bearer cnp_s_${randomBytes(32).toString('base64url')}`,
    `Bearer cnp_pat_${randomBytes(32).toString('base64url')}`,
    `Bearer ${jwtish}`,
    `Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.${randomBytes(32).toString('base64url')}`,
    'Bearer',
    'Bearer ',
    `Bearer cnp_s_${randomBytes(16).toString('hex')} cnp_s_${randomBytes(16).toString('hex')}`,
    `Bearer ${'a'.repeat(10 * 1024)}`,
    `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    `Bearer ' or 1=1 --`,
  ];
  for (const authorization of authorizations) {
    const response = await postGraphQL({ query: ME }, { authorization });
    t.is(response.status, 401, authorization.slice(0, 60));
    t.is(errorCodeOf(t, response), 'INVALID_TOKEN', authorization.slice(0, 60));
  }
});

test('a cookie session is refused from another site and accepted from the platform itself', async (t) => {
  const email = uniqueEmail();
  const browser = new ControlClient(platform.url, { origin: platform.url });
  const registered = await browser.request(REGISTER, { input: { email, password: PASSWORD } });
  t.falsy(registered.errors);
  const cookie = (registered.headers.get('set-cookie') ?? '').split(';')[0];
  t.regex(cookie, /^canopy_session=/);

  const evil = await postGraphQL({ query: ME }, { cookie, origin: 'https://evil.example' });
  t.is(evil.status, 403);
  t.is(errorCodeOf(t, evil), 'CROSS_SITE_REQUEST');
  const evilMutation = await postGraphQL(
    { query: CREATE_ORG, variables: { name: 'Pwned', slug: `pwned-${randomBytes(3).toString('hex')}` } },
    { cookie, origin: 'https://evil.example' },
  );
  t.is(evilMutation.status, 403);
  t.is(errorCodeOf(t, evilMutation), 'CROSS_SITE_REQUEST');
  t.falsy(evilMutation.body?.data);

  const own = await postGraphQL({ query: ME }, { cookie, origin: platform.url });
  t.is(own.status, 200);
  t.is(own.body.data.currentUser.email, email);
});

test('a bearer token works from any origin (scripts are not browsers)', async (t) => {
  const user = await signUp(platform);
  for (const origin of ['https://evil.example', 'null', platform.url]) {
    const response = await postGraphQL({ query: ME }, { authorization: `Bearer ${user.token}`, origin });
    t.is(response.status, 200, origin);
    t.is(response.body.data.currentUser.id, user.userId, origin);
  }
});

test('responses carry the security headers', async (t) => {
  for (const response of [
    await send('/health', { method: 'GET' }),
    await postGraphQL({ query: ME }),
    await postGraphQL('{bad json'),
  ]) {
    const headers = response.headers;
    t.is(headers.get('x-content-type-options'), 'nosniff');
    const csp = headers.get('content-security-policy') ?? '';
    t.true(Boolean(headers.get('x-frame-options')) || /frame-ancestors/.test(csp), 'framing is refused');
    t.true(Boolean(headers.get('strict-transport-security')) || csp.length > 0, 'HSTS or a CSP');
    t.truthy(csp, 'a content security policy');
    t.falsy(headers.get('x-powered-by'));
  }
});

test('a CORS preflight from the platform itself is allowed with credentials, from another site it is not', async (t) => {
  const preflight = (origin: string) =>
    send('/graphql', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
  const own = await preflight(platform.url);
  t.true(own.status >= 200 && own.status < 300, `status ${own.status}`);
  t.is(own.headers.get('access-control-allow-origin'), platform.url);
  t.is(own.headers.get('access-control-allow-credentials'), 'true');
  t.regex(own.headers.get('access-control-allow-methods') ?? 'POST', /POST/);

  const evil = await preflight('https://evil.example');
  t.not(evil.status, 500);
  t.is(evil.headers.get('access-control-allow-origin'), null);
  assertNothingLeaks(t, evil);

  // A simple cross-site request gets no CORS grant either, so a browser would not let the page read the answer.
  const simple = await postGraphQL({ query: ME }, { origin: 'https://evil.example' });
  t.is(simple.headers.get('access-control-allow-origin'), null);
});

test('hostile values for a project\'s auth settings and the platform admin fields are refused with INVALID_INPUT', async (t) => {
  const owner = await signUp(platform);
  await platform.owner.query('update app_public.users set is_platform_admin = true where id = $1', [owner.userId]);
  const project = await activeProject(platform, owner);
  const update = `mutation ($id: UUID!, $patch: ProjectAuthSettingsPatch!) {
    updateProjectAuthSettings(projectId: $id, patch: $patch) { siteUrl redirectUrls }
  }`;
  const patches = [
    { siteUrl: `https://app.example.com/'); drop table users; --` + '\u0000' },
    { siteUrl: `https://${'a'.repeat(5000)}.example.com/` },
    { siteUrl: `' or 1=1 --` },
    { redirectUrls: ['https://app.example.com/\u0000'] },
    { redirectUrls: ['https://app.example.com/ok', `' or '1'='1`] },
    { accessTokenTtl: -2147483648 },
  ];
  for (const patch of patches) {
    const result = await owner.client.request(update, { id: project.id, patch });
    assertNothingLeaks(t, result);
    t.is(result.errors?.[0].extensions?.code, 'INVALID_INPUT', JSON.stringify(patch).slice(0, 80));
  }
  // Quotes in a path are an ordinary URL, stored literally.
  const quoted = `https://app.example.com/it's/"ok"`;
  const stored = await owner.client.data(update, { id: project.id, patch: { redirectUrls: [quoted] } });
  t.deepEqual(stored.updateProjectAuthSettings.redirectUrls, [quoted]);

  for (const [query, variables] of [
    [`mutation ($id: BigInt!) { retryPlatformJob(id: $id) }`, { id: `1; delete from graphile_worker._private_jobs` }],
    [`mutation ($id: BigInt!) { retryPlatformJob(id: $id) }`, { id: '9'.repeat(40) }],
    [`query ($state: String) { platformJobs(state: $state) { failed } }`, { state: `failed' or '1'='1` }],
    [`query ($first: Int) { platformJobs(first: $first) { failed } }`, { first: -1 }],
  ] as const) {
    const result = await owner.client.request(query, variables);
    assertNothingLeaks(t, result);
    t.is(result.errors?.[0].extensions?.code, 'INVALID_INPUT', JSON.stringify(variables));
  }
});

test('hostile input to the SQL editor is refused with INVALID_INPUT; hostile SQL is only ever an SQL error', async (t) => {
  const owner = await signUp(platform);
  const project = await activeProject(platform, owner);
  const run = `mutation ($id: UUID!, $query: String!, $params: [String]) {
    runProjectSql(projectId: $id, query: $query, params: $params) { results { command rows } error { code message } }
  }`;
  for (const variables of [
    { id: project.id, query: '' },
    { id: project.id, query: ' \n\t ' },
    { id: project.id, query: 'select 1\u0000; drop schema public' },
    { id: project.id, query: 'select $1', params: [1, { a: 1 }] },
    { id: `'; drop table app_public.users; --`, query: 'select 1' },
  ]) {
    const result = await owner.client.request(run, variables);
    assertNothingLeaks(t, result);
    t.not(result.status, 500);
    t.is(result.errors?.[0].extensions?.code, 'INVALID_INPUT', JSON.stringify(variables).slice(0, 80));
  }
  // SQL that ends its own connection, or never ends its COPY, is an answer like any other; the next run works.
  for (const query of ['select pg_terminate_backend(pg_backend_pid())', 'create table c (x int); copy c from stdin', 'listen x; begin']) {
    const result = await owner.client.request(run, { id: project.id, query });
    t.is(result.status, 200);
    t.falsy(result.errors, JSON.stringify(result.errors));
    const next = await owner.client.data(run, { id: project.id, query: 'select 1' });
    t.deepEqual(next.runProjectSql, { results: [{ command: 'SELECT', rows: [['1']] }], error: null });
  }
});

test('hostile filters of the audit log are literal text or refused, never SQL and never INTERNAL_ERROR', async (t) => {
  const owner = await signUp(platform);
  const { createOrganization } = await owner.client.data(CREATE_ORG, { name: 'Audited', slug: `audited-${randomBytes(3).toString('hex')}` });
  const id = createOrganization.result.id;
  const events = `query ($id: UUID!, $action: String, $after: Datetime) {
    organizationAuditEvents(organizationId: $id, action: $action, occurredAfter: $after) { totalCount }
  }`;
  t.true((await owner.client.data(events, { id })).organizationAuditEvents.totalCount > 0, 'the organization has entries');
  // An action is matched as the start of the text, literally: no quotes, LIKE wildcards or regex reach the SQL.
  for (const action of [`' or '1'='1`, '%', '_', '.*', 'organization.%', 'x'.repeat(10_000)]) {
    const { organizationAuditEvents } = await owner.client.data(events, { id, action });
    t.is(organizationAuditEvents.totalCount, 0, action.slice(0, 40));
  }
  for (const variables of [{ id, action: 'organization.\u0000' }, { id, after: 'not a date' }, { id, after: '2026-13-45' }]) {
    const result = await owner.client.request(events, variables);
    assertNothingLeaks(t, result);
    const code = result.errors?.[0].extensions?.code;
    t.truthy(code, JSON.stringify(variables));
    t.not(code, 'INTERNAL_ERROR', JSON.stringify(variables));
  }
});
