/**
 * `npm run bench`: how long a project takes to become usable, through the real API, against what the same work
 * costs done bare.
 *
 * A whole Canopy runs in this process on throwaway services (durable Postgres: fsync on, as in production). A user
 * creates projects with the createProject mutation; each is timed from the mutation's response to the moment the
 * API reports it `active`. The baseline, measured in the same run on the same Postgres and S3 server, runs the
 * statements provisioning needs over a plain superuser connection, and creates the bucket: the floor Canopy's
 * worker, queue and bookkeeping add to.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as Minio from 'minio';
import pg from 'pg';
import { createS3Client, projectBucket } from '../server/src/storage/s3.ts';
import { organizationNames, projectNames } from '../worker/src/tenants/names.ts';
import { projectPlaceholders } from '../worker/src/tenants/projects.ts';
import { scramVerifier } from '../worker/src/tenants/scram.ts';
import { fillPlaceholders } from '../worker/src/tenants/tenant-sql.ts';
import { type BenchPlatform, startBenchPlatform } from './platform.ts';
import {
  Api,
  freshDataDir,
  mean,
  kib,
  mib,
  ms,
  percentile,
  sleep,
  within,
  runBenchmark,
} from './support.ts';

const POLL_MS = 5;
/** How long one project may take to become active before the run fails. */
const ACTIVE_TIMEOUT_MS = 30_000;
const AIM_EXISTING_ORG_P95_MS = 300;
const AIM_NEW_ORG_P95_MS = 1500;

const CREATE_ORGANIZATION = `mutation ($name: String!, $slug: String!) {
  createOrganization(input: { name: $name, slug: $slug }) { result { id ref } }
}`;
const CREATE_PROJECT = `mutation ($organizationId: UUID!, $name: String!) {
  createProject(input: { organizationId: $organizationId, name: $name }) { result { id } }
}`;

interface Organization {
  id: string;
  ref: string;
}

interface Timing {
  projectId: string;
  /** The createProject mutation's round trip. */
  mutationMs: number;
  /** From the mutation's response to the first poll that saw the project active. */
  activeMs: number;
}

interface Context {
  platform: BenchPlatform;
  api: Api;
  watcher: ActiveWatcher;
  /** Superuser on the maintenance database: catalog reads and the baseline's CREATE DATABASE. */
  root: pg.Client;
}

/* ------------------------------------------------------------------ observing the API */

/**
 * Tells when projects become active by polling `project(id) { status }` every POLL_MS. Each tick asks about every
 * awaited project in one request (as aliases), so the observer's own load — on the cores the server and worker
 * share with it — does not grow with concurrency.
 */
class ActiveWatcher {
  /** The round trip of every poll, to state how much detection lag the figures include. */
  readonly pollMs: number[] = [];
  private readonly pending = new Map<string, { deadline: number; resolve(at: number): void; reject(error: Error): void }>();
  private running = false;

  constructor(private readonly api: Api) {}

  /** Resolves with the time (performance.now()) at which the poll that first saw the project active answered. */
  active(projectId: string): Promise<number> {
    const seen = new Promise<number>((resolve, reject) => {
      this.pending.set(projectId, { deadline: performance.now() + ACTIVE_TIMEOUT_MS, resolve, reject });
    });
    if (!this.running) {
      this.running = true;
      void this.run();
    }
    return seen;
  }

  private async run(): Promise<void> {
    while (this.pending.size > 0) {
      await this.poll().catch((error: Error) => {
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
      await sleep(POLL_MS);
    }
    this.running = false;
  }

  private async poll(): Promise<void> {
    const ids = [...this.pending.keys()];
    // The control API refuses documents with more than 30 aliases; the benchmarks await at most 10 at once.
    if (ids.length > 30) throw new Error('At most 30 projects can be awaited at once');
    const query = `query (${ids.map((_, i) => `$p${i}: UUID!`).join(', ')}) {
      ${ids.map((_, i) => `p${i}: project(id: $p${i}) { status statusReason }`).join('\n')}
    }`;
    const asked = performance.now();
    const data = await this.api.data(query, Object.fromEntries(ids.map((id, i) => [`p${i}`, id])));
    const answered = performance.now();
    this.pollMs.push(answered - asked);
    ids.forEach((id, i) => {
      const waiter = this.pending.get(id)!;
      const { status, statusReason } = data[`p${i}`];
      if (status === 'active') waiter.resolve(answered);
      else if (status !== 'provisioning') waiter.reject(new Error(`Project ${id} is ${status}: ${statusReason}`));
      else if (answered > waiter.deadline) waiter.reject(new Error(`Project ${id} not active in ${ACTIVE_TIMEOUT_MS} ms`));
      else return;
      this.pending.delete(id);
    });
  }
}

async function timeProject(ctx: Context, organizationId: string): Promise<Timing> {
  const sent = performance.now();
  const { createProject } = await ctx.api.data(CREATE_PROJECT, { organizationId, name: 'Bench' });
  const created = performance.now();
  const activeAt = await ctx.watcher.active(createProject.result.id);
  return { projectId: createProject.result.id, mutationMs: created - sent, activeMs: activeAt - created };
}

/** An organization through the API, on the enterprise plan (free allows 2 projects). */
async function newOrganization(ctx: Context): Promise<Organization> {
  const slug = `bench-${randomBytes(4).toString('hex')}`;
  const { createOrganization } = await ctx.api.data(CREATE_ORGANIZATION, { name: `Bench ${slug}`, slug });
  const organization: Organization = createOrganization.result;
  await ctx.platform.owner.query(`update app_public.organizations set plan_id = 'enterprise' where id = $1`, [
    organization.id,
  ]);
  return organization;
}

async function signUp(url: string): Promise<Api> {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const { register } = await new Api(url).data(
    `mutation ($input: RegisterInput!) { register(input: $input) { token } }`,
    { input: { email, password: 'correct horse battery staple' } },
  );
  return new Api(url, register.token);
}

/* ------------------------------------------------------------------ scenarios */

async function oneAtATime(ctx: Context, organizationId: string, count: number): Promise<Timing[]> {
  const timings: Timing[] = [];
  for (let i = 0; i < count; i++) timings.push(await timeProject(ctx, organizationId));
  return timings;
}

/** `total` projects in batches of `batchSize` created at once, spread round-robin over `organizationIds`. */
async function inBatches(ctx: Context, organizationIds: string[], total: number, batchSize: number) {
  const started = performance.now();
  const timings: Timing[] = [];
  for (let first = 0; first < total; first += batchSize) {
    const batch = Array.from({ length: batchSize }, (_, i) => organizationIds[(first + i) % organizationIds.length]);
    timings.push(...(await Promise.all(batch.map((organizationId) => timeProject(ctx, organizationId)))));
  }
  return { timings, wallMs: performance.now() - started };
}

/** The first project of each of `count` new organizations, one organization at a time. */
async function firstProjects(ctx: Context, count: number) {
  const organizations: Organization[] = [];
  const timings: Timing[] = [];
  for (let i = 0; i < count; i++) {
    const organization = await newOrganization(ctx);
    timings.push(await timeProject(ctx, organization.id));
    organizations.push(organization);
  }
  return { organizations, timings };
}

async function databaseSize(ctx: Context, database: string): Promise<number> {
  const { rows } = await ctx.root.query('select pg_database_size($1)::bigint as bytes', [database]);
  return Number(rows[0].bytes);
}

/**
 * Where the time goes, from the server's own timestamps: the project row's insert, each step's recorded time, and
 * the status change to active. The first step includes the worker picking the job up.
 */
async function stepMedians(ctx: Context, timings: Timing[]): Promise<string> {
  type Row = { created_at: Date; updated_at: Date; steps: Array<{ step: string; at: string }> };
  const { rows } = await ctx.platform.owner.query<Row>(
    'select created_at, updated_at, steps from app_public.projects where id = any($1)',
    [timings.map((timing) => timing.projectId)],
  );
  const names = [...rows[0].steps.map((step) => step.step), 'active'];
  const durations = names.map(() => [] as number[]);
  for (const row of rows) {
    const times = [row.created_at.getTime(), ...row.steps.map((step) => Date.parse(step.at)), row.updated_at.getTime()];
    names.forEach((_, i) => durations[i].push(times[i + 1] - times[i]));
  }
  // Date keeps milliseconds only: whole milliseconds, without a decimal that would pretend otherwise.
  return names.map((name, i) => `${name} ${Math.round(percentile(durations[i], 50))} ms`).join(' · ');
}

/* ------------------------------------------------------------------ baseline: the same work, bare */

interface Bare {
  s3: Minio.Client;
  region: string;
  rootUrl: string;
  schemasSql: string;
  /** Every bare project's API roles are granted to it, as Canopy grants them to the organization's authenticator. */
  authenticator: string;
}

function randomRef(): string {
  return Array.from(randomBytes(20), (byte) => String.fromCharCode(97 + (byte % 26))).join('');
}

function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, query_timeout: 30_000 });
  return client.connect().then(() => client);
}

function databaseUrl(bare: Bare, database: string): string {
  return Object.assign(new URL(bare.rootUrl), { pathname: `/${database}` }).toString();
}

/** db/tenant/project/0001-schemas.sql with its placeholders filled, as the worker fills them. */
function schemasSql(bare: Bare, client: pg.Client, ref: string): string {
  return fillPlaceholders(bare.schemasSql, projectPlaceholders(ref), client);
}

/** A project's roles, grants and schemas in one round trip (one implicit transaction), then its bucket. */
async function bareProject(bare: Bare, client: pg.Client, database: string): Promise<void> {
  const ref = randomRef();
  const names = projectNames(ref);
  const id = (name: string) => client.escapeIdentifier(name);
  const password = client.escapeLiteral(await scramVerifier(randomBytes(32).toString('base64url')));
  await client.query(`
    create role ${id(names.anon)} nologin noinherit;
    create role ${id(names.authenticated)} nologin noinherit;
    create role ${id(names.service)} nologin noinherit bypassrls;
    create role ${id(names.owner)} login noinherit connection limit 20 password ${password};
    grant ${id(names.anon)}, ${id(names.authenticated)}, ${id(names.service)} to ${id(bare.authenticator)};
    grant connect on database ${id(database)} to ${id(names.owner)};
    ${schemasSql(bare, client, ref)}
  `);
  await within(10_000, 'Creating a bucket', bare.s3.makeBucket(projectBucket(ref), bare.region));
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/**
 * The baseline. Bare projects go over one connection to one database. A bare new organization is CREATE DATABASE
 * (on the maintenance connection), then a connection to the new database (a database's schemas can only be made
 * from inside it) for its first project.
 */
async function baseline(ctx: Context, projects: number, organizations: number) {
  const { services } = ctx.platform;
  const bare: Bare = {
    s3: createS3Client(services.s3),
    region: services.s3.region,
    rootUrl: services.database.rootUrl,
    schemasSql: await fs.readFile(new URL('../db/tenant/project/0001-schemas.sql', import.meta.url), 'utf8'),
    authenticator: 'bare_authenticator',
  };
  await ctx.root.query(`create role ${bare.authenticator} nologin noinherit`);
  await ctx.root.query('create database bare_0');
  const emptyDatabaseBytes = await databaseSize(ctx, 'bare_0');

  const client = await connect(databaseUrl(bare, 'bare_0'));
  const projectMs: number[] = [];
  try {
    for (let i = 0; i < projects; i++) projectMs.push(await timed(() => bareProject(bare, client, 'bare_0')));
  } finally {
    await client.end();
  }

  const organizationMs: number[] = [];
  for (let i = 1; i <= organizations; i++) {
    let fresh: pg.Client | undefined;
    organizationMs.push(
      await timed(async () => {
        await ctx.root.query(`create database bare_${i}`);
        fresh = await connect(databaseUrl(bare, `bare_${i}`));
        await bareProject(bare, fresh, `bare_${i}`);
      }),
    );
    await fresh?.end();
  }
  return { projectMs, organizationMs, emptyDatabaseBytes };
}

/* ------------------------------------------------------------------ report */

const activeMs = (timings: Timing[]) => timings.map((timing) => timing.activeMs);

function row(label: string, samples: number[], note = ''): string {
  const cells = [ms(percentile(samples, 50)), ms(percentile(samples, 95)), ms(Math.max(...samples))];
  return `${label.padEnd(46)}${String(samples.length).padStart(4)}  ${cells.map((cell) => cell.padStart(9)).join('')}   ${note}`;
}

function aim(samples: number[], limitMs: number): string {
  return `aim p95 < ${ms(limitMs)}: ${percentile(samples, 95) < limitMs ? 'met' : 'MISSED'}`;
}

function ratio(canopy: number[], bare: number[]): string {
  const times = (p: number) => `${(percentile(canopy, p) / percentile(bare, p)).toFixed(1)}×`;
  return `p50 ${times(50)}, p95 ${times(95)}`;
}

function throughput(total: number, wallMs: number): string {
  return `wall ${ms(wallMs)} (${(total / (wallMs / 1000)).toFixed(1)} projects/s)`;
}

async function machine(ctx: Context): Promise<string> {
  const { rows } = await ctx.root.query('show server_version');
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} CPUs (${cpu}), Node ${process.version}, PostgreSQL ${rows[0].server_version}`;
}

/* ------------------------------------------------------------------ the run */

type Measured = Awaited<ReturnType<typeof measureCanopy>>;

async function measureCanopy(ctx: Context) {
  // (1) One organization whose database exists (its first project is the warm-up), then projects one by one.
  const home = await newOrganization(ctx);
  await timeProject(ctx, home.id);
  const homeDatabase = organizationNames(home.ref).database;
  const afterFirstBytes = await databaseSize(ctx, homeDatabase);
  const serial = await oneAtATime(ctx, home.id, 10);
  const afterTenMoreBytes = await databaseSize(ctx, homeDatabase);
  serial.push(...(await oneAtATime(ctx, home.id, 40)));
  const afterFiftyMoreBytes = await databaseSize(ctx, homeDatabase);

  // (3) New organizations: each first project creates the organization's database. They then serve (2a).
  const { organizations, timings: firsts } = await firstProjects(ctx, 10);

  // (2) Ten at a time: across ten organizations (one project per org lock), then all in one (they queue on its lock).
  const across = await inBatches(ctx, organizations.map((organization) => organization.id), 50, 10);
  const sameOrg = await inBatches(ctx, [home.id], 50, 10);

  return {
    serial,
    across,
    sameOrg,
    firsts,
    steps: { serial: await stepMedians(ctx, serial), firsts: await stepMedians(ctx, firsts) },
    disk: {
      afterFirstBytes,
      perProjectOverTen: (afterTenMoreBytes - afterFirstBytes) / 10,
      perProjectOverFifty: (afterFiftyMoreBytes - afterFirstBytes) / 50,
    },
  };
}

function report(machine: string, canopy: Measured, bare: Awaited<ReturnType<typeof baseline>>, pollMs: number): string {
  const { serial, across, sameOrg, firsts, steps, disk } = canopy;
  const existing = (timings: Timing[]) => aim(activeMs(timings), AIM_EXISTING_ORG_P95_MS);
  const concurrent = (batches: { timings: Timing[]; wallMs: number }) =>
    `${existing(batches.timings)}; ${throughput(batches.timings.length, batches.wallMs)}`;
  return [
    '',
    `Canopy provisioning benchmark — ${machine}`,
    'Postgres durable (fsync on); server, worker (as npm start runs them) and this client share one Node process.',
    '',
    `${'case'.padEnd(46)}${'n'.padStart(4)}  ${['p50', 'p95', 'max'].map((h) => h.padStart(9)).join('')}`,
    row('(1) project in an existing org, one at a time', activeMs(serial), existing(serial)),
    row('(2a) 10 at a time, across 10 existing orgs', activeMs(across.timings), concurrent(across)),
    row('(2b) 10 at a time, all in one existing org', activeMs(sameOrg.timings), concurrent(sameOrg)),
    row("(3) a new org's first project", activeMs(firsts), aim(activeMs(firsts), AIM_NEW_ORG_P95_MS)),
    row('bare project (SQL in 1 round trip + bucket)', bare.projectMs),
    row('bare new org (CREATE DATABASE + project)', bare.organizationMs),
    row('createProject mutation round trip, in (1)', serial.map((timing) => timing.mutationMs)),
    '',
    `Canopy / bare: project ${ratio(activeMs(serial), bare.projectMs)}; new org ${ratio(activeMs(firsts), bare.organizationMs)}`,
    `Steps, p50 (server timestamps; the first includes job pickup): (1) ${steps.serial}`,
    `${' '.repeat(63)}(3) ${steps.firsts}`,
    `Disk: fresh empty database ${mib(bare.emptyDatabaseBytes)}; org database after its first project ${mib(disk.afterFirstBytes)}; ` +
      `per further project +${kib(disk.perProjectOverTen)} (over 10), +${kib(disk.perProjectOverFifty)} (over 50)`,
    `Times run from the createProject response to the first poll that saw 'active'. Polls ask every ${POLL_MS} ms and take ` +
      `${ms(pollMs)} on average, so each figure includes ~${ms(POLL_MS / 2 + pollMs)} of detection lag.`,
    'p95 of 10 samples is their maximum. Reproduce: npm run bench (data under CANOPY_DATA_DIR, default .canopy/bench, wiped first).',
  ].join('\n');
}

async function run(platform: BenchPlatform): Promise<void> {
  const api = await signUp(platform.url);
  const root = await connect(platform.services.database.rootUrl);
  const ctx: Context = { platform, api, watcher: new ActiveWatcher(api), root };
  try {
    const canopy = await measureCanopy(ctx);
    const bare = await baseline(ctx, 50, 10);
    console.log(report(await machine(ctx), canopy, bare, mean(ctx.watcher.pollMs)));
  } finally {
    await root.end();
  }
}

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.CANOPY_DATA_DIR ?? '.canopy/bench');
  await freshDataDir(dataDir);
  console.log(`Starting Canopy on durable (fsync on) embedded Postgres and a local S3 server in ${dataDir} …`);
  const platform = await startBenchPlatform(dataDir);
  try {
    await within(240_000, 'The benchmark', run(platform));
  } finally {
    await platform.stop();
  }
}

await runBenchmark(main);
