/**
 * A project's end-user auth (/auth/v1), as app developers use it: through @supabase/supabase-js itself. Sign-up,
 * sign-in, refresh with rotation and reuse detection, sign-out, the mailed flows (confirmation, recovery, magic
 * link) read from the mail outbox, the admin API, the project's settings, and isolation between projects.
 */
import { randomBytes } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import test from 'ava';
import type pg from 'pg';
import { withClient } from '../worker/src/tenants/projects.ts';
import { type SignedInUser, signUp as signUpOwner } from './support/client.ts';
import { type Organization, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject as createActiveProject } from './support/projects.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
test.after.always(() => platform?.stop());

type Project = ActiveProject;

const PASSWORD = 'a fine passphrase';
const activeProject = (owner: SignedInUser, org?: Organization) => createActiveProject(platform, owner, org);

let shared: Promise<Project & { owner: SignedInUser }> | undefined;
/** One project for the tests that leave its settings as they are (its organization has room for one more). */
function sharedProject() {
  shared ??= signUpOwner(platform).then(async (owner) => ({ ...(await activeProject(owner)), owner }));
  return shared;
}

function supabase(project: Project, key = project.anonKey): SupabaseClient {
  return createClient(project.apiUrl, key, { auth: { persistSession: false, autoRefreshToken: false } });
}

function uniqueEmail(prefix = 'end-user'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}@example.com`;
}

/** SQL on the project's organization database as the operator (superuser). */
function asOperator<T>(project: Project, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = Object.assign(new URL(process.env.CANOPY_TEST_ROOT_URL!), { pathname: `/org_${project.org.ref}` });
  return withClient(url.toString(), work);
}

/** Changes the project's auth settings as the operator would. */
async function setSettings(project: Project, assignments: string) {
  await asOperator(project, (client) => client.query(`update "p_${project.ref}_auth".settings set ${assignments}`));
}

/** The variables of the newest auth mail of `template` to `email`, once it is in the outbox. */
async function mailTo(email: string, template: string): Promise<Record<string, string>> {
  return waitFor(`a ${template} mail to ${email}`, async () => {
    const { rows } = await platform.owner.query(
      `select variables from app_private.mails where recipient = $1 and template = $2 order by created_at desc limit 1`,
      [email, template],
    );
    return rows[0]?.variables;
  });
}

async function signedUp(project: Project, email = uniqueEmail()) {
  const client = supabase(project);
  const { data, error } = await client.auth.signUp({ email, password: PASSWORD });
  if (error || !data.session) throw new Error(`sign-up failed: ${error?.message}`);
  return { client, email, session: data.session, user: data.user! };
}

async function rawAuth(project: Project, path: string, init: RequestInit & { key?: string } = {}) {
  const response = await fetch(`${project.apiUrl}/auth/v1${path}`, {
    ...init,
    headers: { apikey: init.key ?? project.anonKey, 'content-type': 'application/json', ...init.headers },
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
}

test('sign up gives a session; sign in with the password; a wrong password is invalid_credentials', async (t) => {
  const project = await sharedProject();
  const { email, session, user } = await signedUp(project);
  t.is(user.email, email);
  t.is(session.token_type, 'bearer');
  t.is(session.expires_in, 3600);
  t.like(user.app_metadata, { provider: 'email', providers: ['email'] });

  const client = supabase(project);
  const signedIn = await client.auth.signInWithPassword({ email: email.toUpperCase(), password: PASSWORD });
  t.is(signedIn.error, null);
  t.is(signedIn.data.user?.id, user.id);
  t.not(signedIn.data.session?.refresh_token, session.refresh_token);

  const wrong = await supabase(project).auth.signInWithPassword({ email, password: 'not the passphrase' });
  t.is(wrong.error?.code, 'invalid_credentials');
  t.is(wrong.error?.status, 400);
  const unknown = await supabase(project).auth.signInWithPassword({ email: uniqueEmail(), password: PASSWORD });
  t.is(unknown.error?.code, 'invalid_credentials');

  const again = await supabase(project).auth.signUp({ email, password: PASSWORD });
  t.is(again.error?.code, 'user_already_exists');
});

test('the access token carries GoTrue claims and the project ref', async (t) => {
  const project = await sharedProject();
  const { session, user } = await signedUp(project);
  const claims = JSON.parse(Buffer.from(session.access_token.split('.')[1], 'base64url').toString());
  t.like(claims, {
    aud: 'authenticated',
    role: 'authenticated',
    sub: user.id,
    email: user.email,
    phone: '',
    aal: 'aal1',
    is_anonymous: false,
    ref: project.ref,
    iss: `${project.apiUrl}/auth/v1`,
  });
  t.is(typeof claims.session_id, 'string');
  t.is(claims.exp - claims.iat, 3600);
});

test('getUser and updateUser: metadata and password; the new password signs in, the old no longer', async (t) => {
  const project = await sharedProject();
  const { client, email, user } = await signedUp(project);
  const got = await client.auth.getUser();
  t.is(got.data.user?.id, user.id);

  const updated = await client.auth.updateUser({ data: { nickname: 'ada' } });
  t.is(updated.error, null);
  t.deepEqual(updated.data.user?.user_metadata, { nickname: 'ada' });

  const weak = await client.auth.updateUser({ password: 'short' });
  t.is(weak.error?.code, 'weak_password');
  t.is(weak.error?.status, 422);
  t.is((await client.auth.updateUser({ password: PASSWORD })).error?.code, 'same_password');

  t.is((await client.auth.updateUser({ password: 'another fine passphrase' })).error, null);
  t.is((await supabase(project).auth.signInWithPassword({ email, password: PASSWORD })).error?.code, 'invalid_credentials');
  t.is((await supabase(project).auth.signInWithPassword({ email, password: 'another fine passphrase' })).error, null);
});

test('a user cannot change their own role or app_metadata', async (t) => {
  const project = await sharedProject();
  const { client, user } = await signedUp(project);
  const { data, error } = await client.auth.updateUser({
    data: { role: 'service_role' },
    app_metadata: { plan: 'enterprise', provider: 'admin' },
    role: 'service_role',
  } as never);
  t.is(error, null);
  t.is(data.user?.role, 'authenticated');
  t.deepEqual(data.user?.app_metadata, user.app_metadata);

  const refreshed = await client.auth.refreshSession();
  const claims = JSON.parse(Buffer.from(refreshed.data.session!.access_token.split('.')[1], 'base64url').toString());
  t.is(claims.role, 'authenticated');
  t.deepEqual(claims.app_metadata, { provider: 'email', providers: ['email'] });
});

test('refreshing rotates the refresh token; two tabs refreshing the same token at once both keep the session', async (t) => {
  const project = await sharedProject();
  const { client, session } = await signedUp(project);
  const first = session.refresh_token;
  const rotated = await client.auth.refreshSession();
  t.is(rotated.error, null);
  const second = rotated.data.session!.refresh_token;
  t.not(second, first);

  // The other tab, a moment later, with the token the first tab just exchanged: within the reuse interval.
  const otherTab = await supabase(project).auth.refreshSession({ refresh_token: first });
  t.is(otherTab.error, null);
  const third = otherTab.data.session!.refresh_token;
  t.not(third, second);
  for (const token of [second, third]) t.is((await supabase(project).auth.refreshSession({ refresh_token: token })).error, null);
});

test('reusing a rotated refresh token after the reuse interval ends the whole session', async (t) => {
  const project = await sharedProject();
  const { client, session } = await signedUp(project);
  const first = session.refresh_token;
  const rotated = await client.auth.refreshSession();
  const second = rotated.data.session!.refresh_token;
  await asOperator(project, (sql) =>
    sql.query(
      `update "p_${project.ref}_auth".refresh_tokens set revoked_at = now() - interval '11 seconds'
       where token_hash = sha256(convert_to($1, 'UTF8'))`,
      [first],
    ),
  );

  const reused = await supabase(project).auth.refreshSession({ refresh_token: first });
  t.is(reused.error?.code, 'refresh_token_already_used');
  t.is(reused.data.session, null);
  // The family is revoked: the newest token is dead too, and so is the session behind the access tokens.
  const newest = await supabase(project).auth.refreshSession({ refresh_token: second });
  t.is(newest.error?.code, 'refresh_token_not_found');
  const user = await supabase(project).auth.getUser(rotated.data.session!.access_token);
  t.is(user.data.user, null);
  t.truthy(user.error);
});

test('sign out ends this session (local) or every session (global)', async (t) => {
  const project = await sharedProject();
  const { email, client: first, session: firstSession } = await signedUp(project);
  const signIn = async () => {
    const client = supabase(project);
    const { data } = await client.auth.signInWithPassword({ email, password: PASSWORD });
    return { client, session: data.session! };
  };
  const second = await signIn();
  const third = await signIn();

  t.is((await first.auth.signOut({ scope: 'local' })).error, null);
  t.is((await supabase(project).auth.refreshSession({ refresh_token: firstSession.refresh_token })).error?.code, 'refresh_token_not_found');
  t.is((await supabase(project).auth.getUser(firstSession.access_token)).data.user, null);
  t.truthy((await supabase(project).auth.getUser(second.session.access_token)).data.user);

  t.is((await second.client.auth.signOut({ scope: 'global' })).error, null);
  for (const { session } of [second, third]) {
    t.is((await supabase(project).auth.refreshSession({ refresh_token: session.refresh_token })).error?.code, 'refresh_token_not_found');
  }
});

test('with confirm-email-first, sign-up mails a code instead of a session; the code confirms and signs in', async (t) => {
  const owner = await signUpOwner(platform);
  const project = await activeProject(owner);
  await setSettings(project, `confirm_email = true, redirect_urls = '{https://app.example.com/**}'`);
  const email = uniqueEmail();
  const client = supabase(project);
  const signedUpResult = await client.auth.signUp({
    email,
    password: PASSWORD,
    options: { emailRedirectTo: 'https://app.example.com/welcome' },
  });
  t.is(signedUpResult.error, null);
  t.is(signedUpResult.data.session, null);
  t.is(signedUpResult.data.user?.email, email);

  t.is((await supabase(project).auth.signInWithPassword({ email, password: PASSWORD })).error?.code, 'email_not_confirmed');
  const mail = await mailTo(email, 'auth_confirmation');
  t.regex(mail.code, /^\d{6}$/);
  t.true(mail.link.startsWith(`${project.apiUrl}/auth/v1/verify?`));
  t.is(new URL(mail.link).searchParams.get('redirect_to'), 'https://app.example.com/welcome');

  t.is((await client.auth.verifyOtp({ email, token: '000000' === mail.code ? '111111' : '000000', type: 'signup' })).error?.code, 'otp_expired');
  const verified = await client.auth.verifyOtp({ email, token: mail.code, type: 'signup' });
  t.is(verified.error, null);
  t.truthy(verified.data.session?.access_token);
  t.truthy(verified.data.user?.email_confirmed_at);
  t.is((await supabase(project).auth.verifyOtp({ email, token: mail.code, type: 'signup' })).error?.code, 'otp_expired', 'once');
  t.is((await supabase(project).auth.signInWithPassword({ email, password: PASSWORD })).error, null);

  // Signing up again with a confirmed address tells nothing: a user-shaped answer, no session, no mail.
  const again = await supabase(project).auth.signUp({ email, password: PASSWORD });
  t.is(again.error, null);
  t.not(again.data.user?.id, verified.data.user?.id);
});

test('the mailed link confirms and redirects to an allowed URL with the session; other URLs are not used', async (t) => {
  const owner = await signUpOwner(platform);
  const project = await activeProject(owner);
  await setSettings(project, `confirm_email = true, redirect_urls = '{https://app.example.com/*}'`);
  const email = uniqueEmail();
  await supabase(project).auth.signUp({ email, password: PASSWORD, options: { emailRedirectTo: 'https://evil.example.com/' } });
  const mail = await mailTo(email, 'auth_confirmation');
  t.is(new URL(mail.link).searchParams.get('redirect_to'), null, 'a redirect the project does not allow is dropped');

  const link = new URL(mail.link);
  link.searchParams.set('redirect_to', 'https://app.example.com/done');
  const response = await fetch(link, { redirect: 'manual' });
  t.is(response.status, 303);
  const location = new URL(response.headers.get('location')!);
  t.is(`${location.origin}${location.pathname}`, 'https://app.example.com/done');
  const fragment = new URLSearchParams(location.hash.slice(1));
  t.is(fragment.get('type'), 'signup');
  const { data } = await supabase(project).auth.getUser(fragment.get('access_token')!);
  t.is(data.user?.email, email);
  t.truthy(data.user?.email_confirmed_at);
});

test('password recovery: the mailed code signs in, then the user sets a new password', async (t) => {
  const project = await sharedProject();
  const { email } = await signedUp(project);
  const client = supabase(project);
  t.is((await client.auth.resetPasswordForEmail(email)).error, null);
  t.is((await client.auth.resetPasswordForEmail(uniqueEmail('nobody'))).error, null, 'unknown addresses look the same');
  const mail = await mailTo(email, 'auth_recovery');
  const verified = await client.auth.verifyOtp({ email, token: mail.code, type: 'recovery' });
  t.is(verified.error, null);
  t.is((await client.auth.updateUser({ password: 'a recovered passphrase' })).error, null);
  t.is((await supabase(project).auth.signInWithPassword({ email, password: 'a recovered passphrase' })).error, null);
});

test('magic link and one-time code: signInWithOtp mails a 6-digit code that signs in (and creates the user)', async (t) => {
  const project = await sharedProject();
  const email = uniqueEmail('otp');
  const client = supabase(project);
  t.is((await client.auth.signInWithOtp({ email, options: { shouldCreateUser: false } })).error?.code, 'otp_disabled');
  t.is((await client.auth.signInWithOtp({ email, options: { data: { from: 'otp' } } })).error, null);
  const mail = await mailTo(email, 'auth_magic_link');
  t.regex(mail.code, /^\d{6}$/);
  const { data, error } = await client.auth.verifyOtp({ email, token: mail.code, type: 'email' });
  t.is(error, null);
  t.is(data.user?.email, email);
  t.deepEqual(data.user?.user_metadata, { from: 'otp' });
  t.truthy((await client.auth.getUser()).data.user);

  // The link token works too (verifyOtp with token_hash), once.
  const again = uniqueEmail('otp');
  await supabase(project).auth.signInWithOtp({ email: again });
  const second = await mailTo(again, 'auth_magic_link');
  const byHash = await supabase(project).auth.verifyOtp({ token_hash: second.token_hash, type: 'magiclink' });
  t.is(byHash.data.user?.email, again);
  t.is((await supabase(project).auth.verifyOtp({ token_hash: second.token_hash, type: 'magiclink' })).error?.code, 'otp_expired');
});

test('PKCE (@supabase/ssr): the mailed link brings back a code that only the app holding the verifier can exchange', async (t) => {
  const project = await activeProject(await signUpOwner(platform));
  await setSettings(project, `redirect_urls = '{https://app.example.com/**}'`);
  const app = () =>
    createClient(project.apiUrl, project.anonKey, { auth: { flowType: 'pkce', persistSession: false, autoRefreshToken: false } });
  /** Follows the mailed link as the browser would, and reads the code from where it lands. */
  const codeFrom = async (link: string) => {
    const response = await fetch(link, { redirect: 'manual' });
    t.is(response.status, 303);
    const location = new URL(response.headers.get('location')!);
    t.is(`${location.origin}${location.pathname}`, 'https://app.example.com/callback');
    t.is(location.hash, '', 'no session in the URL');
    return location.searchParams.get('code')!;
  };

  const email = uniqueEmail('pkce');
  const browser = app();
  const options = { emailRedirectTo: 'https://app.example.com/callback' };
  t.is((await browser.auth.signInWithOtp({ email, options })).error, null);
  const code = await codeFrom((await mailTo(email, 'auth_magic_link')).link);
  t.truthy(code);

  // Someone else who got hold of the code (history, a referrer) has no verifier: the code is spent and refused.
  const thief = app();
  await thief.auth.signInWithOtp({ email: uniqueEmail('thief'), options });
  const stolen = await thief.auth.exchangeCodeForSession(code);
  t.is(stolen.error?.code, 'bad_code_verifier');
  t.is((await browser.auth.exchangeCodeForSession(code)).error?.code, 'flow_state_not_found');

  // The app that asked exchanges a fresh code, once.
  const again = app();
  t.is((await again.auth.signInWithOtp({ email, options })).error, null);
  const fresh = await codeFrom((await mailTo(email, 'auth_magic_link')).link);
  // Another project knows nothing of this project's codes.
  const elsewhere = await rawAuth(await sharedProject(), '/token?grant_type=pkce', {
    method: 'POST',
    body: JSON.stringify({ auth_code: fresh, code_verifier: 'x'.repeat(43) }),
  });
  t.like(elsewhere, { status: 404, body: { error_code: 'flow_state_not_found' } });
  const { data, error } = await again.auth.exchangeCodeForSession(fresh);
  t.is(error, null);
  t.is(data.user?.email, email);
  t.truthy((await again.auth.getUser()).data.user);
  const replayed = await rawAuth(project, '/token?grant_type=pkce', {
    method: 'POST',
    body: JSON.stringify({ auth_code: fresh, code_verifier: 'x'.repeat(43) }),
  });
  t.like(replayed, { status: 404, body: { error_code: 'flow_state_not_found' } });
});

test('guessing codes kills the token after a few tries', async (t) => {
  const project = await sharedProject();
  const email = uniqueEmail('guess');
  await supabase(project).auth.signInWithOtp({ email });
  const { code } = await mailTo(email, 'auth_magic_link');
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  for (let i = 0; i < 5; i++) {
    t.is((await supabase(project).auth.verifyOtp({ email, token: wrong, type: 'email' })).error?.code, 'otp_expired');
  }
  t.is((await supabase(project).auth.verifyOtp({ email, token: code, type: 'email' })).error?.code, 'otp_expired');
});

test('with sign-ups disabled, signUp and signInWithOtp for new addresses are refused', async (t) => {
  const owner = await signUpOwner(platform);
  const project = await activeProject(owner);
  const existing = await signedUp(project);
  await setSettings(project, 'enable_signup = false, min_password_length = 12, access_token_ttl = 600');
  const refused = await supabase(project).auth.signUp({ email: uniqueEmail(), password: 'a long enough one' });
  t.is(refused.error?.code, 'signup_disabled');
  t.is(refused.error?.status, 422);
  t.is((await supabase(project).auth.signInWithOtp({ email: uniqueEmail() })).error?.code, 'signup_disabled');
  // Existing users still sign in, with the new token lifetime; the new minimum applies to new passwords.
  const signedIn = await supabase(project).auth.signInWithPassword({ email: existing.email, password: PASSWORD });
  t.is(signedIn.data.session?.expires_in, 600);
  t.is((await existing.client.auth.updateUser({ password: 'too short' })).error?.code, 'weak_password');
});

test('the admin API works with the service_role key and refuses the anon key and user tokens', async (t) => {
  const project = await sharedProject();
  const admin = supabase(project, project.serviceRoleKey).auth.admin;
  const email = uniqueEmail('admin');
  const created = await admin.createUser({
    email,
    password: PASSWORD,
    email_confirm: true,
    user_metadata: { name: 'Ada' },
    app_metadata: { plan: 'pro' },
  });
  t.is(created.error, null);
  const id = created.data.user!.id;
  t.like(created.data.user!.app_metadata, { plan: 'pro', provider: 'email' });
  t.truthy(created.data.user!.email_confirmed_at);
  t.is((await admin.createUser({ email, password: PASSWORD })).error?.code, 'email_exists');

  const listed = await admin.listUsers({ page: 1, perPage: 1000 });
  t.is(listed.error, null);
  t.true(listed.data.users.some((user) => user.id === id));
  t.is((await admin.getUserById(id)).data.user?.email, email);
  t.is((await admin.getUserById('00000000-0000-0000-0000-000000000000')).error?.code, 'user_not_found');
  t.is((await rawAuth(project, '/admin/users/not-a-uuid', { key: project.serviceRoleKey })).body.error_code, 'user_not_found');

  const updated = await admin.updateUserById(id, { user_metadata: { name: 'Ada L.' }, app_metadata: { plan: 'team' }, password: 'an admin-set passphrase' });
  t.is(updated.error, null);
  t.like(updated.data.user!.app_metadata, { plan: 'team', provider: 'email' });
  t.is((await supabase(project).auth.signInWithPassword({ email, password: 'an admin-set passphrase' })).error, null);

  const user = await signedUp(project);
  for (const client of [supabase(project), user.client]) {
    const refused = await client.auth.admin.listUsers();
    t.is(refused.error?.code, 'not_admin');
    t.is(refused.error?.status, 403);
  }
  const userToken = await rawAuth(project, '/admin/users', { headers: { authorization: `Bearer ${user.session.access_token}` } });
  t.is(userToken.status, 403);
  t.false(JSON.stringify(userToken.body).includes(email));

  t.is((await admin.deleteUser(id)).error, null);
  t.is((await admin.getUserById(id)).error?.code, 'user_not_found');
  t.is((await supabase(project).auth.signInWithPassword({ email, password: 'an admin-set passphrase' })).error?.code, 'invalid_credentials');
});

test('admin generateLink: the links and codes the mails would carry, for the app to send itself; no mail is sent', async (t) => {
  const project = await sharedProject();
  const admin = supabase(project, project.serviceRoleKey).auth.admin;
  const email = uniqueEmail('invited');
  const invite = await admin.generateLink({ type: 'invite', email });
  t.is(invite.error, null);
  t.is(invite.data.user?.email, email);
  t.is(invite.data.properties?.verification_type, 'invite');
  t.regex(invite.data.properties!.email_otp, /^\d{6}$/);
  // The link signs the invited user in, without a key, as a browser opens it.
  const opened = await fetch(invite.data.properties!.action_link, { redirect: 'manual' });
  t.true([200, 303].includes(opened.status));

  const known = await signedUp(project);
  const recovery = await admin.generateLink({ type: 'recovery', email: known.email });
  t.is(recovery.error, null);
  const verified = await supabase(project).auth.verifyOtp({ token_hash: recovery.data.properties!.hashed_token, type: 'recovery' });
  t.is(verified.data.user?.email, known.email);
  t.is((await admin.generateLink({ type: 'recovery', email: uniqueEmail('nobody') })).error?.code, 'user_not_found');
  t.is((await admin.generateLink({ type: 'signup', email: known.email, password: PASSWORD })).error?.code, 'email_exists');
  t.is((await admin.generateLink({ type: 'sms', email } as never)).error?.code, 'validation_failed');

  const { rows } = await platform.owner.query('select count(*)::int as mails from app_private.mails where recipient = any($1)', [
    [email, known.email],
  ]);
  t.is(rows[0].mails, 0);
  const anon = await rawAuth(project, '/admin/generate_link', { method: 'POST', body: JSON.stringify({ type: 'magiclink', email }) });
  t.is(anon.status, 403);
});

test('admin inviteUserByEmail: the invited user gets a mail whose link confirms them and signs them in', async (t) => {
  const project = await sharedProject();
  const admin = supabase(project, project.serviceRoleKey).auth.admin;
  const email = uniqueEmail('invitee');
  const invited = await admin.inviteUserByEmail(email, { data: { team: 'blue' } });
  t.is(invited.error, null);
  t.is(invited.data.user?.email, email);
  t.falsy(invited.data.user?.email_confirmed_at);
  const mail = await mailTo(email, 'auth_invite');
  t.is(new URL(mail.link).searchParams.get('type'), 'invite');

  const accepted = await supabase(project).auth.verifyOtp({ email, token: mail.code, type: 'invite' });
  t.is(accepted.error, null);
  t.truthy(accepted.data.user?.email_confirmed_at);
  t.deepEqual(accepted.data.user?.user_metadata, { team: 'blue' });
  t.is((await admin.inviteUserByEmail(email)).error?.code, 'email_exists');
  t.is((await admin.inviteUserByEmail('not an address')).error?.code, 'email_address_invalid');
  t.is((await admin.generateLink({ type: 'magiclink', email: 'not an address' })).error?.code, 'email_address_invalid');
  t.is((await supabase(project).auth.admin.inviteUserByEmail(uniqueEmail())).error?.code, 'not_admin');
});

test('the access token works against the project GraphQL API, where RLS sees canopy.uid()', async (t) => {
  const project = await sharedProject();
  await withClient(project.databaseUrl, (client) =>
    client.query(`
      create table if not exists p_${project.ref}.notes (
        id serial primary key,
        owner_id uuid not null default canopy.uid(),
        body text not null
      );
      alter table p_${project.ref}.notes enable row level security;
      drop policy if exists own_notes on p_${project.ref}.notes;
      create policy own_notes on p_${project.ref}.notes using (owner_id = canopy.uid()) with check (owner_id = canopy.uid());
    `),
  );
  const graphql = (token: string, query: string) =>
    fetch(`${project.apiUrl}/graphql/v1`, {
      method: 'POST',
      headers: { apikey: project.anonKey, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));
  const [ada, bob] = [await signedUp(project), await signedUp(project)];
  const added = await waitFor('the notes table in the API', async () => {
    const result = await graphql(ada.session.access_token, `mutation { createNote(input: { note: { body: "ada's" } }) { note { ownerId } } }`);
    return result.body.data?.createNote;
  });
  t.is(added.note.ownerId, ada.user.id);
  const read = async (token: string) => (await graphql(token, '{ notes { nodes { body } } }')).body.data.notes.nodes;
  t.deepEqual(await read(ada.session.access_token), [{ body: "ada's" }]);
  t.deepEqual(await read(bob.session.access_token), []);
});

test('isolation: a user, token or refresh token of one project gets nothing from another', async (t) => {
  const a = await sharedProject();
  const sameOrg = await activeProject(a.owner, a.org);
  const otherOrg = await activeProject(await signUpOwner(platform));
  const { email, session } = await signedUp(a);
  for (const b of [sameOrg, otherOrg]) {
    const client = supabase(b);
    const user = await client.auth.getUser(session.access_token);
    t.is(user.data.user, null);
    t.true([401, 403].includes(user.error!.status!), `status ${user.error?.status}`);
    const refreshed = await client.auth.refreshSession({ refresh_token: session.refresh_token });
    t.is(refreshed.data.session, null);
    t.is(refreshed.error?.code, 'refresh_token_not_found');
    t.is((await client.auth.signInWithPassword({ email, password: PASSWORD })).error?.code, 'invalid_credentials');
    // A's keys are not B's keys.
    for (const path of ['/admin/users', '/admin/generate_link', '/invite']) {
      const withKey = await rawAuth(b, path, { key: a.serviceRoleKey, method: 'POST', body: JSON.stringify({ type: 'magiclink', email }) });
      t.is(withKey.status, 401, path);
      t.is(withKey.body.error_code, 'invalid_api_key', path);
    }
    const graphql = await fetch(`${b.apiUrl}/graphql/v1`, {
      method: 'POST',
      headers: { apikey: b.anonKey, authorization: `Bearer ${session.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    t.is(graphql.status, 401);
  }
  // And the other way: nothing of A's users shows in B's admin API.
  const listed = await supabase(sameOrg, sameOrg.serviceRoleKey).auth.admin.listUsers();
  t.false(listed.data.users.some((user) => user.email === email));
});

test('repeated failed sign-ins for an address are refused for a while', async (t) => {
  const project = await sharedProject();
  const { email } = await signedUp(project);
  const attempt = () => supabase(project).auth.signInWithPassword({ email, password: 'wrong passphrase' });
  for (let i = 0; i < 5; i++) t.is((await attempt()).error?.code, 'invalid_credentials');
  const refused = await supabase(project).auth.signInWithPassword({ email, password: PASSWORD });
  t.is(refused.error?.code, 'over_request_rate_limit');
  t.is(refused.error?.status, 429);
});

test('bad input answers 400 with a code, never a 500', async (t) => {
  const project = await sharedProject();
  const post = (path: string, body: unknown) => rawAuth(project, path, { method: 'POST', body: JSON.stringify(body) });
  const cases: Array<[string, unknown, string]> = [
    ['/signup', { email: `${'a'.repeat(300)}@example.com`, password: PASSWORD }, 'validation_failed'],
    ['/signup', { email: 'not an email', password: PASSWORD }, 'email_address_invalid'],
    ['/signup', { email: uniqueEmail() }, 'validation_failed'],
    ['/signup', { password: PASSWORD }, 'validation_failed'],
    ['/signup', { email: { not: 'a string' }, password: PASSWORD }, 'validation_failed'],
    ['/token?grant_type=password', {}, 'validation_failed'],
    ['/token?grant_type=magic', { email: uniqueEmail(), password: PASSWORD }, 'unsupported_grant_type'],
    ['/token', {}, 'unsupported_grant_type'],
    ['/token?grant_type=refresh_token', { refresh_token: 'x'.repeat(5000) }, 'validation_failed'],
    ['/verify', { type: 'sms', token: '123456', email: uniqueEmail() }, 'validation_failed'],
    ['/verify', { type: 'email' }, 'validation_failed'],
    ['/otp', { email: 'nope' }, 'email_address_invalid'],
    ['/recover', {}, 'validation_failed'],
    ['/token?grant_type=pkce', {}, 'validation_failed'],
    ['/token?grant_type=pkce', { auth_code: 'x', code_verifier: 'y'.repeat(500) }, 'validation_failed'],
    ['/otp', { email: uniqueEmail(), code_challenge: 'too short', code_challenge_method: 's256' }, 'validation_failed'],
    ['/otp', { email: uniqueEmail(), code_challenge: 'x'.repeat(43), code_challenge_method: 'md5' }, 'validation_failed'],
    ['/recover', { email: uniqueEmail(), code_challenge: 'x'.repeat(43) }, 'validation_failed'],
  ];
  for (const [path, body, code] of cases) {
    const { status, body: answer } = await post(path, body);
    t.is(status, 400, `${path} ${JSON.stringify(body).slice(0, 60)}`);
    t.is(answer.error_code, code, `${path} ${JSON.stringify(body).slice(0, 60)}`);
    t.is(answer.code, 400);
    t.is(typeof answer.msg, 'string');
  }
  const notJson = await rawAuth(project, '/signup', { method: 'POST', body: '{"email":' });
  t.is(notJson.status, 400);
  t.is(notJson.body.error_code, 'bad_json');
  const noKey = await fetch(`${project.apiUrl}/auth/v1/settings`);
  t.is(noKey.status, 401);
  t.is(((await noKey.json()) as any).error_code, 'no_authorization');
  const unknownPath = await rawAuth(project, '/nothing-here');
  t.is(unknownPath.status, 404);
});

test('only the service role reaches the auth schema; the anon and authenticated roles cannot even see into it', async (t) => {
  const project = await sharedProject();
  const schema = `p_${project.ref}_auth`;
  const reach = await asOperator(project, async (client) =>
    (
      await client.query(
        `select has_schema_privilege(role, $1, 'usage') as usage,
                array(select c.relname::text from pg_class c
                      where c.relnamespace = $1::regnamespace and c.relkind = 'r'
                        and has_table_privilege(role, c.oid, 'select, insert, update, delete') order by 1) as tables
         from unnest($2::text[]) with ordinality as r(role, n) order by n`,
        [schema, ['anon', 'authenticated', 'service'].map((role) => `p_${project.ref}_${role}`)],
      )
    ).rows,
  );
  const everyTable = ['auth_codes', 'one_time_tokens', 'refresh_tokens', 'sessions', 'settings', 'sign_in_failures', 'users'];
  t.deepEqual(reach, [
    { usage: false, tables: [] },
    { usage: false, tables: [] },
    { usage: true, tables: everyTable },
  ]);
});
