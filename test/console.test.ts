/**
 * The console, end to end: a person in Chromium against the real server, database and worker. One story, step by
 * step (each step needs the ones before): sign up → create an organization → invite a second person, who accepts in
 * a browser of their own → create a project and see it become active → create a table in the SQL editor → add a row in
 * the table editor → create a bucket and upload a file → rotate keys → pause and resume. Along the way: mistakes are
 * said in words beside the field, the sign-in form works with the keyboard alone, dialogs close with Escape and give
 * focus back, pages fit a phone, and another member's change shows without a reload.
 *
 * Elements are found by role, label and text only, as a person (or a screen reader) finds them; every wait is for
 * something to appear, never a fixed sleep. Each main page is screenshot (.canopy/test-artifacts/screenshots/console/) and
 * checked with axe-core: no rule broken (contrast, labels, names, roles).
 */
import test, { type ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import {
  type ConsoleUnderTest,
  boxes,
  description,
  focused,
  graphqlOperations,
  horizontalOverflow,
  invitationToken,
  look,
  markDocument,
  PHONE,
  screenshot,
  startConsole,
  subscribed,
} from './support/browser.ts';
import { PASSWORD, signUp, uniqueEmail } from './support/client.ts';
import { newOrganization, uniqueSlug } from './support/org-fixtures.ts';

let web: ConsoleUnderTest;
test.before(async () => {
  web = await startConsole();
});
test.after.always(() => web?.stop());

/** What the steps hand on to each other. */
const story = {
  owner: { email: uniqueEmail('owner'), name: 'Olive Owner' },
  member: { email: uniqueEmail('member') },
  slug: uniqueSlug('acme'),
} as {
  owner: { email: string; name: string; page: Page };
  member: { email: string; page: Page };
  slug: string;
};

let failedStep: string | undefined;

/**
 * One step of the story. Once a step fails the later ones fail at once, naming it, rather than time out on a page the
 * failed step never reached. A failing step leaves a screenshot of each open page (failed-<step>-page-<n>.png).
 */
function step(title: string, run: (t: ExecutionContext) => Promise<void>) {
  test.serial(title, async (t) => {
    if (failedStep) return t.fail(`Not run: the step "${failedStep}" failed`);
    try {
      await run(t);
    } catch (error) {
      failedStep = title;
      const number = String(steps.indexOf(title) + 1).padStart(2, '0');
      for (const [index, page] of web.openPages().entries()) {
        await screenshot(page, `failed-${number}-page-${index + 1}`).catch(() => {});
      }
      throw error;
    }
    t.deepEqual(web.pageErrors, [], 'the console threw in a page');
  });
  steps.push(title);
}
const steps: string[] = [];

/* ------------------------------------------------------------------ the story */

step('sign-up says what is wrong with the email and the password beside each field, without asking the server', async (t) => {
  const page = (story.owner.page = await web.newPage());
  await page.goto('/');
  // Signed out, the console sends you to sign in; from there to sign up.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await look(t, page, 'sign-in');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();

  const operations = graphqlOperations(page);
  await page.getByLabel('Name').fill(story.owner.name);
  await page.getByLabel('Email').fill('olive.example.com');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Enter an email address like you@example.com').waitFor();
  await page.getByText('Use at least 10 characters').waitFor();
  // Beside its field: the field's own description, and the field marked invalid.
  for (const [label, words] of [['Email', 'Enter an email address like you@example.com'], ['Password', 'Use at least 10 characters']]) {
    t.is(await description(page.getByLabel(label)), words);
    t.is(await page.getByLabel(label).getAttribute('aria-invalid'), 'true');
  }
  t.deepEqual(operations, [], 'nothing was sent');
  await look(t, page, 'sign-up-errors');
});

step('sign-up with a good email and password creates the account and asks for a first organization', async () => {
  const page = story.owner.page;
  await page.getByLabel('Email').fill(story.owner.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'New organization' }).waitFor();
  await page.waitForURL('**/new');
});

step('creating an organization with a slug already taken says so by the slug field; another slug creates it', async (t) => {
  const page = story.owner.page;
  const someoneElse = await signUp(web.platform);
  const taken = await newOrganization(web.platform, someoneElse);

  await page.getByLabel('Name').fill('Acme');
  t.is(await page.getByLabel('Slug').inputValue(), 'acme', 'the slug is suggested from the name');
  await page.getByLabel('Slug').fill('A');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByText('A slug is 3 to 40 characters').waitFor();
  t.regex(await description(page.getByLabel('Slug')), /^A slug is 3 to 40 characters/);

  await page.getByLabel('Slug').fill(taken.slug);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByText('That slug is taken; choose another').waitFor();
  t.is(await description(page.getByLabel('Slug')), 'That slug is taken; choose another', "the slug field carries the server's refusal");
  await look(t, page, 'new-organization-slug-taken');

  await page.getByLabel('Slug').fill(story.slug);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.waitForURL(`**/org/${story.slug}`);
  await page.getByRole('navigation', { name: 'Acme' }).waitFor();
});

step('the owner invites a second person by email; the invitation is listed as pending', async (t) => {
  const page = story.owner.page;
  await page.getByRole('navigation', { name: 'Acme' }).getByRole('link', { name: 'Members' }).click();
  await page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
  const invite = page.getByRole('form', { name: 'Invite a member' });
  await invite.getByLabel('Email').fill(story.member.email);
  await invite.getByLabel('Role').selectOption({ label: 'Developer' });
  await invite.getByRole('button', { name: 'Send invitation' }).click();
  await page.getByRole('status').filter({ hasText: `Invitation sent to ${story.member.email}` }).waitFor();
  await page.getByRole('table', { name: 'Pending invitations' }).getByRole('cell', { name: story.member.email, exact: true }).waitFor();
  await look(t, page, 'members');
});

step("the invited person signs up from the mail's link and accepts; the owner's members page shows them without a reload", async (t) => {
  const owner = story.owner.page;
  const sameDocument = await markDocument(owner);
  const token = await invitationToken(web.platform, story.member.email);

  const page = (story.member.page = await web.newPage());
  await page.goto(`/invitations/${token}`);
  await page.getByRole('heading', { name: 'Join Acme' }).waitFor();
  await page.getByRole('link', { name: 'create an account' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await page.getByLabel('Name').fill('Mo Member');
  await page.getByLabel('Email').fill(story.member.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  // Back on the invitation, now signed in.
  await page.getByRole('button', { name: 'Accept' }).waitFor();
  await look(t, page, 'invitation');
  // The owner's page follows the organization once its subscription is open. (After signing in or creating an
  // organization the console drops its socket and opens a new one only after graphql-ws's retry delay, 1–4 s; what
  // happens in between is not shown until the next event. Reported; here the owner's page has been open a while.)
  await subscribed(owner, 'OrganizationEvents');
  await page.getByRole('button', { name: 'Accept' }).click();
  await page.waitForURL(`**/org/${story.slug}`);
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();

  const members = owner.getByRole('table', { name: 'Members' });
  await members.getByText('Mo Member').waitFor();
  await owner.getByText('No pending invitations').waitFor();
  t.true(await sameDocument(), 'the members page updated in place, without a reload');
});

step('a new project: the dialog closes with Escape and gives focus back; created, it becomes active', async (t) => {
  const page = story.owner.page;
  await page.getByRole('navigation', { name: 'Acme' }).getByRole('link', { name: 'Projects' }).click();
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
  await page.getByText('No projects yet').waitFor();
  await look(t, page, 'projects-empty');

  const newProject = page.getByRole('button', { name: 'New project' }).first();
  const dialog = page.getByRole('dialog', { name: 'New project' });
  await newProject.click();
  await dialog.waitFor();
  t.deepEqual(await focused(page), { tag: 'input', label: 'Project name', type: null }, 'the dialog starts at its first field');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  t.true(await newProject.evaluate((button) => button === button.ownerDocument.activeElement), 'focus is back on "New project"');

  await newProject.click();
  await dialog.getByRole('button', { name: 'Create project' }).click();
  await dialog.getByText('Give the project a name').waitFor();
  t.is(await description(dialog.getByLabel('Project name')), 'Give the project a name');
  await dialog.getByLabel('Project name').fill('Shop');
  await dialog.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL('**/project/*');
  const status = page.getByRole('region', { name: 'Status' }).getByRole('status');
  await status.filter({ hasText: 'The project is running' }).waitFor({ timeout: 30_000 });
  await page.getByRole('complementary').getByText('active', { exact: true }).waitFor();
  await look(t, page, 'project-home');
});

step('in the SQL editor, a mistake is marked at its line and column; then a table is created', async (t) => {
  const page = story.owner.page;
  await page.getByRole('navigation', { name: 'Shop' }).getByRole('link', { name: 'SQL editor' }).click();
  await page.getByRole('heading', { name: 'SQL editor', level: 1 }).waitFor();
  const query = page.getByLabel('SQL query');

  await query.fill('select 1;\nselec 2;');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByRole('alert').filter({ hasText: 'syntax error' }).waitFor();
  t.regex(await description(query), /^Error at line 2, column 1: syntax error/);

  await query.fill(
    'create table products (\n  id bigint generated by default as identity primary key,\n  name text not null,\n  price numeric not null default 0\n);',
  );
  await query.press('Control+Enter');
  await page.getByRole('region', { name: 'Statement 1: CREATE', exact: true }).waitFor();
  await look(t, page, 'sql-editor');
});

step('in the table editor, a row is added to the new table; a value of the wrong type is refused beside its column', async (t) => {
  const page = story.owner.page;
  await page.getByRole('navigation', { name: 'Shop' }).getByRole('link', { name: 'Table editor' }).click();
  await page.getByRole('heading', { name: 'Table editor', level: 1 }).waitFor();
  await page.getByRole('navigation', { name: 'Tables' }).getByRole('link', { name: 'products' }).click();
  await page.getByRole('heading', { name: 'products', level: 2 }).waitFor();
  await page.getByText('No rows yet').waitFor();

  await page.getByRole('button', { name: 'Insert row' }).click();
  const dialog = page.getByRole('dialog', { name: 'Insert row into products' });
  await dialog.getByLabel('name', { exact: true }).fill('Desk lamp');
  await dialog.getByLabel('price', { exact: true }).fill('cheap');
  await dialog.getByRole('button', { name: 'Save row' }).click();
  await dialog.getByText('Enter a number, e.g. 3.14').waitFor();
  t.is(await description(dialog.getByLabel('price', { exact: true })), 'Enter a number, e.g. 3.14');

  await dialog.getByLabel('price', { exact: true }).fill('24.50');
  await dialog.getByRole('button', { name: 'Save row' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const rows = page.getByRole('table', { name: 'Rows of products' });
  await rows.getByRole('cell', { name: 'Desk lamp', exact: true }).waitFor();
  await rows.getByRole('cell', { name: '24.50', exact: true }).waitFor();
  await look(t, page, 'table-editor');
});

step('in storage, a bucket is created (a bad name is refused beside the field) and a file uploaded into it', async (t) => {
  const page = story.owner.page;
  await page.getByRole('navigation', { name: 'Shop' }).getByRole('link', { name: 'Storage' }).click();
  await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();
  await page.getByText('No buckets yet').waitFor();

  await page.getByRole('button', { name: 'New bucket' }).click();
  const dialog = page.getByRole('dialog', { name: 'New bucket' });
  const name = dialog.getByLabel('Bucket name');
  await name.fill('my avatars!');
  await dialog.getByRole('button', { name: 'Create bucket' }).click();
  const rule = 'A bucket name is 1 to 100 letters, digits, dots, dashes or underscores';
  await dialog.getByText(rule).waitFor();
  t.is(await description(name), rule);
  await name.fill('avatars');
  await dialog.getByRole('button', { name: 'Create bucket' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('table', { name: 'Buckets' }).getByRole('link', { name: 'avatars' }).click();

  await page.getByText('No files in this bucket yet').waitFor();
  await page.getByLabel('Upload files').setInputFiles({
    name: 'hello.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('Hello from the console test\n'),
  });
  const file = page.getByRole('table', { name: 'Files' }).getByRole('row', { name: /hello\.txt/ });
  await file.waitFor();
  t.regex((await file.textContent()) ?? '', /28 B/, 'all 28 bytes arrived');
  await look(t, page, 'storage');

  // An image's Share dialog shows a preview of it: a signed transformation.
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: 'teal' } }).png().toBuffer();
  await page.getByLabel('Upload files').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
  await page.getByRole('table', { name: 'Files' }).getByRole('row', { name: /logo\.png/ }).waitFor();
  await page.getByRole('button', { name: 'Share logo.png' }).click();
  const share = page.getByRole('dialog', { name: 'Share a file' });
  const preview = share.getByRole('img', { name: 'Preview of logo.png' });
  await preview.waitFor();
  t.regex((await preview.getAttribute('src')) ?? '', /\/render\/image\/sign\//);
  const loaded = await preview.evaluate(async (element) => {
    const image = element as unknown as { decode(): Promise<void>; naturalWidth: number };
    await image.decode();
    return image.naturalWidth > 0;
  });
  t.true(loaded, 'the preview loads');
  await look(t, page, 'storage-share-preview');
  await share.getByRole('button', { name: 'Done' }).click();
  await share.waitFor({ state: 'hidden' });
  // A file that is no image shows none, not the last one's.
  await page.getByRole('button', { name: 'Share hello.txt' }).click();
  await share.getByText('hello.txt').waitFor();
  t.is(await share.getByRole('img').count(), 0);
  await share.getByRole('button', { name: 'Done' }).click();
  await share.waitFor({ state: 'hidden' });
});

step('rotating the keys asks first (Escape cancels, focus returns); confirmed, new keys replace the old', async (t) => {
  const page = story.owner.page;
  await page.getByRole('navigation', { name: 'Shop' }).getByRole('link', { name: 'Home' }).click();
  const anonKey = page.getByLabel('anon key', { exact: true });
  await anonKey.waitFor();
  const before = await anonKey.textContent();
  const rotate = page.getByRole('button', { name: 'Rotate keys' });
  const dialog = page.getByRole('dialog', { name: 'Rotate the API keys?' });

  await rotate.click();
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  t.true(await rotate.evaluate((button) => button === button.ownerDocument.activeElement), 'focus is back on "Rotate keys"');
  t.is(await anonKey.textContent(), before, 'nothing was rotated');

  await rotate.click();
  await dialog.getByRole('button', { name: 'Rotate keys' }).click();
  await page.getByRole('status').filter({ hasText: 'New keys are ready' }).waitFor({ timeout: 30_000 });
  t.not(await anonKey.textContent(), before);
});

step('pausing asks first, then the project goes paused; resumed, it is active again, on its card too', async (t) => {
  const page = story.owner.page;
  const status = page.getByRole('region', { name: 'Status' }).getByRole('status');
  await page.getByRole('button', { name: 'Pause project' }).click();
  await page.getByRole('dialog', { name: 'Pause the project?' }).getByRole('button', { name: 'Pause project' }).click();
  await status.filter({ hasText: 'Paused: its APIs answer 503' }).waitFor({ timeout: 30_000 });
  await look(t, page, 'project-paused');
  await page.getByRole('button', { name: 'Resume project' }).click();
  await status.filter({ hasText: 'The project is running' }).waitFor({ timeout: 30_000 });

  await page.getByRole('link', { name: '← Acme' }).click();
  await page.getByRole('link', { name: /Shop/ }).getByText('active', { exact: true }).waitFor();
  await look(t, page, 'projects');
});

step('on a phone (390 px): sign in with the keyboard alone; the sidebar is a bar on top and nothing overflows sideways', async (t) => {
  const page = await web.newPage(PHONE);
  await page.goto('/sign-in');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.keyboard.press('Tab');
  t.like(await focused(page), { tag: 'input', label: 'Email' }, 'the form is first in the tab order');
  await page.keyboard.type(story.owner.email);
  await page.keyboard.press('Tab');
  t.like(await focused(page), { tag: 'input', label: 'Password' });
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/org/${story.slug}`);
  await page.getByRole('link', { name: /Shop/ }).waitFor();

  const pages = [
    ['projects', 'Projects', page.getByRole('link', { name: /Shop/ })],
    ['members', 'Members', page.getByRole('table', { name: 'Members' }).getByText('Mo Member')],
  ] as const;
  for (const [name, link, content] of pages) {
    await page.getByRole('navigation', { name: 'Acme' }).getByRole('link', { name: link }).click();
    await page.getByRole('heading', { name: link, level: 1 }).waitFor();
    await content.waitFor();
    const { sidebar, main } = await boxes(page);
    t.true(
      sidebar.left === 0 && sidebar.width === PHONE.width && main.top >= sidebar.bottom,
      `${name}: the sidebar is a bar above the page (sidebar ${JSON.stringify(sidebar)}, main ${JSON.stringify(main)})`,
    );
    t.true((await horizontalOverflow(page)) <= 0, `${name}: nothing is wider than the screen`);
    await look(t, page, `phone-${name}`);
  }
  await page.context().close();
});
