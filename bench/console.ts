/**
 * `npm run bench:console`: the console's production bundle, and how fast it first loads in Chromium, against a
 * minimal static page served by the same server in the same run.
 *
 * 1. Bundle: `vite build` (as `npm run build`, into web/dist), then the bytes of JavaScript and CSS, raw and gzipped
 *    (level 9), of the first load (what index.html references: its entry script, module preloads and stylesheets) and
 *    of all chunks (the pages load lazily on first visit).
 * 2. First load: Canopy (server on durable embedded Postgres, as `npm start` runs it; no worker: nothing here makes
 *    projects) serves the built console. Each run opens `/` in a fresh Chromium context (empty cache, no cookies), as
 *    someone arriving at the console: the app starts, asks who is signed in, and routes to the sign-in form. Measured
 *    from navigation start: DOMContentLoaded, load, first-contentful-paint, and the end of the first frame painted
 *    with the sign-in form (its password input) in the page. The baseline, measured alternately in the same run, is a static HTML page
 *    with the same form (no script), served by a route of the same Fastify app — the floor of server, network and
 *    browser.
 */
import { gzipSync } from 'node:zlib';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { launchChromium } from '../test/support/chromium.ts';
import { loadConfig } from '../server/src/config.ts';
import { withCredentials } from '../server/src/db/bootstrap.ts';
import { prepareControlDatabase } from '../server/src/db/migrations.ts';
import { asOwner, createPool } from '../server/src/db/pools.ts';
import { freePort, startServices } from '../server/src/local/services.ts';
import { freshDataDir, kib, ms, percentile, runBenchmark, within } from './support.ts';

const RUNS = 10;
const WEB = fileURLToPath(new URL('../web/', import.meta.url));
const DIST = path.join(WEB, 'dist');
const BASELINE_PATH = '/bench/baseline';

/* ------------------------------------------------------------------ the bundle */

interface Bytes {
  files: number;
  js: number;
  jsGzip: number;
  css: number;
  cssGzip: number;
}

async function buildConsole(): Promise<number> {
  const started = performance.now();
  await build({ configFile: path.join(WEB, 'vite.config.ts'), logLevel: 'warn' });
  return performance.now() - started;
}

async function bytesOf(files: string[]): Promise<Bytes> {
  const total: Bytes = { files: files.length, js: 0, jsGzip: 0, css: 0, cssGzip: 0 };
  for (const file of files) {
    const content = await fs.readFile(path.join(DIST, file));
    const gzip = gzipSync(content, { level: 9 }).length;
    if (file.endsWith('.js')) (total.js += content.length), (total.jsGzip += gzip);
    else if (file.endsWith('.css')) (total.css += content.length), (total.cssGzip += gzip);
  }
  return total;
}

/** The files index.html makes the browser fetch at once: entry script, module preloads, stylesheets. */
async function firstLoadFiles(): Promise<string[]> {
  const html = await fs.readFile(path.join(DIST, 'index.html'), 'utf8');
  const references = [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((match) => match[1]);
  if (!references.some((file) => file.endsWith('.js'))) throw new Error('index.html references no script');
  return references;
}

async function allFiles(): Promise<string[]> {
  const assets = await fs.readdir(path.join(DIST, 'assets'));
  return assets.filter((file) => /\.(js|css)$/.test(file)).map((file) => `assets/${file}`);
}

/* ------------------------------------------------------------------ the server */

/** Same words and fields as the console's sign-in page, as plain HTML: what a page costs without the app. */
const BASELINE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Canopy</title>
    <link rel="icon" href="data:," />
    <style>body { font: 14px system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh }</style>
  </head>
  <body>
    <main>
      <h1>Sign in</h1>
      <form method="post">
        <label for="email">Email</label> <input id="email" type="email" autocomplete="email" />
        <label for="password">Password</label> <input id="password" type="password" autocomplete="current-password" />
        <button type="submit">Sign in</button>
      </form>
    </main>
  </body>
</html>
`;

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** Canopy's server as `npm start` wires it (durable Postgres, local S3), plus the baseline page's route. */
async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({ CANOPY_DATA_DIR: dataDir, PORT: String(port), CANOPY_PUBLIC_URL: url });
  const services = await within(120_000, 'Starting Postgres and S3', startServices(config, { durable: true, log: () => {} }));
  const stops: Array<() => Promise<unknown>> = [() => services.stop()];
  const stop = async () => {
    for (const step of stops) await within(30_000, 'Stopping', step());
  };
  try {
    await within(120_000, 'Migrating', prepareControlDatabase(services.database, services.secrets.authenticatorPassword));
    const ownerPool = createPool(asOwner(services.database.url));
    const apiPool = createPool(withCredentials(services.database.url, 'canopy_authenticator', services.secrets.authenticatorPassword));
    stops.unshift(() => Promise.all([ownerPool.end(), apiPool.end()]));
    // Grafast reads GRAPHILE_ENV once, when first imported, hence the late import.
    process.env.GRAPHILE_ENV ??= 'production';
    const { createApp } = await import('../server/src/app.ts');
    const app = await createApp({ config, ownerPool, apiPool, services });
    stops.unshift(() => app.close());
    app.get(BASELINE_PATH, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(BASELINE_HTML));
    await app.listen({ host: '127.0.0.1', port });
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/* ------------------------------------------------------------------ first load */

interface Load {
  domContentLoaded: number;
  load: number;
  firstContentfulPaint: number;
  formVisible: number;
  requests: number;
  bytes: number;
}

const METRICS = [
  ['DOMContentLoaded', 'domContentLoaded'],
  ['load', 'load'],
  ['first-contentful-paint', 'firstContentfulPaint'],
  ['sign-in form visible', 'formVisible'],
] as const;

/**
 * Runs in the page before any of its own scripts: notes the first animation frame after a password input is in the
 * document (the frame that shows it).
 */
const WATCH_FOR_FORM = `(() => {
  const found = () => document.querySelector('form input[type=password]');
  // The next frame's callbacks run before it paints; a message posted from them is handled after the paint.
  const note = () => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { window.__formVisibleAt = performance.now(); };
    channel.port2.postMessage(null);
  });
  const observer = new MutationObserver(() => { if (found()) { observer.disconnect(); note(); } });
  observer.observe(document, { childList: true, subtree: true });
})();`;

/** What the page measured, once its load event and form have happened. */
const READ_TIMINGS = `new Promise((resolve) => {
  const read = () => {
    const navigation = performance.getEntriesByType('navigation')[0];
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    if (!navigation || navigation.loadEventEnd === 0 || !paint || window.__formVisibleAt === undefined) return setTimeout(read, 5);
    const resources = performance.getEntriesByType('resource');
    resolve({
      domContentLoaded: navigation.domContentLoadedEventEnd,
      load: navigation.loadEventEnd,
      firstContentfulPaint: paint.startTime,
      formVisible: window.__formVisibleAt,
      requests: 1 + resources.length,
      bytes: navigation.encodedBodySize + resources.reduce((sum, entry) => sum + entry.encodedBodySize, 0),
    });
  };
  read();
})`;

async function firstLoad(browser: Browser, url: string): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    await context.addInitScript(WATCH_FOR_FORM);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    return (await page.evaluate(READ_TIMINGS)) as Load;
  } finally {
    await context.close();
  }
}

/** Console and baseline alternate, so that drift (CPU heat, caches) falls on both; one of each first, unmeasured. */
async function measureLoads(browser: Browser, server: Server) {
  const consoleUrl = `${server.url}/`;
  const baselineUrl = `${server.url}${BASELINE_PATH}`;
  await firstLoad(browser, consoleUrl);
  await firstLoad(browser, baselineUrl);
  const loads = { console: [] as Load[], baseline: [] as Load[] };
  for (let run = 0; run < RUNS; run++) {
    if (run % 2 === 0) {
      loads.console.push(await firstLoad(browser, consoleUrl));
      loads.baseline.push(await firstLoad(browser, baselineUrl));
    } else {
      loads.baseline.push(await firstLoad(browser, baselineUrl));
      loads.console.push(await firstLoad(browser, consoleUrl));
    }
  }
  return loads;
}

/* ------------------------------------------------------------------ report */

function bytesRow(label: string, bytes: Bytes): string {
  const cells = [bytes.js, bytes.jsGzip, bytes.css, bytes.cssGzip].map((value) => kib(value).padStart(11));
  return `${label.padEnd(46)}${String(bytes.files).padStart(5)}${cells.join('')}`;
}

function loadRows(loads: { console: Load[]; baseline: Load[] }): string[] {
  const header = `${'from navigation start'.padEnd(26)}${['console p50', 'p90', 'baseline p50', 'p90', 'console / baseline p50']
    .map((cell, i) => cell.padStart(i === 4 ? 25 : 13))
    .join('')}`;
  return [
    header,
    ...METRICS.map(([label, key]) => {
      const console50 = percentile(loads.console.map((load) => load[key]), 50);
      const baseline50 = percentile(loads.baseline.map((load) => load[key]), 50);
      const cells = [
        ms(console50),
        ms(percentile(loads.console.map((load) => load[key]), 90)),
        ms(baseline50),
        ms(percentile(loads.baseline.map((load) => load[key]), 90)),
      ].map((cell) => cell.padStart(13));
      return `${label.padEnd(26)}${cells.join('')}${`${(console50 / baseline50).toFixed(1)}×`.padStart(25)}`;
    }),
  ];
}

function fetched(loads: Load[]): string {
  return `${percentile(loads.map((load) => load.requests), 50)} requests, ${kib(percentile(loads.map((load) => load.bytes), 50))}`;
}

async function main(): Promise<void> {
  const buildMs = await buildConsole();
  const firstLoadBytes = await bytesOf(await firstLoadFiles());
  const allBytes = await bytesOf(await allFiles());

  const dataDir = path.resolve(process.env.CANOPY_DATA_DIR ?? '.canopy/bench-console');
  await freshDataDir(dataDir);
  console.log(`Starting Canopy on durable (fsync on) embedded Postgres and a local S3 server in ${dataDir} …`);
  const server = await startServer(dataDir);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const loads = await within(120_000, 'Measuring first loads', measureLoads(browser, server));
    const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    console.log(
      [
        '',
        `Canopy console benchmark — ${os.availableParallelism()} CPUs (${cpu}), Node ${process.version}, Chromium ${browser.version()}`,
        '',
        `Production bundle (vite build in ${ms(buildMs)}); gzip level 9 (the server compresses them on the way).`,
        `${''.padEnd(46)}${'files'.padStart(5)}${['JS', 'JS gzip', 'CSS', 'CSS gzip'].map((cell) => cell.padStart(11)).join('')}`,
        bytesRow("first load (index.html's scripts and styles)", firstLoadBytes),
        bytesRow('all chunks', allBytes),
        '',
        `First load of ${server.url}/ in a fresh Chromium context (empty cache), n=${RUNS} each, alternating with the`,
        `baseline: a static HTML page with the same sign-in form, no script, from a route of the same server.`,
        ...loadRows(loads),
        `Fetched per load (p50, as sent): console ${fetched(loads.console)}; baseline ${fetched(loads.baseline)}.`,
        'Reproduce: npm run bench:console (data under CANOPY_DATA_DIR, default .canopy/bench-console, wiped first).',
      ].join('\n'),
    );
  } finally {
    await browser?.close();
    await server.stop();
  }
}

await runBenchmark(main);
