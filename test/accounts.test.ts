/** Platform accounts: what a person or a script may do with their own account, sessions and tokens. */
import test from 'ava';
import { ControlClient, PASSWORD, signUp, uniqueEmail } from './support/client.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
test.after.always(() => platform?.stop());

const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { token userId } }`;
const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { token userId } }`;
const ME = `{ currentUser { id email isPlatformAdmin } }`;

test('a person registers, is signed in by cookie, and signs out', async (t) => {
  const email = uniqueEmail();
  const browser = new ControlClient(platform.url, { origin: platform.url });
  const result = await browser.request(REGISTER, { input: { email, password: PASSWORD, name: 'Ada' } });
  t.falsy(result.errors);
  const setCookie = result.headers.get('set-cookie') ?? '';
  t.regex(setCookie, /canopy_session=cnp_s_/);
  t.regex(setCookie, /HttpOnly/i);
  t.regex(setCookie, /SameSite=Lax/i);
  const signedIn = browser.as({ cookie: setCookie.split(';')[0] });
  const { currentUser } = await signedIn.data(ME);
  t.is(currentUser.email, email);
  t.false(currentUser.isPlatformAdmin);

  await signedIn.data('mutation { signOut }');
  t.is((await signedIn.request(ME)).data?.currentUser, null);
});

test('a script signs in with email and password and uses the bearer token', async (t) => {
  const { email, userId } = await signUp(platform);
  const { signIn } = await new ControlClient(platform.url).data(SIGN_IN, { input: { email, password: PASSWORD } });
  t.is(signIn.userId, userId);
  const { currentUser } = await new ControlClient(platform.url, { token: signIn.token }).data(ME);
  t.is(currentUser.id, userId);
});

test('registration refuses a taken email, a bad email and weak passwords with stable codes', async (t) => {
  const { email } = await signUp(platform);
  const anonymous = new ControlClient(platform.url);
  t.is(await anonymous.errorCode(REGISTER, { input: { email: email.toUpperCase(), password: PASSWORD } }), 'EMAIL_TAKEN');
  t.is(await anonymous.errorCode(REGISTER, { input: { email: 'not-an-email', password: PASSWORD } }), 'INVALID_EMAIL');
  for (const password of ['short', 'aaaaaaaaaaaaaaaa', 'x'.repeat(257)]) {
    t.is(await anonymous.errorCode(REGISTER, { input: { email: uniqueEmail(), password } }), 'WEAK_PASSWORD');
  }
  const named = uniqueEmail('margaret');
  const password = `${named.split('@')[0]}!2024`;
  t.is(await anonymous.errorCode(REGISTER, { input: { email: named, password } }), 'WEAK_PASSWORD');
});

test('a wrong password is refused; repeated failures are refused for a while, for unknown emails too', async (t) => {
  const { email } = await signUp(platform);
  const anonymous = new ControlClient(platform.url);
  const wrong = { input: { email, password: 'wrong password!' } };
  for (let attempt = 0; attempt < 5; attempt++) {
    t.is(await anonymous.errorCode(SIGN_IN, wrong), 'WRONG_CREDENTIALS');
  }
  // The limit (5 in tests) is reached: even the right password is refused now.
  t.is(await anonymous.errorCode(SIGN_IN, { input: { email, password: PASSWORD } }), 'TOO_MANY_ATTEMPTS');

  const unknown = { input: { email: uniqueEmail('nobody'), password: 'wrong password!' } };
  for (let attempt = 0; attempt < 5; attempt++) {
    t.is(await anonymous.errorCode(SIGN_IN, unknown), 'WRONG_CREDENTIALS');
  }
  t.is(await anonymous.errorCode(SIGN_IN, unknown), 'TOO_MANY_ATTEMPTS');
});

test('changing the password needs the old one and ends every other session', async (t) => {
  const user = await signUp(platform);
  const { signIn } = await new ControlClient(platform.url).data(SIGN_IN, {
    input: { email: user.email, password: PASSWORD },
  });
  const otherSession = new ControlClient(platform.url, { token: signIn.token });
  const change = `mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }`;
  t.is(
    await user.client.errorCode(change, { input: { oldPassword: 'not it at all', newPassword: 'a new passphrase' } }),
    'WRONG_CREDENTIALS',
  );
  t.is(await user.client.errorCode(change, { input: { oldPassword: PASSWORD, newPassword: 'weak' } }), 'WEAK_PASSWORD');
  await user.client.data(change, { input: { oldPassword: PASSWORD, newPassword: 'a new passphrase' } });

  t.is((await otherSession.request(ME)).status, 401);
  t.truthy((await user.client.data(ME)).currentUser);
  const anonymous = new ControlClient(platform.url);
  t.is(await anonymous.errorCode(SIGN_IN, { input: { email: user.email, password: PASSWORD } }), 'WRONG_CREDENTIALS');
  t.truthy(await anonymous.data(SIGN_IN, { input: { email: user.email, password: 'a new passphrase' } }));
});

test('a user lists their sessions and ends one', async (t) => {
  const user = await signUp(platform);
  const { signIn } = await new ControlClient(platform.url, { userAgent: 'laptop' }).data(SIGN_IN, {
    input: { email: user.email, password: PASSWORD },
  });
  const { sessions } = await user.client.data(`{ sessions { nodes { id userAgent expiresAt } } }`);
  t.is(sessions.nodes.length, 2);
  const laptop = sessions.nodes.find((session: { userAgent: string }) => session.userAgent === 'laptop');
  await user.client.data(`mutation ($id: UUID!) { deleteSession(input: { id: $id }) { session { id } } }`, {
    id: laptop.id,
  });
  t.is((await new ControlClient(platform.url, { token: signIn.token }).request(ME)).status, 401);
});

test('personal access tokens are shown once, listed by prefix, usable, and revocable', async (t) => {
  const user = await signUp(platform);
  const { createPersonalAccessToken } = await user.client.data(
    `mutation { createPersonalAccessToken(input: { name: "ci" }) { result } }`,
  );
  const token: string = createPersonalAccessToken.result;
  t.regex(token, /^cnp_pat_/);
  const script = new ControlClient(platform.url, { token });
  t.is((await script.data(ME)).currentUser.id, user.userId);

  const { personalAccessTokens } = await user.client.data(`{ personalAccessTokens { nodes { id name tokenPrefix } } }`);
  t.deepEqual(
    personalAccessTokens.nodes.map((pat: { name: string; tokenPrefix: string }) => [pat.name, pat.tokenPrefix]),
    [['ci', token.slice(0, 12)]],
  );
  await user.client.data(`mutation ($id: UUID!) { deletePersonalAccessToken(input: { id: $id }) { clientMutationId } }`, {
    id: personalAccessTokens.nodes[0].id,
  });
  t.is((await script.request(ME)).status, 401);
});

test('an expired personal access token is refused, and an expiry in the past is refused at creation', async (t) => {
  const user = await signUp(platform);
  t.is(
    await user.client.errorCode(
      `mutation { createPersonalAccessToken(input: { name: "old", expiresAt: "2001-01-01T00:00:00Z" }) { result } }`,
    ),
    'INVALID_EXPIRY',
  );
  const { createPersonalAccessToken } = await user.client.data(
    `mutation { createPersonalAccessToken(input: { name: "soon", expiresAt: "2100-01-01T00:00:00Z" }) { result } }`,
  );
  await platform.owner.query(
    `update app_public.personal_access_tokens set expires_at = now() - interval '1 second' where user_id = $1`,
    [user.userId],
  );
  const response = await new ControlClient(platform.url, { token: createPersonalAccessToken.result }).request(ME);
  t.is(response.status, 401);
  t.is(response.errors?.[0].extensions?.code, 'INVALID_TOKEN');
});
