/**
 * The one-command start, as a newcomer uses it: no DATABASE_URL, no S3 endpoint, just a data folder. Canopy runs its
 * own Postgres and S3 server there, keeps the data across restarts (even after a crash that left Postgres running),
 * and leaves nothing running when it is stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../server/src/config.ts';
import { freePort, startServices } from '../server/src/local/services.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const START_DEADLINE_MS = 45_000;
const PASSWORD = 'correct horse battery staple';

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
let dataDir: string;

test.before(async () => {
  dataDir = await fs.mkdtemp('/tmp/canopy-start-');
});

test.after.always(async () => {
  // Whatever a failed assertion left behind: the processes this file started, then their Postgres.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  const owner = readPid(path.join(dataDir, 'services.json'), (text) => JSON.parse(text).pid);
  if (owner && isAlive(owner)) process.kill(owner, 'SIGKILL');
  const postmaster = postmasterPid();
  if (postmaster && isAlive(postmaster)) {
    process.kill(postmaster, 'SIGINT');
    await until(() => !isAlive(postmaster), 10_000).catch(() => process.kill(postmaster, 'SIGKILL'));
  }
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** `tsx server/src/start/all.ts` on the data folder, resolved once it says "Canopy is running: <url>". */
async function startCanopy(port: number): Promise<Running> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(REPO, 'node_modules/.bin')}:${process.env.PATH}`,
    CANOPY_DATA_DIR: dataDir,
    PORT: String(port),
    GRAPHILE_ENV: 'development',
  };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|ROOT_DATABASE_URL|SHADOW_DATABASE_URL|NODE_ENV|HOST)$|^CANOPY_(S3_|PUBLIC_URL|TEST_)/.test(name)) {
      delete env[name];
    }
  }
  const child = spawn('tsx', ['server/src/start/all.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Canopy did not say it was running within ${START_DEADLINE_MS} ms:\n${output}`)),
      START_DEADLINE_MS,
    );
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      const match = /^Canopy is running: (\S+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`Canopy exited (code ${code}, signal ${signal}) before it was running:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

async function graphql(url: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: unknown[] } };
}

function readPid(file: string, parse: (text: string) => number): number | undefined {
  try {
    const pid = parse(readFileSync(file, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function postmasterPid(): number | undefined {
  return readPid(path.join(dataDir, 'postgres', 'postmaster.pid'), (text) => Number(text.split('\n')[0]));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes whose command line names the data folder (a postmaster is started with `-D <dataDir>/postgres`). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(`${dir}/postgres`))) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test.serial('one command starts Canopy on a fresh data folder, survives a crash, and stops cleanly', async (t) => {
  t.timeout(150_000);
  const port = await freePort();
  const email = `newcomer-${randomBytes(4).toString('hex')}@example.com`;

  // First start: a fresh data folder is filled with a Postgres cluster, an S3 folder and the generated secrets.
  const first = await startCanopy(port);
  t.is(first.url, `http://localhost:${port}`);
  const health = await fetch(`${first.url}/health`, { signal: AbortSignal.timeout(10_000) });
  t.is(health.status, 200);
  t.deepEqual(await health.json(), { status: 'ok' });
  const registered = await graphql(
    first.url,
    `mutation ($input: RegisterInput!) { register(input: $input) { token userId } }`,
    { input: { email, password: PASSWORD, name: 'Newcomer' } },
  );
  t.falsy(registered.body.errors, JSON.stringify(registered.body.errors));
  const userId: string = registered.body.data.register.userId;
  t.truthy(userId);

  t.true(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION')), 'postgres/ holds a cluster');
  t.true((await fs.stat(path.join(dataDir, 's3'))).isDirectory(), 's3/ exists');
  const secrets = await fs.stat(path.join(dataDir, 'secrets.json'));
  t.is(secrets.mode & 0o777, 0o600, 'secrets.json is readable by its owner only');
  const stored = JSON.parse(await fs.readFile(path.join(dataDir, 'secrets.json'), 'utf8'));
  t.truthy(stored.masterKey);
  t.truthy(stored.authenticatorPassword);
  t.truthy(stored.postgresPassword);

  // A crash: the Node process running Canopy dies at once and its Postgres is left running.
  const canopyPid = readPid(path.join(dataDir, 'services.json'), (text) => JSON.parse(text).pid);
  t.truthy(canopyPid, 'services.json names the process that owns the local services');
  const stalePostmaster = postmasterPid();
  t.truthy(stalePostmaster);
  process.kill(canopyPid!, 'SIGKILL');
  if (first.child.pid !== canopyPid) first.child.kill('SIGKILL'); // tsx's own process, when it runs a child
  await first.exited;
  t.true(isAlive(stalePostmaster!), 'the crashed start left its Postgres running');

  // Second start on the same folder: the stale Postgres is taken over and the account is still there.
  const second = await startCanopy(port);
  t.false(isAlive(stalePostmaster!), 'the stale Postgres was stopped');
  const signedIn = await graphql(
    second.url,
    `mutation ($input: SignInInput!) { signIn(input: $input) { token userId } }`,
    { input: { email, password: PASSWORD } },
  );
  t.falsy(signedIn.body.errors, JSON.stringify(signedIn.body.errors));
  t.is(signedIn.body.data?.signIn?.userId, userId);
  const secretsAfter = JSON.parse(await fs.readFile(path.join(dataDir, 'secrets.json'), 'utf8'));
  t.deepEqual(secretsAfter, stored, 'the generated secrets are kept');

  // SIGTERM: Canopy stops everything it started and exits 0.
  const postmaster = postmasterPid();
  t.truthy(postmaster);
  second.child.kill('SIGTERM');
  const { code, signal } = await second.exited;
  t.is(code, 0, `exit code ${code}, signal ${signal}:\n${second.output()}`);
  const leftover = postmasterPid();
  t.true(leftover === undefined || !isAlive(leftover), 'postmaster.pid is gone or names a dead process');
  t.false(isAlive(postmaster!), 'its Postgres has stopped');
  t.deepEqual(processesUsing(dataDir), [], 'no process uses the data folder');
  t.false(existsSync(path.join(dataDir, 'services.json')), 'no owner is recorded any more');
});

test('with DATABASE_URL and CANOPY_S3_* set, nothing embedded starts and the given servers are used', async (t) => {
  const external = await fs.mkdtemp('/tmp/canopy-external-');
  const s3 = JSON.parse(process.env.CANOPY_TEST_S3!);
  const config = loadConfig({
    CANOPY_DATA_DIR: external,
    DATABASE_URL: process.env.CANOPY_TEST_DATABASE_URL,
    ROOT_DATABASE_URL: process.env.CANOPY_TEST_ROOT_URL,
    CANOPY_S3_ENDPOINT: `http://${s3.endPoint}:${s3.port}`,
    CANOPY_S3_ACCESS_KEY: s3.accessKey,
    CANOPY_S3_SECRET_KEY: s3.secretKey,
  });
  const services = await startServices(config, { log: () => {} });
  t.is(services.database.url, config.database!.url);
  t.like(services.s3, { endPoint: s3.endPoint, port: s3.port });
  await services.stop();
  t.deepEqual(readdirSync(external).sort(), ['secrets.json'], 'no postgres/, no s3/, no services.json');
  await fs.rm(external, { recursive: true });
});
