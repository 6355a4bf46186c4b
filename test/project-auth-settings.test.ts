/**
 * A project's auth settings through the control API (the console's Auth settings page): every member reads them;
 * owners, administrators and developers change them, audited; bad values are refused naming the field; and the
 * project's auth API follows a change from its next request.
 */
import { createClient } from '@supabase/supabase-js';
import test from 'ava';
import { globMatches } from '../server/src/projects/auth/redirects.ts';
import { ControlClient, PASSWORD, type SignedInUser, signUp, uniqueEmail } from './support/client.ts';
import { newOrganization, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';

let platform: TestPlatform;
let project: ActiveProject;
let people: Record<'owner' | 'administrator' | 'developer' | 'readOnly' | 'outsider' | 'platformAdmin', SignedInUser>;
test.before(async () => {
  platform = await startTestPlatform();
  const [owner, administrator, developer, readOnly, outsider, platformAdmin] = await Promise.all(
    Array.from({ length: 6 }, () => signUp(platform)),
  );
  people = { owner, administrator, developer, readOnly, outsider, platformAdmin };
  await platform.owner.query('update app_public.users set is_platform_admin = true where id = $1', [platformAdmin.userId]);
  const org = await newOrganization(platform, owner, [
    [administrator, 'administrator'],
    [developer, 'developer'],
    [readOnly, 'read_only'],
  ]);
  project = await activeProject(platform, owner, org);
});
test.after.always(() => platform?.stop());

const FIELDS = 'enableSignup confirmEmail accessTokenTtl minPasswordLength redirectUrls siteUrl';
const READ = `query ($id: UUID!) { projectAuthSettings(projectId: $id) { ${FIELDS} } }`;
const UPDATE = `mutation ($id: UUID!, $patch: ProjectAuthSettingsPatch!) {
  updateProjectAuthSettings(projectId: $id, patch: $patch) { ${FIELDS} }
}`;
const DEFAULTS = {
  enableSignup: true,
  confirmEmail: false,
  accessTokenTtl: 3600,
  minPasswordLength: 6,
  redirectUrls: [],
  siteUrl: null,
};

const supabase = () => createClient(project.apiUrl, project.anonKey, { auth: { persistSession: false, autoRefreshToken: false } });

/** The settings row as the auth API reads it. */
async function stored() {
  return (await people.owner.client.data(READ, { id: project.id })).projectAuthSettings;
}

/** Puts the settings back as they were made, as the owner. */
async function reset() {
  await people.owner.client.data(UPDATE, { id: project.id, patch: DEFAULTS });
}

test.serial('every member, and a platform admin, reads the settings; outsiders and nobody do not', async (t) => {
  for (const reader of [people.owner, people.administrator, people.developer, people.readOnly, people.platformAdmin]) {
    t.deepEqual((await reader.client.data(READ, { id: project.id })).projectAuthSettings, DEFAULTS);
  }
  t.is(await people.outsider.client.errorCode(READ, { id: project.id }), 'NOT_FOUND');
  t.is(await new ControlClient(platform.url).errorCode(READ, { id: project.id }), 'UNAUTHENTICATED');
});

test.serial('owners, administrators and developers change them, audited; the rest may not', async (t) => {
  const patches = {
    owner: { accessTokenTtl: 7200 },
    administrator: { siteUrl: 'https://app.example.com' },
    developer: { redirectUrls: [' https://app.example.com/** ', 'http://localhost:3000/auth/*', 'https://app.example.com/**'] },
  } as const;
  for (const [who, patch] of Object.entries(patches)) {
    const result = await people[who as keyof typeof patches].client.data(UPDATE, { id: project.id, patch });
    t.truthy(result.updateProjectAuthSettings, who);
  }
  const expected = {
    ...DEFAULTS,
    accessTokenTtl: 7200,
    siteUrl: 'https://app.example.com',
    // Trimmed, and each once.
    redirectUrls: ['https://app.example.com/**', 'http://localhost:3000/auth/*'],
  };
  t.deepEqual(await stored(), expected);

  t.is(await people.readOnly.client.errorCode(UPDATE, { id: project.id, patch: { enableSignup: false } }), 'FORBIDDEN');
  t.is(await people.platformAdmin.client.errorCode(UPDATE, { id: project.id, patch: { enableSignup: false } }), 'FORBIDDEN');
  t.is(await people.outsider.client.errorCode(UPDATE, { id: project.id, patch: { enableSignup: false } }), 'NOT_FOUND');
  t.is(
    await new ControlClient(platform.url).errorCode(UPDATE, { id: project.id, patch: { enableSignup: false } }),
    'UNAUTHENTICATED',
  );
  t.deepEqual(await stored(), expected, 'nothing changed');

  const { rows } = await platform.owner.query(
    `select actor_id, organization_id, details from app_public.audit_events
     where action = 'project.auth_settings_updated' and target_id = $1 order by id`,
    [project.id],
  );
  t.deepEqual(
    rows.map((row) => [row.actor_id, row.details]),
    [
      [people.owner.userId, { accessTokenTtl: 7200 }],
      [people.administrator.userId, { siteUrl: 'https://app.example.com' }],
      [people.developer.userId, { redirectUrls: expected.redirectUrls }],
    ],
  );
  t.is(rows[0].organization_id, project.org.id);

  // Null or empty clears the site URL; a patch of nothing changes nothing and is not audited.
  t.is((await people.owner.client.data(UPDATE, { id: project.id, patch: { siteUrl: '' } })).updateProjectAuthSettings.siteUrl, null);
  t.deepEqual((await people.owner.client.data(UPDATE, { id: project.id, patch: {} })).updateProjectAuthSettings, {
    ...expected,
    siteUrl: null,
  });
  const { rows: after } = await platform.owner.query(
    `select count(*)::int as n from app_public.audit_events where action = 'project.auth_settings_updated' and target_id = $1`,
    [project.id],
  );
  t.is(after[0].n, 4);
  await reset();
});

test.serial('bad values are refused with INVALID_INPUT, naming the field, and change nothing', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ accessTokenTtl: 59 }, /accessTokenTtl/],
    [{ accessTokenTtl: 604_801 }, /accessTokenTtl/],
    [{ minPasswordLength: 5 }, /minPasswordLength/],
    [{ minPasswordLength: 73 }, /minPasswordLength/],
    [{ enableSignup: null }, /enableSignup/],
    [{ redirectUrls: null }, /redirectUrls/],
    [{ siteUrl: 'app.example.com' }, /siteUrl/],
    [{ siteUrl: 'ftp://files.example.com' }, /siteUrl/],
    [{ siteUrl: 'javascript:alert(1)' }, /siteUrl/],
    [{ siteUrl: 'https://app.example.com/*' }, /siteUrl/],
    [{ redirectUrls: ['https://app.example.com/ok', '/relative'] }, /redirectUrls/],
    [{ redirectUrls: ['javascript:alert(1)//'] }, /redirectUrls/],
    // A glob in the host would also match someone else's host (`evil.example?.app.example.com`).
    [{ redirectUrls: ['https://*.example.com/**'] }, /redirectUrls/],
    [{ redirectUrls: ['https://app.example.com**'] }, /redirectUrls/],
    [{ redirectUrls: ['https://user:pass@app.example.com/'] }, /redirectUrls/],
    [{ redirectUrls: Array.from({ length: 101 }, (_, i) => `https://app${i}.example.com/`) }, /redirectUrls/],
  ];
  for (const [patch, field] of cases) {
    const result = await people.owner.client.request(UPDATE, { id: project.id, patch: { enableSignup: false, ...patch } });
    t.is(result.errors?.[0].extensions?.code, 'INVALID_INPUT', JSON.stringify(patch).slice(0, 100));
    t.regex(result.errors?.[0].message ?? '', field);
  }
  t.deepEqual(await stored(), DEFAULTS);
  // The limits themselves are allowed.
  const edges = {
    accessTokenTtl: 60,
    minPasswordLength: 72,
    redirectUrls: Array.from({ length: 100 }, (_, i) => `https://app${i}.example.com/`),
  };
  t.like((await people.owner.client.data(UPDATE, { id: project.id, patch: edges })).updateProjectAuthSettings, {
    accessTokenTtl: 60,
    minPasswordLength: 72,
  });
  const widest = { accessTokenTtl: 604_800, minPasswordLength: 6 };
  t.like((await people.owner.client.data(UPDATE, { id: project.id, patch: widest })).updateProjectAuthSettings, {
    accessTokenTtl: 604_800,
    minPasswordLength: 6,
  });
  await reset();
});

test.serial('the auth API follows a change from its next request', async (t) => {
  await people.developer.client.data(UPDATE, { id: project.id, patch: { enableSignup: false } });
  const refused = await supabase().auth.signUp({ email: uniqueEmail('end-user'), password: PASSWORD });
  t.is(refused.error?.code, 'signup_disabled');
  const settings = await fetch(`${project.apiUrl}/auth/v1/settings`, { headers: { apikey: project.anonKey } });
  t.is(((await settings.json()) as { disable_signup: boolean }).disable_signup, true);

  await people.developer.client.data(UPDATE, {
    id: project.id,
    patch: { enableSignup: true, minPasswordLength: 40, accessTokenTtl: 120 },
  });
  const weak = await supabase().auth.signUp({ email: uniqueEmail('end-user'), password: PASSWORD });
  t.is(weak.error?.code, 'weak_password');
  const email = uniqueEmail('end-user');
  const signedUp = await supabase().auth.signUp({ email, password: `${PASSWORD} ${PASSWORD}` });
  t.is(signedUp.error, null);
  t.is(signedUp.data.session?.expires_in, 120);

  // Confirm-email-first with an allowed redirect: the mailed link keeps it.
  await people.developer.client.data(UPDATE, {
    id: project.id,
    patch: { minPasswordLength: 6, confirmEmail: true, redirectUrls: ['https://app.example.com/**'] },
  });
  const pending = uniqueEmail('end-user');
  const confirming = await supabase().auth.signUp({
    email: pending,
    password: PASSWORD,
    options: { emailRedirectTo: 'https://app.example.com/welcome' },
  });
  t.is(confirming.error, null);
  t.is(confirming.data.session, null, 'no session before the address is confirmed');
  const variables = await waitFor('the confirmation mail', async () => {
    const { rows } = await platform.owner.query(
      `select variables from app_private.mails where recipient = $1 and template = 'auth_confirmation'`,
      [pending],
    );
    return rows[0]?.variables as Record<string, string> | undefined;
  });
  t.is(new URL(variables.link).searchParams.get('redirect_to'), 'https://app.example.com/welcome');
  await reset();
  t.is((await supabase().auth.signUp({ email: uniqueEmail('end-user'), password: PASSWORD })).error, null);
});

test('redirect globs: `*` within a path segment, `**` across them, matched in one pass (no backtracking to exploit)', (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['https://app.example.com/welcome', 'https://app.example.com/welcome', true],
    ['https://app.example.com/welcome', 'https://app.example.com/welcomex', false],
    ['https://app.example.com/*', 'https://app.example.com/a', true],
    ['https://app.example.com/*', 'https://app.example.com/a/b', false],
    ['https://app.example.com/**', 'https://app.example.com/a/b?x=1', true],
    ['https://app.example.com/*/done', 'https://app.example.com/a/done', true],
    ['https://app.example.com/*/done', 'https://app.example.com/a/b/done', false],
    ['https://app.example.com/**/done', 'https://app.example.com/a/b/done', true],
    ['https://app.example.com/a*a', 'https://app.example.com/a', false],
    ['https://app.example.com/a*b*c', 'https://app.example.com/axbxc', true],
    // What made a regular expression backtrack for seconds: many wildcards, a long text that almost matches.
    [`https://app.example.com/${'*x'.repeat(12)}`, `https://app.example.com/${'x'.repeat(40_000)}y`, false],
  ];
  for (const [pattern, text, expected] of cases) t.is(globMatches(pattern, text), expected, `${pattern} ~ ${text.slice(0, 60)}`);
});
