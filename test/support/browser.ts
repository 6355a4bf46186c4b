/**
 * The console in a real browser: Debian's Chromium driven by playwright-core, against a whole Canopy of the test
 * file's own (cloned control database, the real server serving web/dist, the worker). `npm test` builds web/dist
 * first. Screenshots land in .canopy/test-artifacts/screenshots/<test file>/ (git-ignored): artefacts of the run, never
 * committed. A folder per test file, because the files run at the same time and each starts by clearing its own.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { SESSION_COOKIE } from '../../server/src/control/credentials.ts';
import { launchChromium } from './chromium.ts';
import { waitFor } from './org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './platform.ts';

/** The little of the DOM the page functions below use: this program is typed for Node, without the DOM library. */
interface PageElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  labels?: ArrayLike<PageElement> | null;
  getBoundingClientRect(): { left: number; top: number; width: number; bottom: number };
}
declare const document: {
  documentElement: { scrollWidth: number };
  activeElement: PageElement | null;
  getElementById(id: string): PageElement | null;
};
declare const window: { innerWidth: number };

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** This test file's screenshots: .canopy/test-artifacts/screenshots/console-pages/ for test/console-pages.test.ts. */
export const SCREENSHOTS = fileURLToPath(
  new URL(`../../.canopy/test-artifacts/screenshots/${path.basename(fileURLToPath(test.meta.file), '.test.ts')}/`, import.meta.url),
);
const CONSOLE_BUILD = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));

export interface ConsoleUnderTest {
  platform: TestPlatform;
  browser: Browser;
  /** A fresh browser context (its own cookies: another person) with one page, at `viewport`. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /**
   * Like newPage, already signed in as `user` (from signUp): their session token as the console's session cookie,
   * which is what signing in on /sign-in leaves behind. Quicker than the form where signing in is not the point.
   */
  signedInPage(user: { token: string }, viewport?: { width: number; height: number }): Promise<Page>;
  /** Every page opened so far that is still open, oldest first. */
  openPages(): Page[];
  /** Errors thrown by the console's scripts in any page so far (a page that crashed must fail the test). */
  pageErrors: string[];
  stop(): Promise<void>;
}

/** The real server and worker on a database of their own, and Chromium. */
export async function startConsole(): Promise<ConsoleUnderTest> {
  if (!existsSync(CONSOLE_BUILD)) throw new Error(`${CONSOLE_BUILD} is missing: run \`npm run build\` (npm test does)`);
  const browser = await launchChromium();
  // This run's screenshots only.
  await fs.rm(SCREENSHOTS, { recursive: true, force: true });
  let platform: TestPlatform;
  try {
    platform = await startTestPlatform();
  } catch (error) {
    await browser.close();
    throw error;
  }
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const pages: Page[] = [];
  async function newPage(viewport = DESKTOP) {
    const context = await browser.newContext({ baseURL: platform.url, viewport });
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    followSubscriptions(page);
    pages.push(page);
    return page;
  }
  return {
    platform,
    browser,
    pageErrors,
    openPages: () => pages.filter((page) => !page.isClosed()),
    newPage,
    async signedInPage(user, viewport) {
      const page = await newPage(viewport);
      await page.context().addCookies([{ name: SESSION_COOKIE, value: user.token, url: platform.url, httpOnly: true, sameSite: 'Lax' }]);
      return page;
    },
    async stop() {
      await Promise.allSettled(contexts.map((context) => context.close()));
      await browser.close();
      await platform.stop();
    },
  };
}

/**
 * What axe-core (the accessibility engine browsers' own audits use) finds wrong with the page as it is now, one line
 * per rule broken: contrast, labels, names, roles, landmarks. Empty when none.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations.map((rule) => `${rule.id} (${rule.impact}): ${rule.help}, at ${rule.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/** Saves the whole of `page` (not only what the window shows) as <SCREENSHOTS>/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** A main page: its screenshot, and nothing axe-core finds wrong with it for people using assistive technology. */
export async function look(t: ExecutionContext, page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  t.deepEqual(await accessibilityProblems(page), [], `accessibility of ${name}`);
}

/** The token of the newest invitation to `email`, from the mail outbox (as the link in the mail carries it). */
export async function invitationToken(platform: TestPlatform, email: string): Promise<string> {
  return waitFor(`an invitation mail to ${email}`, async () => {
    const { rows } = await platform.owner.query<{ token: string }>(
      `select variables ->> 'token' as token from app_private.mails
       where recipient = $1 and template = 'organization_invitation' order by created_at desc limit 1`,
      [email],
    );
    return rows[0]?.token;
  });
}

/** Control API requests `page` sends from now on, by operation name: to show that a form refused without asking. */
export function graphqlOperations(page: Page): string[] {
  const operations: string[] = [];
  page.on('request', (request) => {
    if (!request.url().endsWith('/graphql') || request.method() !== 'POST') return;
    const body = request.postDataJSON() as { operationName?: string; query?: string } | null;
    operations.push(body?.operationName ?? /(?:query|mutation)\s+(\w+)/.exec(body?.query ?? '')?.[1] ?? 'anonymous');
  });
  return operations;
}

/** What a field's description says (its error, or else its hint): the words a screen reader reads with it. */
export function description(field: Locator): Promise<string> {
  return field.evaluate((element: PageElement) =>
    (element.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .map((id) => (id ? document.getElementById(id)?.textContent?.trim() : ''))
      .filter(Boolean)
      .join(' '),
  );
}

/** Each page's GraphQL subscriptions in progress (graphql-ws ids to operation names), from its WebSocket frames. */
const subscriptions = new WeakMap<Page, Map<string, string>>();

function followSubscriptions(page: Page) {
  const active = new Map<string, string>();
  subscriptions.set(page, active);
  const read = (payload: string | Buffer) => {
    try {
      return JSON.parse(String(payload)) as { id?: string; type?: string; payload?: { operationName?: string } };
    } catch {
      return undefined;
    }
  };
  page.on('websocket', (socket) => {
    const ids = new Set<string>();
    socket.on('framesent', ({ payload }) => {
      const message = read(payload);
      if (message?.type === 'subscribe' && message.id) {
        active.set(message.id, message.payload?.operationName ?? 'anonymous');
        ids.add(message.id);
      } else if (message?.type === 'complete' && message.id) active.delete(message.id);
    });
    socket.on('framereceived', ({ payload }) => {
      const message = read(payload);
      if ((message?.type === 'complete' || message?.type === 'error') && message.id) active.delete(message.id);
    });
    socket.on('close', () => ids.forEach((id) => active.delete(id)));
  });
}

/**
 * Waits until `page` has the subscription `operationName` open (sent on an acknowledged socket): from then on, the
 * events it carries reach the page.
 */
export async function subscribed(page: Page, operationName: string, timeoutMs = 15_000): Promise<void> {
  const active = subscriptions.get(page);
  if (!active) throw new Error('subscribed() needs a page from startConsole().newPage()');
  await waitFor(`the page's ${operationName} subscription`, async () => [...active.values()].includes(operationName), timeoutMs);
}

interface Box {
  left: number;
  top: number;
  width: number;
  bottom: number;
}

/** Where the sidebar (the complementary landmark) and the main landmark are, measured at the same moment. */
export async function boxes(page: Page): Promise<{ sidebar: Box; main: Box }> {
  const sidebar = await page.getByRole('complementary').elementHandle();
  const main = await page.getByRole('main').elementHandle();
  // No named functions inside: tsx would wrap them in a helper the page does not have.
  const [sidebarBox, mainBox] = await page.evaluate(
    (elements) =>
      elements.map((element) => {
        const { left, top, width, bottom } = (element as PageElement).getBoundingClientRect();
        return { left: Math.round(left), top: Math.round(top), width: Math.round(width), bottom: Math.round(bottom) };
      }),
    [sidebar, main],
  );
  return { sidebar: sidebarBox, main: mainBox };
}

/** How far the page scrolls sideways beyond the window (0 when nothing overflows). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/**
 * Marks the page's document; `stillSameDocument` is then true only if no reload or full navigation happened since.
 * Live updates must arrive without one.
 */
export async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => Object.assign(window, { canopyTestMark: true }));
  return () => page.evaluate(() => 'canopyTestMark' in window);
}

/** The element focused in `page`, described for assertions: its tag, accessible label and type. */
export function focused(page: Page): Promise<{ tag: string; label: string; type: string | null }> {
  return page.evaluate(() => {
    const element = document.activeElement;
    const labels = element?.labels;
    return {
      tag: element?.tagName.toLowerCase() ?? '',
      label: (labels?.[0]?.textContent ?? element?.getAttribute('aria-label') ?? element?.textContent ?? '').trim(),
      type: element?.getAttribute('type') ?? null,
    };
  });
}
