/**
 * The console's other pages, in Chromium against the real server, database and worker: what people may and may not
 * do on each. The account (personal access tokens shown once and revocable, a wrong current password), organization
 * settings (rename, delete after typing the slug), the audit log (filters; read-only members are told why they see
 * nothing), what a read-only member is not offered, a project another member creates appearing without a reload, a
 * project's Authentication page (end users, auth settings), its API page (the explorer, Ruru) and platform admin.
 *
 * The console.test.ts story covers signing up, organizations, members, projects, the editors and storage; here the
 * people, organization and project are made through the control API (quicker), and each browser is signed in with
 * its person's session cookie. Elements are found by role, label and text only; every wait is for something to
 * appear, never a fixed sleep. Each page is screenshot (.canopy/test-artifacts/screenshots/console-pages/) and
 * checked with axe-core.
 */
import test, { type ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import { type ConsoleUnderTest, description, graphqlOperations, look, markDocument, screenshot, startConsole, subscribed } from './support/browser.ts';
import { ControlClient, PASSWORD, type SignedInUser, signUp, uniqueEmail } from './support/client.ts';
import { newOrganization, type Organization, uniqueSlug } from './support/org-fixtures.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';

let web: ConsoleUnderTest;
/** The people: an owner, a read-only member, a developer, and someone who runs the installation. */
let owner: SignedInUser;
let readOnly: SignedInUser;
let developer: SignedInUser;
let operator: SignedInUser;
/** The owner's organization, with the others as members; a second one of the owner's, to delete. */
let org: Organization;
let spare: Organization;
/** An active project of `org`: provisioning starts in test.before, the tests that need it wait for it. */
let project: Promise<ActiveProject>;

test.before(async () => {
  web = await startConsole();
  [owner, readOnly, developer, operator] = await Promise.all([signUp(web.platform), signUp(web.platform), signUp(web.platform), signUp(web.platform)]);
  org = await newOrganization(web.platform, owner, [
    [readOnly, 'read_only'],
    [developer, 'developer'],
  ]);
  spare = await newOrganization(web.platform, owner, [], uniqueSlug('spare'));
  project = activeProject(web.platform, owner, org);
  // Not awaited here: a rejection is reported by the tests that await it.
  project.catch(() => {});
});
test.after.always(() => web?.stop());

/**
 * One specification, run in the order of this file (they share the people above; the audit log's reads the rename
 * made before it). A failure leaves a screenshot of each page it opened (failed-<n>-page-<m>.png); a page that threw
 * fails it; its browsers are closed after it either way.
 */
function spec(title: string, run: (t: ExecutionContext) => Promise<void>) {
  const number = String(++specs).padStart(2, '0');
  test.serial(title, async (t) => {
    const before = new Set(web.openPages());
    const errors = web.pageErrors.length;
    try {
      await run(t);
      t.deepEqual(web.pageErrors.slice(errors), [], 'the console threw in a page');
    } catch (error) {
      if (web.pageErrors.length > errors) t.log('The console threw:', web.pageErrors.slice(errors));
      for (const [index, page] of web.openPages().entries()) {
        if (!before.has(page)) await screenshot(page, `failed-${number}-page-${index + 1}`).catch(() => {});
      }
      throw error;
    } finally {
      for (const page of web.openPages()) if (!before.has(page)) await page.context().close();
    }
  });
}
let specs = 0;

const CURRENT_USER = `{ currentUser { email } }`;
const projectPath = async (section = '') => `/project/${(await project).ref}${section}`;

/* ------------------------------------------------------------------ account */

spec('a personal access token is shown once, then listed by name and prefix only; revoked after confirming, it is refused', async (t) => {
  const page = await web.signedInPage(owner);
  await page.goto('/account');
  await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
  const tokens = page.getByRole('region', { name: 'Personal access tokens' });
  await tokens.getByText('No tokens yet').waitFor();

  await tokens.getByLabel('Token name').fill('CI deploys');
  await tokens.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByRole('dialog', { name: 'Copy your new token' });
  await shown.getByText('This is the only time the token is shown.').waitFor();
  const token = await shown.getByLabel('New token').inputValue();
  t.regex(token, /^cnp_pat_/);
  await look(t, page, 'account-new-token');

  // It acts as its owner, from a script.
  const script = new ControlClient(web.platform.url, { token });
  t.is((await script.data(CURRENT_USER)).currentUser.email, owner.email, 'the token works against /graphql');

  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'hidden' });
  const table = page.getByRole('table', { name: 'Personal access tokens' });
  const row = table.getByRole('row').filter({ hasText: 'CI deploys' });
  await row.getByRole('cell', { name: `${token.slice(0, 12)}…`, exact: true }).waitFor();
  t.false((await page.content()).includes(token), 'the token itself is nowhere on the page any more');
  await look(t, page, 'account');

  await row.getByRole('button', { name: 'Revoke token CI deploys' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke “CI deploys”?' });
  await confirm.getByRole('button', { name: 'Revoke token' }).click();
  await confirm.waitFor({ state: 'hidden' });
  await tokens.getByText('No tokens yet').waitFor();

  const refused = await script.request(CURRENT_USER);
  t.is(refused.status, 401);
  t.is(refused.errors?.[0]?.extensions?.code, 'INVALID_TOKEN', 'a revoked token is refused');
});

spec('changing the password with a wrong current password is refused beside that field, and nothing changes', async (t) => {
  const page = await web.signedInPage(owner);
  await page.goto('/account');
  const form = page.getByRole('form', { name: 'Change password' });
  await form.getByLabel('Current password').fill('not my password at all');
  await form.getByLabel('New password', { exact: true }).fill('a brand new passphrase');
  await form.getByLabel('Repeat new password').fill('a brand new passphrase');
  await form.getByRole('button', { name: 'Change password' }).click();
  await form.getByText('The current password is wrong').waitFor();
  t.is(await description(form.getByLabel('Current password')), 'The current password is wrong');
  t.is(await form.getByLabel('Current password').getAttribute('aria-invalid'), 'true');
  t.is(await page.getByRole('status').filter({ hasText: 'Password changed' }).count(), 0);
  await look(t, page, 'account-wrong-password');
  // Still signed in with the old password: this session was not ended.
  t.is((await owner.client.data(CURRENT_USER)).currentUser.email, owner.email);
});

/* ------------------------------------------------------------------ organization settings */

spec('an owner renames the organization: the switcher and the sidebar show the new name at once, without a reload', async (t) => {
  const page = await web.signedInPage(owner);
  await page.goto(`/org/${org.slug}/settings`);
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  const sameDocument = await markDocument(page);
  const form = page.getByRole('form', { name: 'General settings' });
  await form.getByLabel('Organization name').fill('Northwind');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await form.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

  await page.getByRole('navigation', { name: 'Northwind' }).waitFor();
  const switcher = page.getByLabel('Organization', { exact: true });
  await switcher.getByRole('option', { name: 'Northwind', exact: true }).waitFor({ state: 'attached' });
  t.is(await switcher.getByRole('option', { name: 'Northwind', exact: true }).count(), 1);
  t.is(await switcher.getByRole('option', { name: `Org ${org.slug}` }).count(), 0, 'the old name is gone from the switcher');
  t.true(await sameDocument(), 'no reload');
  org.name = 'Northwind';
  await look(t, page, 'organization-settings');
});

spec('deleting an organization asks for its slug: the button stays disabled until the slug is typed exactly', async (t) => {
  const page = await web.signedInPage(owner);
  await page.goto(`/org/${spare.slug}/settings`);
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await page.getByRole('region', { name: 'Delete organization' }).getByRole('button', { name: 'Delete organization' }).click();
  const dialog = page.getByRole('dialog', { name: `Delete ${spare.name}?` });
  const confirm = dialog.getByRole('button', { name: 'Delete organization' });
  const slug = dialog.getByLabel(`Type ${spare.slug} to confirm`);
  t.true(await confirm.isDisabled(), 'disabled before anything is typed');
  await slug.fill(spare.slug.slice(0, -1));
  t.true(await confirm.isDisabled(), 'disabled while the slug is incomplete');
  await slug.fill(spare.slug.toUpperCase());
  t.true(await confirm.isDisabled(), 'disabled for the slug in other letters');
  await look(t, page, 'organization-delete');
  await slug.fill(spare.slug);
  t.true(await confirm.isEnabled(), 'enabled once it matches');
  await confirm.click();
  // Gone, the console moves to the owner's other organization.
  await page.waitForURL(`**/org/${org.slug}`);
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
  const { rows } = await web.platform.owner.query('select deleting_at from app_public.organizations where id = $1', [spare.id]);
  t.true(rows.length === 0 || rows[0].deleting_at !== null, 'the organization is being deleted, or already gone');
});

/* ------------------------------------------------------------------ audit log */

/** "Showing the newest 7 of 7 events." → 7 */
async function auditTotal(page: Page, matching: boolean): Promise<number> {
  const status = page.getByRole('status').filter({ hasText: matching ? /matching events\.$/ : /of \d+ events\.$/ });
  await status.waitFor();
  return Number(/of (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
}

/** The action of each event shown (organization.updated, project.created …). */
async function auditActions(page: Page): Promise<string[]> {
  const codes = await page.getByRole('table', { name: 'Audit events' }).getByRole('code').allTextContents();
  return codes.filter((text) => /^[a-z_]+\.[a-z_]+$/.test(text));
}

spec('the audit log shows the rename; filtering by kind of action and by actor narrows it', async (t) => {
  await project; // its creation and status changes are events too
  const page = await web.signedInPage(owner);
  await page.goto(`/org/${org.slug}/audit`);
  await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  const table = page.getByRole('table', { name: 'Audit events' });
  const rename = table.getByRole('row').filter({ has: page.getByRole('code').filter({ hasText: /^organization\.updated$/ }) });
  await rename.getByRole('cell', { name: /"to":"Northwind"/ }).waitFor();
  const all = await auditTotal(page, false);
  const everything = await auditActions(page);
  t.true(everything.includes('project.created') && everything.includes('organization_membership.created'), everything.join(', '));
  await look(t, page, 'audit-log');

  const filters = page.getByRole('form', { name: 'Filter the audit log' });
  await filters.getByLabel('Action').selectOption({ label: 'Organization settings' });
  // (The count's words change at once; its number with the answer, when the other kinds have left the table.)
  await table.getByText('project.created', { exact: true }).first().waitFor({ state: 'detached' });
  const settings = await auditTotal(page, true);
  t.true(settings < all, `${settings} of ${all} events are about the organization's settings`);
  const shown = await auditActions(page);
  t.true(shown.includes('organization.updated'), 'the rename is one of them');
  t.deepEqual(shown.filter((action) => !action.startsWith('organization.')), [], 'and nothing else');

  // The read-only member did nothing: filtered to them, nothing is left.
  await filters.getByLabel('Actor').selectOption({ label: readOnly.email });
  await page.getByText('No event matches these filters').waitFor();
  // Everything the owner did, of every kind: fewer than all (members added and projects set up by Canopy are not theirs).
  await filters.getByLabel('Action').selectOption({ label: 'All actions' });
  await filters.getByLabel('Actor').selectOption({ label: owner.email });
  await page.getByText('No event matches these filters').waitFor({ state: 'detached' });
  const byOwner = await auditTotal(page, true);
  t.true(byOwner < all, `${byOwner} of ${all} events are the owner's`);
  t.is(await table.getByRole('cell', { name: 'Canopy', exact: true }).count(), 0, "no event of Canopy's own is left");
  await look(t, page, 'audit-log-filtered');

  await filters.getByRole('button', { name: 'Clear filters' }).click();
  await table.getByRole('cell', { name: 'Canopy', exact: true }).first().waitFor();
  t.true((await auditTotal(page, false)) >= all, 'cleared, every event is back');
});

spec('a read-only member is told they cannot read the audit log, rather than shown an empty one', async (t) => {
  const page = await web.signedInPage(readOnly);
  await page.goto(`/org/${org.slug}/audit`);
  await page.getByText('Only owners and administrators see the audit log').waitFor();
  t.is(await page.getByRole('table', { name: 'Audit events' }).count(), 0);
  t.is(await page.getByRole('form', { name: 'Filter the audit log' }).count(), 0);
  await look(t, page, 'audit-log-read-only');
});

/* ------------------------------------------------------------------ roles */

spec('a read-only member is not offered "New project", "Rotate keys" or the SQL editor, and each page says why', async (t) => {
  const { ref } = await project;
  const page = await web.signedInPage(readOnly);
  await page.goto(`/org/${org.slug}`);
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
  await page.getByRole('link', { name: /App/ }).waitFor();
  const newProject = page.getByRole('button', { name: 'New project' });
  t.true(await newProject.isDisabled(), '"New project" is disabled');
  t.is(await description(newProject), 'Only owners and administrators can create projects.', 'and says why');
  await look(t, page, 'projects-read-only');

  await page.getByRole('link', { name: /App/ }).click();
  await page.waitForURL(`**/project/${ref}`);
  const keys = page.getByRole('region', { name: 'API keys' });
  await keys.getByLabel('anon key', { exact: true }).waitFor();
  t.true(await keys.getByRole('button', { name: 'Rotate keys' }).isDisabled(), '"Rotate keys" is disabled');
  await keys.getByText('Only owners and administrators can rotate keys or reset the password.').waitFor();
  t.is(await keys.getByRole('button', { name: 'Reset database password' }).count(), 0);
  t.is(await keys.getByRole('button', { name: 'Reveal service_role key' }).count(), 0, 'no secret keys to reveal');
  await keys.getByText(/Your role \(read-only\) cannot see the service_role key/).waitFor();
  await look(t, page, 'project-home-read-only');

  await page.getByRole('navigation', { name: 'App' }).getByRole('link', { name: 'SQL editor' }).click();
  await page.getByRole('heading', { name: 'SQL editor', level: 1 }).waitFor();
  await page.getByText('You cannot run SQL in this project').waitFor();
  t.is(await page.getByLabel('SQL query').count(), 0, 'no editor');
  t.is(await page.getByRole('button', { name: 'Run' }).count(), 0, 'nothing to run');
  await look(t, page, 'sql-editor-read-only');
});

/* ------------------------------------------------------------------ live */

spec('a project the owner creates appears on another member’s projects page without a reload', async (t) => {
  await project;
  const page = await web.signedInPage(developer);
  await page.goto(`/org/${org.slug}`);
  await page.getByRole('link', { name: /App/ }).waitFor();
  const sameDocument = await markDocument(page);
  await subscribed(page, 'OrganizationEvents');

  await owner.client.data(`mutation ($id: UUID!) { createProject(input: { organizationId: $id, name: "Live" }) { result { id } } }`, { id: org.id });
  await page.getByRole('link', { name: /Live/ }).waitFor();
  t.true(await sameDocument(), 'the page updated in place, without a reload');
  await look(t, page, 'projects-live');
});

/* ------------------------------------------------------------------ a project's Authentication page */

const CREATE_END_USER = `mutation ($id: UUID!, $email: String!, $password: String) {
  createProjectUser(projectId: $id, email: $email, password: $password) { id }
}`;

spec('on the Authentication page an end user is added with a password, found by searching, and deleted after confirming', async (t) => {
  const { id } = await project;
  const ada = uniqueEmail('ada');
  const grace = uniqueEmail('grace');
  await owner.client.data(CREATE_END_USER, { id, email: grace, password: PASSWORD });

  const page = await web.signedInPage(owner);
  await page.goto(await projectPath('/auth'));
  await page.getByRole('heading', { name: 'Authentication', level: 1 }).waitFor();
  const users = page.getByRole('region', { name: 'Users' });
  const table = users.getByRole('table', { name: 'Users' });
  await table.getByRole('cell', { name: grace, exact: true }).waitFor();

  await users.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add user' });
  await dialog.getByLabel('Email').fill(ada);
  await dialog.getByLabel('Password (optional)').fill(PASSWORD);
  await look(t, page, 'auth-add-user');
  await dialog.getByRole('button', { name: 'Add user' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await table.getByRole('cell', { name: ada, exact: true }).waitFor();
  await look(t, page, 'auth');

  await users.getByLabel('Search by email').fill(ada.split('@')[0]);
  await table.getByRole('cell', { name: grace, exact: true }).waitFor({ state: 'detached' });
  t.is(await table.getByRole('cell', { name: ada, exact: true }).count(), 1, 'the search finds the new user, and only them');

  await table.getByRole('button', { name: `Delete ${ada}` }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete this user?' });
  await confirm.getByText(ada).waitFor();
  await confirm.getByRole('button', { name: 'Delete user' }).click();
  await confirm.waitFor({ state: 'hidden' });
  await users.getByText('No matching users').waitFor();
  const { projectUsers } = await owner.client.data(`query ($id: UUID!) { projectUsers(projectId: $id) { nodes { email } } }`, { id });
  t.deepEqual(projectUsers.nodes.map((user: { email: string }) => user.email), [grace]);
});

spec("auth settings: a redirect URL that is not absolute http(s) is refused beside its box (the server's INVALID_INPUT when only it can tell); a good one is saved", async (t) => {
  const { id } = await project;
  const page = await web.signedInPage(owner);
  await page.goto(await projectPath('/auth'));
  const form = page.getByRole('region', { name: 'Auth settings' });
  const box = form.getByLabel('Redirect URLs');
  const save = form.getByRole('button', { name: 'Save settings' });
  const operations = graphqlOperations(page);

  // The browser can tell a relative path: said at once, nothing sent.
  await box.fill('/welcome');
  await save.click();
  await form.getByText('“/welcome” is not an absolute http(s) URL', { exact: false }).waitFor();
  t.regex(await description(box), /^“\/welcome” is not an absolute http\(s\) URL/);
  t.false(operations.includes('UpdateAuthSettings'), 'nothing was sent');

  // Only the server refuses a user name in the host: its words, beside the same box.
  const sneaky = 'https://someone@app.example.com/welcome';
  await box.fill(sneaky);
  await save.click();
  const refusal = `"${sneaky}" is not an absolute http(s) URL (a * or ** may stand for parts of its path, not of its host)`;
  await form.getByText(refusal).waitFor();
  t.is(await description(box), refusal);
  t.true(operations.includes('UpdateAuthSettings'), 'the server was asked');
  await look(t, page, 'auth-settings-refused');

  await box.fill('https://app.example.com/welcome\nhttp://localhost:3000/**');
  await save.click();
  await form.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
  t.is(await box.getAttribute('aria-invalid'), null);
  const { projectAuthSettings } = await owner.client.data(`query ($id: UUID!) { projectAuthSettings(projectId: $id) { redirectUrls } }`, { id });
  t.deepEqual(projectAuthSettings.redirectUrls, ['https://app.example.com/welcome', 'http://localhost:3000/**']);
});

/* ------------------------------------------------------------------ a project's API page */

spec('the API explorer runs { __typename } with the anon key (HTTP 200); "Open in Ruru" carries the key in the fragment', async (t) => {
  const { ref, anonKey } = await project;
  const page = await web.signedInPage(owner);
  await page.goto(await projectPath('/api'));
  await page.getByRole('heading', { name: 'API', level: 1 }).waitFor();
  const explorer = page.getByRole('region', { name: 'Explorer' });
  t.is(await page.getByLabel('API key', { exact: true }).inputValue(), 'anon', 'the anon key is the one chosen first');

  await explorer.getByLabel('Query', { exact: true }).fill('{ __typename }');
  await explorer.getByRole('button', { name: 'Run', exact: true }).click();
  await explorer.getByRole('status').filter({ hasText: /^HTTP 200 · \d+ ms$/ }).waitFor();
  await explorer.getByRole('region', { name: 'Response' }).getByText('"__typename": "Query"').waitFor();
  await look(t, page, 'api');

  const ruru = explorer.getByRole('link', { name: 'Open in Ruru (GraphiQL)' });
  const href = (await ruru.getAttribute('href')) ?? '';
  t.is(href, `/p/${ref}/graphiql#apikey=${encodeURIComponent(anonKey)}`, 'the key is in the fragment, which browsers never send');
  t.is((await fetch(new URL(href, web.platform.url))).status, 200, 'and the page is there');
});

/* ------------------------------------------------------------------ platform admin */

spec('platform admin: anyone else is told the pages are for platform admins only', async (t) => {
  const page = await web.signedInPage(readOnly);
  await page.goto('/admin');
  await page.getByRole('heading', { name: 'Platform admin', level: 1 }).waitFor();
  await page.getByText('Platform admins only').waitFor();
  t.is(await page.getByRole('table').count(), 0, 'no lists');
  t.is(await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Platform admin' }).count(), 0, 'nor a link to them');
  await look(t, page, 'admin-not-an-admin');
});

spec('platform admin: an admin sees the organizations, the projects, the job queue with its counts, and the clusters', async (t) => {
  const { ref } = await project;
  await web.platform.owner.query('update app_public.users set is_platform_admin = true where id = $1', [operator.userId]);
  const page = await web.signedInPage(operator);
  await page.goto('/admin');
  await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
  await page.getByRole('table', { name: 'Organizations' }).getByRole('link', { name: org.name, exact: true }).waitFor();
  await look(t, page, 'admin-organizations');

  const sections = page.getByRole('navigation', { name: 'Platform admin' });
  await sections.getByRole('link', { name: 'Projects' }).click();
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
  await page.getByRole('table', { name: 'Projects' }).getByRole('row').filter({ hasText: ref }).waitFor();
  await look(t, page, 'admin-projects');

  await sections.getByRole('link', { name: 'Jobs' }).click();
  await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
  const counts = page.getByLabel('Queue counts');
  await counts.waitFor();
  t.deepEqual(await counts.getByRole('term').allTextContents(), ['Pending', 'Running', 'Failed']);
  for (const count of await counts.getByRole('definition').allTextContents()) t.regex(count, /^\d+$/);
  await look(t, page, 'admin-jobs');

  await sections.getByRole('link', { name: 'Clusters' }).click();
  await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  await page.getByRole('table', { name: 'Clusters' }).getByRole('cell', { name: 'control', exact: true }).waitFor();
  await look(t, page, 'admin-clusters');
});
