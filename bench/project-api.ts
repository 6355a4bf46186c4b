/**
 * `tsx bench/project-api.ts`: what a project's GraphQL API (`/p/<ref>/graphql/v1`) serves, as an app's signed-in
 * users call it, beside the same work done bare.
 *
 * A whole Canopy runs in this process on throwaway services (durable Postgres, as `npm start` runs it). Measured:
 *
 * 1. Throughput: "the 10 newest rows" of a table with an RLS policy (`owner_id = canopy.uid()`), as a signed-in end
 *    user, with autocannon (20 connections, in a worker thread), against a bare PostGraphile 5 (same presets, same
 *    pool size, same authenticator login and role switching) and a plain Fastify route running the SQL with `pg`.
 *    Server CPU per request is this thread's CPU time (the servers run here; the load generator does not).
 * 2. A cold project's first request (its instance is built then).
 * 3. Heap per cached instance, with 10 and with 100 projects in one organization database. The garbage collector is
 *    exposed at run time (v8.setFlagsFromString), so no node flag is needed.
 * 4. Realtime: from a row insert to each subscriber's `todoChanged` event, with 1, 100 and 1,000 graphql-ws
 *    subscribers (each its own WebSocket and end user; the clients run in a worker thread). Their query reads the
 *    row's columns, so all share one payload; then, with 100 and 1,000, a query that reads a computed column of the
 *    subscriber's own (`mine`), so each needs a payload of its own.
 *
 * This file is also that worker thread's code (isMainThread decides), so what the main thread alone needs (the
 * platform, PostGraphile, autocannon) is imported dynamically: the worker does not load it, and Grafast is imported
 * only after support.ts set GRAPHILE_ENV=production.
 */
import { randomUUID, type webcrypto } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Client, createClient } from 'graphql-ws';
import { jwtVerify, SignJWT } from 'jose';
import pg from 'pg';
import type {} from 'postgraphile/grafserv/fastify/v5';
import WebSocket from 'ws';
import type { BenchPlatform } from './platform.ts';
import type { Api } from './support.ts';

/* ------------------------------------------------------------------ settings and aims */

const LOAD = { connections: 20, warmupSeconds: 2, seconds: 10 };
/** Connections for each server: Canopy's default for a project's pool (CANOPY_PROJECT_POOL_SIZE), and the bare ones'. */
const POOL_SIZE = 5;
const SEED_ROWS = { mine: 1000, others: 1000 };
const COLD_PROJECTS = 5;
const HEAP_PROJECTS = [10, 100] as const;
/** Projects are created ten at a time. */
const PROVISION_BATCH = 10;
/** Room for every instance this run builds (1 + 5 + 100), so that none is evicted while their heap is measured. */
const CACHE_MB = 8192;
/** Subscribers, and whether their payload is shared (their query reads only columns) or each their own. */
const LIVE_RUNS = [
  { subscribers: 1, payload: 'shared' },
  { subscribers: 100, payload: 'shared' },
  { subscribers: 1000, payload: 'shared' },
  { subscribers: 100, payload: 'own' },
  { subscribers: 1000, payload: 'own' },
] as const;
type LivePayload = (typeof LIVE_RUNS)[number]['payload'];
const LIVE = { events: 20, intervalMs: 100, drainMs: 45_000, connectBatch: 50 };

const AIM = { requestsPerSecond: 1000, ofBarePostGraphile: 0.9, coldP50Ms: 300, liveP99Ms: 100 };

const NEWEST = `{ todos(first: 10, orderBy: ID_DESC) { nodes { id title ownerId } } }`;
const CHANGED: Record<LivePayload, string> = {
  shared: `subscription { todoChanged { op todo { id title } } }`,
  own: `subscription { todoChanged { op todo { id title mine } } }`,
};

/* ------------------------------------------------------------------ shared by both threads */

function userToken(ref: string, jwtSecret: string, sub: string): Promise<string> {
  // As the project's auth would sign it (and as test/project-graphql.test.ts does).
  return new SignJWT({ role: 'authenticated', ref })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('authenticated')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(jwtSecret));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 10 ms; false if it was not true within `ms`. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/* ================================================================== main thread */

let bench: typeof import('./support.ts');

interface Project {
  id: string;
  ref: string;
  apiUrl: string;
  anonKey: string;
  jwtSecret: string;
  /** The project's DBA login (p_<ref>_owner). */
  databaseUrl: string;
}

interface Context {
  platform: BenchPlatform;
  api: Api;
}

/* ------------------------------------------------------------------ projects */

async function createProjects(ctx: Context, organizationId: string, count: number): Promise<Project[]> {
  const projects: Project[] = [];
  for (let first = 0; first < count; first += PROVISION_BATCH) {
    const ids = await Promise.all(
      Array.from({ length: Math.min(PROVISION_BATCH, count - first) }, async () => {
        const { createProject } = await ctx.api.data(
          `mutation ($id: UUID!) { createProject(input: { organizationId: $id, name: "Bench" }) { result { id } } }`,
          { id: organizationId },
        );
        return createProject.result.id as string;
      }),
    );
    await waitActive(ctx, ids);
    for (const id of ids) projects.push(await credentials(ctx, id));
  }
  return projects;
}

async function waitActive(ctx: Context, ids: string[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const { rows } = await ctx.platform.owner.query<{ status: string; status_reason: string | null }>(
      'select status, status_reason from app_public.projects where id = any($1)',
      [ids],
    );
    const failed = rows.find((row) => row.status !== 'provisioning' && row.status !== 'active');
    if (failed) throw new Error(`A project is ${failed.status}: ${failed.status_reason}`);
    if (rows.every((row) => row.status === 'active')) return;
    if (performance.now() > deadline) throw new Error('Projects not active within 60 s');
    await sleep(20);
  }
}

async function credentials(ctx: Context, id: string): Promise<Project> {
  const { project, projectCredentials } = await ctx.api.data(
    `query ($id: UUID!) {
      project(id: $id) { ref }
      projectCredentials(projectId: $id) { apiUrl anonKey jwtSecret databaseUrl }
    }`,
    { id },
  );
  return { id, ref: project.ref, ...projectCredentials };
}

async function asDba<T>(project: Project, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: project.databaseUrl, query_timeout: 30_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The table of the test suite: each end user sees and adds only their own todos. */
async function createTodos(project: Project, seedOwner?: string): Promise<void> {
  const table = `p_${project.ref}.todos`;
  await asDba(project, async (client) => {
    await client.query(`
      create table ${table} (id serial primary key, owner_id uuid not null default canopy.uid(), title text not null);
      alter table ${table} enable row level security;
      create policy own_todos on ${table} using (owner_id = canopy.uid()) with check (owner_id = canopy.uid());
    `);
    if (!seedOwner) return;
    // Interleaved: the user's 1,000 rows and 1,000 of as many other users.
    await client.query(
      `insert into ${table} (owner_id, title)
       select case when i % 2 = 0 then $1::uuid else gen_random_uuid() end, 'todo ' || i
       from generate_series(1, $2::int) as i`,
      [seedOwner, SEED_ROWS.mine + SEED_ROWS.others],
    );
    await client.query(`analyze ${table}`);
  });
}

/** The 10 newest todos through a project's API; fails unless the answer is data. */
async function newestTodos(url: string, headers: Record<string, string>): Promise<Array<{ id: number }>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: NEWEST }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { data?: { todos: { nodes: Array<{ id: number }> } }; errors?: unknown };
  if (!response.ok || !body.data) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.data.todos.nodes;
}

async function asUser(project: Project, sub: string = randomUUID()): Promise<Record<string, string>> {
  return { apikey: project.anonKey, authorization: `Bearer ${await userToken(project.ref, project.jwtSecret, sub)}` };
}

async function timedFirstRequests(projects: Project[]): Promise<{ first: number[]; second: number[] }> {
  const first: number[] = [];
  const second: number[] = [];
  for (const project of projects) {
    const headers = await asUser(project);
    for (const samples of [first, second]) {
      const started = performance.now();
      await newestTodos(`${project.apiUrl}/graphql/v1`, headers);
      samples.push(performance.now() - started);
    }
  }
  return { first, second };
}

/* ------------------------------------------------------------------ (1) throughput */

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** The project's secret as an HMAC key, imported once, as Canopy keeps it: a fair baseline verifies the same way. */
function importSecret(jwtSecret: string): Promise<webcrypto.CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(jwtSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}

function bearerClaims(request: FastifyRequest, secret: webcrypto.CryptoKey) {
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  return jwtVerify(token, secret, { algorithms: ['HS256'] }).then(({ payload }) => payload);
}

async function listen(app: FastifyInstance, path: string): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('No address');
  return `http://127.0.0.1:${address.port}${path}`;
}

/**
 * Single-tenant PostGraphile 5: the project's schema with the same presets, inflection (KeepIdPlugin, no Node
 * interface) and pool size as Canopy's instances, logged in as the project's authenticator, with the same role
 * and claims as pgSettings after verifying the token with jose. What it lacks is Canopy's: the project lookup, the
 * API key check, query limits, rate and usage accounting, helmet and CORS.
 */
async function startBarePostGraphile(authenticatorUrl: string, project: Project): Promise<Server> {
  const [{ default: Fastify }, { postgraphile }, { makePgService }, { grafserv }, { PostGraphileAmberPreset }] =
    await Promise.all([
      import('fastify'),
      import('postgraphile'),
      import('postgraphile/adaptors/pg'),
      import('postgraphile/grafserv/fastify/v5'),
      import('postgraphile/presets/amber'),
    ]);
  const { PgSimplifyInflectionPreset } = await import('@graphile/simplify-inflection');
  const { KeepIdPlugin } = await import('../server/src/graphql/common.ts');
  const { createPool } = await import('../server/src/db/pools.ts');
  const secret = await importSecret(project.jwtSecret);
  const pool = createPool(authenticatorUrl, POOL_SIZE);
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
    disablePlugins: ['NodePlugin'],
    plugins: [KeepIdPlugin],
    pgServices: [makePgService({ pool, schemas: [`p_${project.ref}`] })],
    grafserv: { graphqlPath: '/graphql', graphiql: false, graphiqlOnGraphQLGET: false },
    grafast: {
      async context(requestContext) {
        const claims = await bearerClaims(requestContext.fastifyv5!.request, secret);
        const role = claims.role === 'authenticated' ? 'authenticated' : 'anon';
        return { pgSettings: { role: `p_${project.ref}_${role}`, 'request.jwt.claims': JSON.stringify(claims) } };
      },
    },
  });
  const app = Fastify();
  await pgl.createServ(grafserv).addTo(app);
  await pgl.getSchema();
  const url = await listen(app, '/graphql');
  return {
    url,
    stop: async () => {
      await app.close();
      await pgl.release();
      await pool.end();
    },
  };
}

/** The floor: Fastify, jose, and `pg` running begin; role and claims in one statement; the select; commit. */
async function startRawPg(authenticatorUrl: string, project: Project): Promise<Server> {
  const [{ default: Fastify }, { createPool }] = await Promise.all([import('fastify'), import('../server/src/db/pools.ts')]);
  const secret = await importSecret(project.jwtSecret);
  const pool = createPool(authenticatorUrl, POOL_SIZE);
  const app = Fastify();
  app.post('/todos', async (request) => {
    const claims = await bearerClaims(request, secret);
    const role = claims.role === 'authenticated' ? 'authenticated' : 'anon';
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [
        `p_${project.ref}_${role}`,
        JSON.stringify(claims),
      ]);
      const { rows } = await client.query(
        `select id, title, owner_id as "ownerId" from p_${project.ref}.todos order by id desc limit 10`,
      );
      await client.query('commit');
      return { data: { todos: { nodes: rows } } };
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  });
  const url = await listen(app, '/todos');
  return {
    url,
    stop: async () => {
      await app.close();
      await pool.end();
    },
  };
}

interface Load {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  /** Non-2xx answers, socket errors and timeouts. */
  failures: number;
  /** This thread's CPU time per request: the server's share (autocannon runs in a worker thread). */
  cpuMsPerRequest: number;
}

interface Target {
  name: string;
  url: string;
}

/** One autocannon run against `target`, with this thread's CPU time over it. */
async function hammer(target: Target, headers: Record<string, string>, seconds: number, body: unknown = { query: NEWEST }) {
  const { default: autocannon } = await import('autocannon');
  const cpu = process.threadCpuUsage();
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    connections: LOAD.connections,
    duration: seconds,
    // In a worker thread, so that generating load does not take this thread's time from the servers.
    workers: 1,
  });
  const used = process.threadCpuUsage(cpu);
  return { result, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * Each target is warmed up, then measured in two halves, in the order A B C, then C B A: figures drift over a run
 * (JIT, caches, the other threads), and by ±20% between runs, so the mirrored order keeps the ratios fair.
 * req/s and CPU/request are over both halves; p50 and p99 are the mean of the halves'.
 */
async function load(targets: Target[], headers: Record<string, string>): Promise<Load[]> {
  for (const target of targets) await hammer(target, headers, LOAD.warmupSeconds);
  const halves = new Map<Target, Array<Awaited<ReturnType<typeof hammer>>>>(targets.map((target) => [target, []]));
  for (const target of [...targets, ...[...targets].reverse()]) {
    halves.get(target)!.push(await hammer(target, headers, LOAD.seconds / 2));
  }
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return targets.map((target) => {
    const runs = halves.get(target)!;
    const total = sum(runs.map((run) => run.result.requests.total));
    return {
      name: target.name,
      requestsPerSecond: total / LOAD.seconds,
      p50: sum(runs.map((run) => run.result.latency.p50)) / runs.length,
      p99: sum(runs.map((run) => run.result.latency.p99)) / runs.length,
      total,
      failures: sum(runs.map((run) => run.result.non2xx + run.result.errors + run.result.timeouts)),
      cpuMsPerRequest: sum(runs.map((run) => run.cpuMs)) / Math.max(1, total),
    };
  });
}

async function throughput(ctx: Context, project: Project, user: string): Promise<Load[]> {
  // The organization's authenticator login, read as the server reads it.
  const [{ ProjectRegistry }, { SecretBox }] = await Promise.all([
    import('../server/src/projects/registry.ts'),
    import('../server/src/secrets.ts'),
  ]);
  const { services } = ctx.platform;
  const registry = new ProjectRegistry(ctx.platform.owner, new SecretBox(services.secrets.masterKey), services.database.rootUrl);
  const authenticatorUrl = (await registry.get(project.ref))?.databaseUrl;
  if (!authenticatorUrl) throw new Error('The project has no database');

  const headers = await asUser(project, user);
  const bare = await startBarePostGraphile(authenticatorUrl, project);
  const raw = await startRawPg(authenticatorUrl, project);
  try {
    const targets: Target[] = [
      { name: 'Canopy /p/<ref>/graphql/v1', url: `${project.apiUrl}/graphql/v1` },
      { name: 'bare PostGraphile 5', url: bare.url },
      { name: 'Fastify + pg', url: raw.url },
    ];
    // All three give the same answer: the user's 10 newest rows, no one else's.
    const { rows } = await asDba(project, (client) =>
      client.query(`select id from p_${project.ref}.todos where owner_id = $1 order by id desc limit 10`, [user]),
    );
    const expected = JSON.stringify(rows.map((row) => row.id));
    for (const target of targets) {
      const got = JSON.stringify((await newestTodos(target.url, headers)).map((row) => row.id));
      if (got !== expected) throw new Error(`${target.name} answered ${got}, not ${expected}`);
    }
    return await load(targets, headers);
  } finally {
    await bare.stop();
    await raw.stop();
  }
}

/* ------------------------------------------------------------------ (5) sign-in */

/** Password sign-ins per second (argon2id verification dominates), against one user of the project. */
async function signIns(project: Project): Promise<Load> {
  const credentials = { email: `bench-${randomUUID()}@example.com`, password: 'a long bench passphrase' };
  const signup = await fetch(`${project.apiUrl}/auth/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', apikey: project.anonKey },
    body: JSON.stringify(credentials),
  });
  if (!signup.ok) throw new Error(`Sign-up failed: ${signup.status} ${await signup.text()}`);
  const target = { name: 'POST /auth/v1/token?grant_type=password', url: `${project.apiUrl}/auth/v1/token?grant_type=password` };
  await hammer(target, { apikey: project.anonKey }, LOAD.warmupSeconds, credentials);
  const { result, cpuMs } = await hammer(target, { apikey: project.anonKey }, LOAD.seconds, credentials);
  return {
    name: target.name,
    requestsPerSecond: result.requests.total / LOAD.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: cpuMs / Math.max(1, result.requests.total),
  };
}

/* ------------------------------------------------------------------ (3) heap */

async function heapAfterGc(): Promise<{ heap: number; rss: number }> {
  // `node --expose-gc` without the flag: once set, a new context has `gc`.
  v8.setFlagsFromString('--expose-gc');
  const collectGarbage = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await sleep(50);
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

async function heapPerInstance(ctx: Context) {
  const organization = await bench.enterpriseOrganization(ctx.platform, ctx.api);
  const steps: Array<{
    projects: number;
    instances: number;
    heap: number;
    rss: number;
    first: number[];
    second: number[];
    catalog: string;
  }> = [];
  let projects = 0;
  for (const total of HEAP_PROJECTS) {
    const added = await createProjects(ctx, organization.id, total - projects);
    for (const project of added) await createTodos(project);
    projects = total;
    // Let the DDL's schema-change announcements arrive before the instances are built.
    await sleep(300);
    const catalog = await catalogSize(added[0]);
    const before = await heapAfterGc();
    const { first, second } = await timedFirstRequests(added);
    const after = await heapAfterGc();
    steps.push({
      projects,
      instances: added.length,
      heap: (after.heap - before.heap) / added.length,
      rss: (after.rss - before.rss) / added.length,
      first,
      second,
      catalog,
    });
  }
  return steps;
}

/**
 * The organization database's non-system schemas, and what of them a project's build introspects: its own schemas
 * and the shared ones (server/src/projects/introspection.ts), not the other projects'.
 */
async function catalogSize(project: Project): Promise<string> {
  const { introspectedSchema } = await import('../server/src/projects/introspection.ts');
  const count = (filter: string) => `
    (with schemas as (select oid from pg_namespace where nspname <> 'information_schema' and nspname not like 'pg\\_%'
                      and ${filter})
     select json_build_array((select count(*) from schemas),
                             (select count(*) from pg_class where relnamespace in (select oid from schemas)),
                             (select count(*) from pg_proc where pronamespace in (select oid from schemas))))`;
  const { rows } = await asDba(project, (client) =>
    client.query(`select ${count('true')} as database, ${count(introspectedSchema(project.ref))} as build`),
  );
  const describe = ([schemas, relations, functions]: number[]) => `${schemas} schemas, ${relations} relations, ${functions} functions`;
  return `${describe(rows[0].build)} (the database: ${describe(rows[0].database)})`;
}

/* ------------------------------------------------------------------ (4) live */

interface LiveJob {
  apiUrl: string;
  anonKey: string;
  jwtSecret: string;
  ref: string;
  databaseUrl: string;
  subscribers: number;
  payload: LivePayload;
}

interface LiveResult {
  subscribers: number;
  payload: LivePayload;
  connectMs: number;
  probes: number;
  /** Every (subscriber, insert) pair that arrived in time: from sending the insert to receiving the event. */
  latencies: number[];
  expected: number;
  insertMs: number[];
  /** From the last insert to the last event (or giving up). */
  drainMs: number;
  errors: string[];
}

function runLive(job: LiveJob): Promise<LiveResult> {
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  const done = new Promise<LiveResult>((resolve, reject) => {
    worker.once('message', (message: { result?: LiveResult; error?: string }) =>
      message.result ? resolve(message.result) : reject(new Error(message.error)),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`The subscribers' thread exited (${code})`)));
  });
  return bench.within(150_000, `${job.subscribers} subscribers (${job.payload} payload)`, done).finally(() => worker.terminate());
}

async function live(project: Project): Promise<LiveResult[]> {
  // The worst case for fan-out: every subscriber may read every row, so each hears of each insert. Who may see it is
  // asked once per change for all (one answer per distinct role and claims: here, one per subscriber); the payload is
  // then executed once for all whose query reads only the row's columns, or once per subscriber when it reads
  // something of its own (`mine`, which compares the row's owner with canopy.uid()).
  await asDba(project, (client) =>
    client.query(`
      create policy everyone_reads on p_${project.ref}.todos for select using (true);
      create function p_${project.ref}.todos_mine(todo p_${project.ref}.todos) returns boolean as $$
        select todo.owner_id = canopy.uid()
      $$ language sql stable;
      select canopy.enable_live('p_${project.ref}.todos');
    `),
  );
  // The instance is rebuilt with the subscription field once the schema change is heard.
  const headers = await asUser(project);
  const deadline = performance.now() + 30_000;
  for (;;) {
    const response = await fetch(`${project.apiUrl}/graphql/v1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ __type(name: "TodoChange") { name } }' }),
    });
    const body = (await response.json()) as { data?: { __type: unknown } };
    if (body.data?.__type) break;
    if (performance.now() > deadline) throw new Error('todoChanged did not appear within 30 s');
    await sleep(50);
  }
  const results: LiveResult[] = [];
  for (const { subscribers, payload } of LIVE_RUNS) {
    const { apiUrl, anonKey, jwtSecret, ref, databaseUrl } = project;
    results.push(await runLive({ apiUrl, anonKey, jwtSecret, ref, databaseUrl, subscribers, payload }));
  }
  return results;
}

/* ------------------------------------------------------------------ report */

function fixed(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function met(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

function table(header: string[], rows: string[][], widths: number[]): string[] {
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

async function machine(ctx: Context): Promise<string> {
  const { rows } = await ctx.platform.owner.query('show server_version');
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} CPUs (${cpu}), Node ${process.version}, PostgreSQL ${rows[0].server_version}`;
}

interface Measured {
  loads?: Load[];
  signIns?: Load;
  cold?: { first: number[]; second: number[] };
  heap?: Awaited<ReturnType<typeof heapPerInstance>>;
  live?: LiveResult[];
}

function report(machine: string, m: Measured): string {
  const { ms, mib, percentile } = bench;
  const lines = ['', `Canopy project API benchmark — ${machine}`, 'Postgres, the servers and the clients share these CPUs.', ''];

  if (m.loads) {
    const [canopy, bare, raw] = m.loads;
    lines.push(
      `(1) 10 newest rows of a ${fixed(SEED_ROWS.mine + SEED_ROWS.others)}-row table with RLS, as a signed-in user; autocannon ${LOAD.connections} connections, ` +
        `${LOAD.warmupSeconds} s warm-up, then ${LOAD.seconds} s each in halves (A B C, C B A); pools of ${POOL_SIZE}`,
      ...table(
        ['', 'req/s', 'p50', 'p99', 'requests', 'failed', 'server CPU/req'],
        m.loads.map((l) => [l.name, fixed(l.requestsPerSecond), ms(l.p50), ms(l.p99), fixed(l.total), fixed(l.failures), `${l.cpuMsPerRequest.toFixed(2)} ms`]),
        [30, 7, 7, 7, 9, 6, 14],
      ),
      `    Canopy: ${fixed(canopy.requestsPerSecond)} req/s — aim ≥ ${fixed(AIM.requestsPerSecond)}: ${met(canopy.requestsPerSecond >= AIM.requestsPerSecond)}`,
      `    Canopy / bare PostGraphile: ${(canopy.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}× req/s ` +
        `(aim ≥ ${AIM.ofBarePostGraphile}×: ${met(canopy.requestsPerSecond / bare.requestsPerSecond >= AIM.ofBarePostGraphile)}), ` +
        `p99 ${(canopy.p99 / bare.p99).toFixed(2)}×, CPU/req ${(canopy.cpuMsPerRequest / bare.cpuMsPerRequest).toFixed(2)}×`,
      `    Canopy / Fastify + pg:      ${(canopy.requestsPerSecond / raw.requestsPerSecond).toFixed(2)}× req/s, ` +
        `p99 ${(canopy.p99 / raw.p99).toFixed(2)}×, CPU/req ${(canopy.cpuMsPerRequest / raw.cpuMsPerRequest).toFixed(2)}×`,
      '',
    );
  }
  if (m.signIns) {
    const l = m.signIns;
    lines.push(
      `(5) sign-ins: ${l.name}, autocannon ${LOAD.connections} connections, ${LOAD.seconds} s: ${fixed(l.requestsPerSecond)} req/s, ` +
        `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, ${fixed(l.failures)} failed, server CPU/req ${l.cpuMsPerRequest.toFixed(2)} ms ` +
        '(argon2id verification is most of it)',
      '',
    );
  }
  if (m.cold) {
    const { first, second } = m.cold;
    lines.push(
      `(2) cold project: first request after it is active (instance built), ${first.length} projects: ` +
        `p50 ${ms(percentile(first, 50))} (min ${ms(Math.min(...first))}, max ${ms(Math.max(...first))}) — ` +
        `aim p50 < ${ms(AIM.coldP50Ms)}: ${met(percentile(first, 50) < AIM.coldP50Ms)}; second request p50 ${ms(percentile(second, 50))}`,
      '',
    );
  }
  if (m.heap) {
    lines.push(
      `(3) cached instances, one organization database (each project has one table); CANOPY_API_CACHE_MB=${CACHE_MB} ` +
        `(the server estimates 3.1 MiB + 160 KiB per relation of the project's schema)`,
      ...table(
        ['projects in the database', 'built', 'heap/instance', 'RSS/instance', 'first req p50', 'p95', 'second p50'],
        m.heap.map((step) => [
          String(step.projects),
          String(step.instances),
          mib(step.heap),
          mib(step.rss),
          ms(percentile(step.first, 50)),
          ms(percentile(step.first, 95)),
          ms(percentile(step.second, 50)),
        ]),
        [24, 5, 13, 12, 13, 7, 10],
      ),
      '    heap/instance: heapUsed after forced GC, after minus before building them, over their number.',
      ...m.heap.map((step) => `    introspected per build with ${step.projects} projects in the database: ${step.catalog}`),
      '',
    );
  }
  if (m.live) {
    lines.push(
      `(4) live table: insert → subscriber's todoChanged; ${LIVE.events} inserts, one per ${LIVE.intervalMs} ms; ` +
        `each subscriber its own WebSocket and user; drain limit ${ms(LIVE.drainMs)}`,
      ...table(
        ['subscribers', 'payload', 'delivered', 'p50', 'p99', 'max', 'drain', 'connect', 'errors', 'aim'],
        m.live.map((r) => {
          const got = r.latencies.length;
          const p99 = got ? percentile(r.latencies, 99) : Infinity;
          const complete = got === r.expected;
          return [
            fixed(r.subscribers),
            r.payload === 'shared' ? 'shared' : 'each own',
            `${fixed(got)}/${fixed(r.expected)}`,
            got ? ms(percentile(r.latencies, 50)) : '-',
            got ? ms(p99) : '-',
            got ? ms(Math.max(...r.latencies)) : '-',
            ms(r.drainMs),
            ms(r.connectMs),
            String(r.errors.length),
            r.subscribers === 1000 && r.payload === 'shared' ? `p99 < ${ms(AIM.liveP99Ms)}: ${met(complete && p99 < AIM.liveP99Ms)}` : '',
          ];
        }),
        [11, 8, 13, 8, 8, 8, 8, 8, 6, 22],
      ),
      `    insert round trip p50 ${ms(percentile(m.live.flatMap((r) => r.insertMs), 50))}; ` +
        'latency runs from sending the insert; drain is from the last insert to the last event.',
      '    shared: the query reads only the row\'s columns, so one payload is executed for all who may see the row; ' +
        'each own: it reads `mine` (a computed column that depends on canopy.uid()), so one per subscriber.',
      ...m.live.flatMap((r) =>
        r.errors.length ? [`    ${r.subscribers} subscribers (${r.payload}), first error: ${r.errors[0]}`] : [],
      ),
      '',
    );
  }
  lines.push(
    'Reproduce: PATH=$PWD/node_modules/.bin:$PATH tsx bench/project-api.ts   (Node 24; data under CANOPY_DATA_DIR, ' +
      'default .canopy/bench-api, wiped first; no node flags needed)',
  );
  return lines.join('\n');
}

/* ------------------------------------------------------------------ the run */

async function run(platform: BenchPlatform): Promise<string> {
  const api = await bench.signUp(platform.url);
  const ctx: Context = { platform, api };
  const measured: Measured = {};
  const step = (what: string) => console.log(`  ${what} …`);

  // BENCH_SECTIONS=1,5 runs some sections only (1 and 5 share the first project, 4 uses it too).
  const sections = new Set((process.env.BENCH_SECTIONS ?? '1,5,2,3,4').split(','));
  step('(1) a project with 2,000 todos' + (sections.has('1') ? ', and the three servers under load' : ''));
  const home = await bench.enterpriseOrganization(platform, api);
  const [project] = await createProjects(ctx, home.id, 1);
  const user = randomUUID();
  await createTodos(project, user);
  if (sections.has('1')) measured.loads = await throughput(ctx, project, user);

  if (sections.has('5')) {
    step('(5) password sign-ins');
    measured.signIns = await signIns(project);
  }
  if (sections.has('2')) {
    step(`(2) ${COLD_PROJECTS} cold projects`);
    const cold = await createProjects(ctx, home.id, COLD_PROJECTS);
    for (const each of cold) await createTodos(each);
    await sleep(300); // the DDL's schema-change announcements arrive before the first requests
    measured.cold = await timedFirstRequests(cold);
  }
  if (sections.has('3')) {
    step(`(3) heap with ${HEAP_PROJECTS.join(' and ')} projects in one organization database`);
    measured.heap = await heapPerInstance(ctx);
  }
  if (sections.has('4')) {
    step(`(4) live subscribers: ${LIVE_RUNS.map((run) => `${run.subscribers} (${run.payload} payload)`).join(', ')}`);
    measured.live = await live(project);
  }

  return report(await machine(ctx), measured);
}

async function main(): Promise<void> {
  bench = await import('./support.ts');
  const dataDir = path.resolve(process.env.CANOPY_DATA_DIR ?? '.canopy/bench-api');
  await bench.freshDataDir(dataDir);
  console.log(`Starting Canopy on durable (fsync on) embedded Postgres and a local S3 server in ${dataDir} …`);
  const { startBenchPlatform } = await import('./platform.ts');
  const platform = await startBenchPlatform(dataDir, { CANOPY_API_CACHE_MB: String(CACHE_MB) });
  try {
    console.log(await bench.within(300_000, 'The benchmark', run(platform)));
  } finally {
    await platform.stop();
  }
}

/* ================================================================== the subscribers' thread */

async function subscribe(
  url: string,
  query: string,
  token: string,
  onInsert: () => void,
  errors: string[],
  heard: () => void,
): Promise<Client> {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const connected = new Promise<void>((resolve, reject) => {
    client.on('connected', () => resolve());
    client.on('closed', (event) => reject(new Error(`closed: ${(event as { code?: number }).code}`)));
    client.on('error', (error) => reject(error instanceof Error ? error : new Error(String(error))));
  });
  client.subscribe<{ todoChanged: { op: string } }>(
    { query },
    {
      next: ({ data, errors: failed }) => {
        if (failed?.length) errors.push(JSON.stringify(failed));
        else if (data?.todoChanged.op === 'INSERT') onInsert();
        else heard();
      },
      error: (error) => errors.push(error instanceof Error ? error.message : JSON.stringify(error)),
      complete: () => {},
    },
  );
  await Promise.race([connected, sleep(30_000).then(() => Promise.reject(new Error('No connection_ack in 30 s')))]);
  return client;
}

/**
 * Subscribes `job.subscribers` clients, each its own end user (the inserted rows belong to the first, and a policy
 * lets everyone read them: `mine` is true for the first only). Until every one has heard a probe (an UPDATE of a row inserted before anyone
 * subscribed) their subscriptions may not be listening yet; measured events are INSERTs, told apart by `op`.
 */
async function listenAsSubscribers(job: LiveJob): Promise<LiveResult> {
  const url = `${job.apiUrl.replace(/^http/, 'ws')}/graphql/v1?apikey=${job.anonKey}`;
  const users = Array.from({ length: job.subscribers }, () => randomUUID());
  const table = `p_${job.ref}.todos`;
  const db = new pg.Client({ connectionString: job.databaseUrl, query_timeout: 30_000 });
  await db.connect();
  const clients: Client[] = [];
  const errors: string[] = [];
  try {
    const { rows } = await db.query(`insert into ${table} (owner_id, title) values ($1, 'probe') returning id`, [users[0]]);
    const probeId: number = rows[0].id;

    const inserts: number[][] = users.map(() => []);
    const probesHeard = users.map(() => 0);
    const connectStarted = performance.now();
    for (let first = 0; first < users.length; first += LIVE.connectBatch) {
      const batch = users.slice(first, first + LIVE.connectBatch);
      const connected = await Promise.all(
        batch.map(async (user, j) => {
          const i = first + j;
          const token = await userToken(job.ref, job.jwtSecret, user);
          return subscribe(url, CHANGED[job.payload], token, () => inserts[i].push(performance.now()), errors, () => probesHeard[i]++);
        }),
      );
      clients.push(...connected);
    }
    const connectMs = performance.now() - connectStarted;

    // Probes until every subscriber has heard one, then until their fan-out is over (no event for 300 ms).
    let probes = 0;
    const probeDeadline = performance.now() + 60_000;
    while (probesHeard.some((count) => count === 0)) {
      if (performance.now() > probeDeadline) {
        throw new Error(`Only ${probesHeard.filter(Boolean).length} of ${users.length} subscribers heard a probe in 60 s`);
      }
      await db.query(`update ${table} set title = $1 where id = $2`, [`probe ${++probes}`, probeId]);
      await until(() => probesHeard.every(Boolean), 1000);
    }
    const heardTotal = () => probesHeard.reduce((sum, count) => sum + count, 0);
    for (let last = -1; last !== heardTotal(); ) {
      last = heardTotal();
      await sleep(300);
    }

    const sent: number[] = [];
    const insertMs: number[] = [];
    const started = performance.now();
    for (let k = 0; k < LIVE.events; k++) {
      await sleep(Math.max(0, started + k * LIVE.intervalMs - performance.now()));
      sent.push(performance.now());
      await db.query(`insert into ${table} (owner_id, title) values ($1, $2)`, [users[0], `event ${k}`]);
      insertMs.push(performance.now() - sent[k]);
    }
    const lastSent = performance.now();
    await until(() => inserts.every((times) => times.length >= LIVE.events), LIVE.drainMs);
    const lastEvent = Math.max(lastSent, ...inserts.map((times) => times.at(-1) ?? 0));
    const latencies = inserts.flatMap((times) => times.slice(0, LIVE.events).map((at, k) => at - sent[k]));
    return {
      subscribers: job.subscribers,
      payload: job.payload,
      connectMs,
      probes,
      latencies,
      expected: users.length * LIVE.events,
      insertMs,
      drainMs: lastEvent - lastSent,
      errors,
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await db.end();
  }
}

/* ================================================================== entry */

if (isMainThread) {
  await (await import('./support.ts')).runBenchmark(main);
} else {
  listenAsSubscribers(workerData as LiveJob).then(
    (result) => parentPort!.postMessage({ result }),
    (error: Error) => parentPort!.postMessage({ error: error.stack ?? String(error) }),
  );
}
