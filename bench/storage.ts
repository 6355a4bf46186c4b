/**
 * `tsx bench/storage.ts`: a project's Storage API (`/p/<ref>/storage/v1`), as storage-js would call it with the
 * service_role key, beside the `minio` client talking to the same S3 server directly, and beside a bare relay
 * (bench/relay.ts: Canopy's byte path and nothing else), in the same run. The aim is Canopy against direct; the relay
 * splits the gap into what any server in between costs on this machine (relay/direct) and what Canopy's keys, rows
 * and policies cost on top (Canopy/relay).
 *
 * Four processes, on loopback, as in production (bench/parts.ts): this one holds only the clients, and loads nothing
 * of Canopy's but what they need (its heap, ~19 MB, is marked by every full GC its downloads' Buffers set off); Canopy
 * (server and worker, with its embedded Postgres, durable) runs in a second; the relay in a third; the local S3 server
 * in a fourth, as MinIO would, and Canopy is pointed at it with CANOPY_S3_*. Measured:
 *
 * 1. Throughput: upload (POST /object/<bucket>/<name>, raw body, content-type, content-length, x-upsert: true) and
 *    download (GET /object/<bucket>/<name>) of 1 MB objects one at a time and 8 at a time, and of a 100 MB object a
 *    few times; through the relay, PUT and GET /<bucket>/<key>; directly, `putObject(bucket, key, buffer, size)` and
 *    `getObject` on the project's S3 bucket. The three ways take turns, each round starting one further along
 *    (1 MB: rounds of 1 or 8 objects; 100 MB: each run), so that other work on the machine falls on all alike; all
 *    read every body to its end; bytes are checked (sha256) on downloads outside the timed ones. 1 MB: the total time
 *    of all; 100 MB: the median of the runs, which one run slowed by another process does not move. MB/s are 10^6
 *    bytes per second of wall time. Beside each, the CPU time each process spent per MB.
 * 2. Memory: the Canopy process's RSS, sampled every ~20 ms in that process, during one 1 GB upload through Canopy
 *    streamed from a generated Readable (never a 1 GB Buffer), against its RSS at idle just before.
 * 3. Image transformations: a photo-sized JPEG made a 400 px wide WebP through Canopy, against sharp doing the same in
 *    this process: what Canopy's row, S3 read and HTTP add to the library's own work.
 *
 * BENCH_STORAGE_HUGE_MB sets the size of (2) (default 1024, or 512 if the 100 MB uploads show 1 GB would take over a
 * minute).
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import type * as Minio from 'minio';
import pg from 'pg';
import type { S3Settings } from '../server/src/config.ts';
import { startFullCollectionsByOldGenerationGrowth } from '../server/src/start/garbage-collection.ts';
import { projectBucket, storageS3Client } from '../server/src/storage/s3.ts';
import { type MemorySamples, PartProcess } from './parts.ts';
import type { Api } from './support.ts';

/* ------------------------------------------------------------------ settings and aims */

const MB = 1_000_000;
const SMALL = { bytes: 1 * MB, count: 400, parallel: 8 };
/** Objects each client uploads and downloads before anything is timed, so that all three processes are warm. */
const WARM_UP = 100;
const LARGE = { bytes: 100 * MB, times: 5 };
const SAMPLE_MS = 20;
const AIM = { ofDirect: 0.8, rssAboveIdleBytes: 100 * 1024 * 1024 };
const BUCKET = 'bench';
/** Prefixes of the direct client's and the relay's keys in the project's S3 bucket (Canopy's are `objects/<id>`). */
const DIRECT = 'bench-direct';
const RELAYED = 'bench-relay';

let bench: typeof import('./support.ts');

/** The three servers, each in its process, and a connection to Canopy's database as its owner. */
interface Deployment {
  url: string;
  owner: pg.Pool;
  s3: S3Settings;
  relayUrl: string;
  canopyProcess: PartProcess;
  relayProcess: PartProcess;
  s3Process: PartProcess;
}

interface Project {
  ref: string;
  apiUrl: string;
  serviceRoleKey: string;
}

/* ------------------------------------------------------------------ the three clients */

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * Objects over HTTP, as storage-js sends a Buffer or stream (raw body, with its length): Canopy's storage API, or the
 * bare relay (bench/relay.ts).
 */
class HttpStorage {
  constructor(
    private readonly url: (name: string) => URL,
    private readonly headers: Record<string, string>,
    private readonly uploadAs: { method: 'POST' | 'PUT'; headers?: Record<string, string> },
  ) {}

  static canopy(project: Project): HttpStorage {
    return new HttpStorage(
      (name) => new URL(`${project.apiUrl}/storage/v1/object/${BUCKET}/${name}`),
      serviceHeaders(project),
      { method: 'POST', headers: { 'x-upsert': 'true' } },
    );
  }

  static relay(url: string, bucket: string): HttpStorage {
    return new HttpStorage((name) => new URL(`${url}/${bucket}/${RELAYED}/${name}`), {}, { method: 'PUT' });
  }

  upload(name: string, body: Buffer | Readable, size: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        this.url(name),
        {
          method: this.uploadAs.method,
          agent,
          headers: {
            ...this.headers,
            ...this.uploadAs.headers,
            'content-type': 'application/octet-stream',
            'content-length': String(size),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            if (response.statusCode === 200) resolve();
            else reject(new Error(`Upload of ${name}: ${response.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`));
          });
        },
      );
      request.on('error', reject);
      if (Buffer.isBuffer(body)) request.end(body);
      else body.on('error', (error) => request.destroy(error)).pipe(request);
    });
  }

  /** Streams the object, hashing it when asked; resolves with its length (and digest). */
  download(name: string, hash = false): Promise<{ bytes: number; sha256?: string }> {
    return new Promise((resolve, reject) => {
      const request = http.get(this.url(name), { agent, headers: this.headers }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`Download of ${name}: ${response.statusCode}`));
          return;
        }
        consume(response, hash).then(resolve, reject);
      });
      request.on('error', reject);
    });
  }
}

const serviceHeaders = (project: Project) => ({ apikey: project.serviceRoleKey, authorization: `Bearer ${project.serviceRoleKey}` });

/** The object's size, as Canopy's storage API has it. */
async function objectSize(project: Project, name: string): Promise<number> {
  const response = await fetch(`${project.apiUrl}/storage/v1/object/info/${BUCKET}/${name}`, {
    headers: serviceHeaders(project),
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`Info of ${name}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { size: number }).size;
}

/**
 * The same S3 server, through the minio client as Canopy's storage configures it (createS3Client with a part size of
 * 5 GiB: the local S3 server has no multipart, so every object is one PUT; minio signs it with the body's sha256).
 */
class DirectStorage {
  constructor(
    readonly s3: Minio.Client,
    readonly bucket: string,
  ) {}

  async upload(name: string, body: Buffer | Readable, size: number): Promise<void> {
    await this.s3.putObject(this.bucket, `${DIRECT}/${name}`, body, size, { 'content-type': 'application/octet-stream' });
  }

  async download(name: string, hash = false): Promise<{ bytes: number; sha256?: string }> {
    return consume(await this.s3.getObject(this.bucket, `${DIRECT}/${name}`), hash);
  }
}

type Storage = HttpStorage | DirectStorage;

/** Canopy's storage API, the bare relay, and the minio client directly. */
const WAYS = ['canopy', 'relay', 'direct'] as const;
type Way = (typeof WAYS)[number];

function consume(stream: Readable, hash: boolean): Promise<{ bytes: number; sha256?: string }> {
  return new Promise((resolve, reject) => {
    const digest = hash ? createHash('sha256') : undefined;
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      digest?.update(chunk);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve({ bytes, sha256: digest?.digest('hex') }));
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** `size` bytes, made as they are read: 64 KiB slices of one random MiB, over and over. */
function generated(size: number): Readable {
  const pattern = randomBytes(1024 * 1024);
  const slice = 64 * 1024;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(slice, size - sent);
      const offset = sent % pattern.length;
      this.push(pattern.subarray(offset, offset + length));
      sent += length;
    },
  });
}

/* ------------------------------------------------------------------ measurements */

/** CPU time (user + system, all threads) of each process, in ms. */
interface Cpu {
  client: number;
  canopy: number;
  relay: number;
  s3: number;
}
const PROCESSES = ['client', 'canopy', 'relay', 's3'] as const;

interface Rate {
  bytes: number;
  ms: number;
  /** Each process's CPU time over the same work. */
  cpu: Cpu;
}

const mbPerSecond = (rate: Rate) => rate.bytes / MB / (rate.ms / 1000);

let deployment: Deployment;

async function cpuNow(): Promise<Cpu> {
  const { user, system } = process.cpuUsage();
  const [canopy, relay, s3] = await Promise.all(
    [deployment.canopyProcess, deployment.relayProcess, deployment.s3Process].map((part) => part.cpuMs()),
  );
  return { client: (user + system) / 1000, canopy, relay, s3 };
}

const cpuOf = (each: (process: keyof Cpu) => number) =>
  Object.fromEntries(PROCESSES.map((process) => [process, each(process)])) as unknown as Cpu;
const cpuSum = (a: Cpu, b: Cpu) => cpuOf((p) => a[p] + b[p]);
const cpuBetween = (before: Cpu, after: Cpu) => cpuOf((p) => after[p] - before[p]);
const cpuScaled = (a: Cpu, by: number) => cpuOf((p) => a[p] * by);
const NO_CPU = cpuOf(() => 0);

/**
 * This process's full garbage collections, started between timed rounds: every MB its clients receive is a MB of new
 * Buffers, dead at once, and a collection V8 starts by itself (past 64 MB of them) falls on whichever way is being
 * timed. The servers' collections are part of what is measured; the clients' are not. (`gc` is exposed at run time,
 * so that the benchmark needs no node flags.)
 */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
const COLLECT_EVERY_BYTES = 32 * MB;
let movedSinceCollection = 0;

/** Wall time of `work`, which moves `bytes`, and the CPU time each process spent meanwhile (asked outside the timed
 * part). */
async function measured(bytes: number, work: () => Promise<unknown>): Promise<{ ms: number; cpu: Cpu }> {
  if (movedSinceCollection >= COLLECT_EVERY_BYTES) {
    collectGarbage();
    movedSinceCollection = 0;
  }
  movedSinceCollection += bytes;
  const before = await cpuNow();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  return { ms, cpu: cpuBetween(before, await cpuNow()) };
}

interface Case {
  name: string;
  rates: Record<Way, { up: Rate; down: Rate }>;
}

/** The ways in turn, each round starting one further along, so that whatever else the machine does falls on all. */
const inTurn = (storages: Record<Way, Storage>, round: number) =>
  WAYS.map((_, i) => WAYS[(i + round) % WAYS.length]).map((way) => [way, storages[way]] as const);

/**
 * `count` objects of `data` uploaded, then downloaded, each way, `parallel` at a time: in rounds of `parallel`
 * objects, each round by every way in turn. Rates are of the total times.
 */
async function smallObjects(storages: Record<Way, Storage>, data: Buffer, parallel: number, label: string): Promise<Case> {
  const prefix = `small-${parallel}`;
  const total = Object.fromEntries(
    WAYS.map((way) => [way, { up: { ms: 0, cpu: NO_CPU }, down: { ms: 0, cpu: NO_CPU } }]),
  ) as Record<Way, Record<'up' | 'down', { ms: number; cpu: Cpu }>>;
  const rounds = Math.ceil(SMALL.count / parallel);
  const names = (round: number) =>
    Array.from({ length: Math.min(parallel, SMALL.count - round * parallel) }, (_, i) => `${prefix}/${round * parallel + i}`);
  for (const direction of ['up', 'down'] as const) {
    for (let round = 0; round < rounds; round++) {
      for (const [way, storage] of inTurn(storages, round)) {
        const batch = names(round);
        const { ms, cpu } = await measured(batch.length * data.length, () =>
          Promise.all(
            batch.map(async (name) => {
              if (direction === 'up') return storage.upload(name, data, data.length);
              const got = await storage.download(name);
              if (got.bytes !== data.length) throw new Error(`${way} ${name}: came back as ${got.bytes} bytes`);
            }),
          ),
        );
        total[way][direction].ms += ms;
        total[way][direction].cpu = cpuSum(total[way][direction].cpu, cpu);
      }
    }
  }
  const expected = sha256(data);
  for (const way of WAYS) await check(way, storages[way], `${prefix}/0`, expected);
  const rate = ({ ms, cpu }: { ms: number; cpu: Cpu }): Rate => ({ bytes: SMALL.count * data.length, ms, cpu });
  const rates = Object.fromEntries(WAYS.map((way) => [way, { up: rate(total[way].up), down: rate(total[way].down) }]));
  return { name: label, rates: rates as Case['rates'] };
}

/** Downloads `name` again, untimed, and checks its bytes. */
async function check(way: string, storage: Storage, name: string, expected: string): Promise<void> {
  const got = await storage.download(name, true);
  if (got.sha256 !== expected) throw new Error(`${way} ${name}: came back as ${got.bytes} bytes, sha256 ${got.sha256}`);
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/**
 * The large object `times` times each way, the ways in turn, each to its own name, after one untimed round trip each
 * (a warm-up, whose download is checked byte for byte). Rates are the medians of the runs.
 */
async function largeObject(storages: Record<Way, Storage>, data: Buffer): Promise<Case & { runsMs: Record<Way, { up: number[]; down: number[] }> }> {
  const expected = sha256(data);
  const runs = Object.fromEntries(
    WAYS.map((way) => [way, { up: [] as number[], down: [] as number[], upCpu: NO_CPU, downCpu: NO_CPU }]),
  ) as Record<Way, { up: number[]; down: number[]; upCpu: Cpu; downCpu: Cpu }>;
  for (const way of WAYS) {
    await storages[way].upload('large/check', data, data.length);
    await check(way, storages[way], 'large/check', expected);
  }
  for (let k = 0; k < LARGE.times; k++) {
    for (const [way, storage] of inTurn(storages, k)) {
      const name = `large/${k}`;
      const up = await measured(data.length, () => storage.upload(name, data, data.length));
      runs[way].up.push(up.ms);
      runs[way].upCpu = cpuSum(runs[way].upCpu, up.cpu);
      const down = await measured(data.length, async () => {
        const got = await storage.download(name);
        if (got.bytes !== data.length) throw new Error(`${way} ${name}: came back as ${got.bytes} bytes`);
      });
      runs[way].down.push(down.ms);
      runs[way].downCpu = cpuSum(runs[way].downCpu, down.cpu);
    }
  }
  // The median run's time; CPU, the mean run's.
  const rate = (ms: number[], cpu: Cpu): Rate => ({ bytes: data.length, ms: median(ms), cpu: cpuScaled(cpu, 1 / LARGE.times) });
  const rates = Object.fromEntries(
    WAYS.map((way) => [way, { up: rate(runs[way].up, runs[way].upCpu), down: rate(runs[way].down, runs[way].downCpu) }]),
  );
  return { name: `${LARGE.bytes / MB} MB × ${LARGE.times}, median`, rates: rates as Case['rates'], runsMs: runs };
}

interface Memory extends MemorySamples {
  bytes: number;
  ms: number;
}

/** The Canopy process's memory during `upload`, against its RSS at idle just before (after a full GC and a pause). */
async function memoryDuring(bytes: number, upload: (body: Readable) => Promise<void>): Promise<Memory> {
  await deployment.canopyProcess.sample(SAMPLE_MS);
  const start = performance.now();
  let samples: MemorySamples;
  try {
    await upload(generated(bytes));
  } finally {
    samples = await deployment.canopyProcess.stopSampling();
  }
  return { bytes, ms: performance.now() - start, ...samples };
}

/* ------------------------------------------------------------------ image transformations */

const PHOTO = { width: 1600, height: 1200, toWidth: 400, times: 40, warmUp: 5 };

interface Transformations {
  sourceBytes: number;
  canopyMs: number[];
  /** The same transformation again: Canopy sends what it made lately. */
  keptMs: number[];
  sharpMs: number[];
}

/** Canopy's transformation of `name` to `width` px wide WebP, read to its end. */
function transformedByCanopy(project: Project, name: string, width: number): Promise<unknown> {
  const url = new URL(`${project.apiUrl}/storage/v1/render/image/authenticated/${BUCKET}/${name}?width=${width}`);
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers: { ...serviceHeaders(project), accept: 'image/webp' } }, (response) => {
      if (response.statusCode !== 200 || response.headers['content-type'] !== 'image/webp') {
        response.resume();
        reject(new Error(`Transformation of ${name}: ${response.statusCode} ${response.headers['content-type']}`));
        return;
      }
      consume(response, false).then(resolve, reject);
    });
    request.on('error', reject);
  });
}

/**
 * (3) A photo-sized JPEG (noise, so that it compresses as a photo does) made a WebP about PHOTO.toWidth px wide, one
 * at a time, PHOTO.times each way: through Canopy (its row read, its bytes from S3, the transformation), and by sharp
 * in this process on the same bytes, set up as Canopy sets it up (no cache, one thread per image). The two alternate;
 * each run is one pixel narrower than the last, so that Canopy makes every one (it keeps what it made lately). Then
 * the last one again through Canopy, PHOTO.times times: sent as kept.
 */
async function imageTransformations(project: Project, canopy: HttpStorage): Promise<Transformations> {
  const sharp = (await import('sharp')).default;
  sharp.cache(false);
  sharp.concurrency(1);
  const noise = { type: 'gaussian', mean: 128, sigma: 40 } as const;
  const source = await sharp({ create: { width: PHOTO.width, height: PHOTO.height, channels: 3, background: 'gray', noise } })
    .jpeg({ quality: 85 })
    .toBuffer();
  await canopy.upload('photo.jpg', source, source.length);
  const ways = {
    canopy: (width: number) => transformedByCanopy(project, 'photo.jpg', width),
    sharp: (width: number) => sharp(source, { autoOrient: true }).resize({ width }).webp({ quality: 80 }).toBuffer(),
  };
  const times = { canopy: [] as number[], kept: [] as number[], sharp: [] as number[] };
  const timed = async (into: number[], work: () => Promise<unknown>) => {
    const start = performance.now();
    await work();
    into.push(performance.now() - start);
  };
  const runs = PHOTO.warmUp + PHOTO.times;
  for (let run = 0; run < runs; run++) {
    for (const way of run % 2 === 0 ? (['canopy', 'sharp'] as const) : (['sharp', 'canopy'] as const)) {
      await timed(run >= PHOTO.warmUp ? times[way] : [], () => ways[way](PHOTO.toWidth - run));
    }
  }
  for (let run = 0; run < PHOTO.times; run++) await timed(times.kept, () => ways.canopy(PHOTO.toWidth - runs + 1));
  return { sourceBytes: source.length, canopyMs: times.canopy, keptMs: times.kept, sharpMs: times.sharp };
}

/* ------------------------------------------------------------------ the project */

async function createProject(api: Api): Promise<Project> {
  const organization = await bench.enterpriseOrganization(deployment, api);
  const { createProject } = await api.data(
    `mutation ($id: UUID!) { createProject(input: { organizationId: $id, name: "Bench" }) { result { id } } }`,
    { id: organization.id },
  );
  const id = createProject.result.id as string;
  const deadline = performance.now() + 60_000;
  for (;;) {
    const { rows } = await deployment.owner.query<{ status: string; status_reason: string | null }>(
      'select status, status_reason from app_public.projects where id = $1',
      [id],
    );
    if (rows[0]?.status === 'active') break;
    if (rows[0] && rows[0].status !== 'provisioning') throw new Error(`The project is ${rows[0].status}: ${rows[0].status_reason}`);
    if (performance.now() > deadline) throw new Error('The project was not active within 60 s');
    await bench.sleep(20);
  }
  const { project, projectCredentials } = await api.data(
    `query ($id: UUID!) { project(id: $id) { ref } projectCredentials(projectId: $id) { apiUrl serviceRoleKey } }`,
    { id },
  );
  return { ref: project.ref, ...projectCredentials };
}

async function createBucket(project: Project): Promise<void> {
  const response = await fetch(`${project.apiUrl}/storage/v1/bucket`, {
    method: 'POST',
    headers: {
      apikey: project.serviceRoleKey,
      authorization: `Bearer ${project.serviceRoleKey}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ name: BUCKET, public: false }),
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`Creating the bucket: ${response.status} ${await response.text()}`);
}

/* ------------------------------------------------------------------ the report */

function table(header: string[], rows: string[][], widths: number[]): string[] {
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
const rate = (r: Rate) => `${mbPerSecond(r).toFixed(0)} MB/s`;
const cpuPerMb = (r: Rate, of: Array<keyof Cpu>) => of.map((which) => (r.cpu[which] / (r.bytes / MB)).toFixed(1)).join(' + ');

interface Measured {
  machine: string;
  cases: Case[];
  largeRunsMs: Record<Way, { up: number[]; down: number[] }>;
  memory: Memory & { reason?: string };
  transformations: Transformations;
  runMs: number;
}

function report(m: Measured): string {
  const { mib } = bench;
  const lines = [
    '',
    `Canopy storage benchmark — ${m.machine}`,
    'Four processes on loopback: the clients; Canopy (server and worker; its embedded Postgres apart); the bare relay',
    '(bench/relay.ts); the local S3 server (@20minutes/s3rver, files on disk), as MinIO would run beside Canopy.',
    '',
    `(1) throughput, MB = 10^6 bytes, wall time. Canopy: POST/GET /p/<ref>/storage/v1/object with the service_role key; ` +
      'relay: PUT/GET on a server that only relays, along Canopy\'s byte path (no key, row or policy); ' +
      'direct: minio putObject(Buffer, size) / getObject on the same S3 server (one signed PUT, sha256 of the body)',
  ];
  const rows: string[][] = [];
  let allMet = true;
  for (const { name, rates } of m.cases) {
    for (const direction of ['up', 'down'] as const) {
      const speed = (way: Way) => mbPerSecond(rates[way][direction]);
      const ratio = speed('canopy') / speed('direct');
      allMet &&= ratio >= AIM.ofDirect;
      rows.push([
        `${name}, ${direction === 'up' ? 'upload' : 'download'}`,
        ...WAYS.map((way) => rate(rates[way][direction])),
        `${ratio.toFixed(2)}×`,
        `≥ ${AIM.ofDirect}×: ${met(ratio >= AIM.ofDirect)}`,
        `${(speed('relay') / speed('direct')).toFixed(2)}×`,
        `${(speed('canopy') / speed('relay')).toFixed(2)}×`,
        cpuPerMb(rates.canopy[direction], ['client', 'canopy', 's3']),
        cpuPerMb(rates.relay[direction], ['client', 'relay', 's3']),
        cpuPerMb(rates.direct[direction], ['client', 's3']),
      ]);
    }
  }
  lines.push(
    ...table(
      ['', 'Canopy', 'relay', 'direct', 'Canopy/direct', 'aim', 'relay/direct', 'Canopy/relay', 'CPU ms/MB: Canopy', 'relay', 'direct'],
      rows,
      [36, 10, 10, 10, 13, 14, 12, 12, 17, 15, 9],
    ),
  );
  const each = (list: number[]) => list.map((x) => bench.ms(x)).join(', ');
  for (const direction of ['up', 'down'] as const) {
    const runs = WAYS.map((way) => `${way} ${each(m.largeRunsMs[way][direction])}`).join('; ');
    lines.push(`    ${LARGE.bytes / MB} MB ${direction === 'up' ? 'uploads' : 'downloads'} one by one: ${runs}`);
  }
  lines.push(
    `    a download of each case was checked byte for byte (sha256), untimed; all aims ${allMet ? 'met' : 'NOT all met'}`,
    '    CPU ms/MB: each process\'s CPU time (every thread) per MB moved: client + server (Canopy or relay) + S3 server.',
    '    Canopy\'s and the relay\'s bytes cross loopback twice (client → server → S3 server), direct\'s once; Canopy\'s',
    '    figure includes its download\'s or upload\'s row written or read, not the Postgres process\'s part of that.',
    '',
  );

  const memory = m.memory;
  const above = memory.peakRss - memory.idleRss;
  lines.push(
    `(2) the Canopy process's memory during one ${mib(memory.bytes)} (${(memory.bytes / MB).toFixed(0)} MB) upload (service_role, ` +
      `raw body) streamed from a generated Readable (64 KiB slices, never a whole Buffer); sampled in that process every ` +
      `${SAMPLE_MS} ms; idle = just before, after a full GC` +
      (memory.reason ? `; ${memory.reason}` : ''),
    ...table(
      ['idle RSS', 'peak RSS', 'above idle', 'peak heap', 'peak external', 'rate', 'samples / max gap', 'aim'],
      [
        [
          mib(memory.idleRss),
          mib(memory.peakRss),
          mib(above),
          mib(memory.peakHeapUsed),
          mib(memory.peakExternal),
          `${(memory.bytes / MB / (memory.ms / 1000)).toFixed(0)} MB/s`,
          `${memory.samples} / ${bench.ms(memory.maxGapMs)}`,
          `< ${mib(AIM.rssAboveIdleBytes)}: ${met(above < AIM.rssAboveIdleBytes)}`,
        ],
      ],
      [9, 9, 10, 10, 13, 9, 17, 18],
    ),
    '',
  );

  const { sourceBytes, canopyMs, keptMs, sharpMs } = m.transformations;
  const sharpMedian = median(sharpMs);
  const row = (name: string, ms: number[]) => [
    name,
    bench.ms(median(ms)),
    bench.ms(bench.percentile(ms, 95)),
    `${(sharpMedian / median(ms)).toFixed(2)}×`,
  ];
  lines.push(
    `(3) image transformations, one at a time: a ${PHOTO.width} × ${PHOTO.height} JPEG (${bench.kib(sourceBytes)}) made ` +
      `a WebP ${PHOTO.toWidth - PHOTO.warmUp - PHOTO.times + 1}–${PHOTO.toWidth - PHOTO.warmUp} px wide, ${PHOTO.times} times ` +
      'each way; Canopy: GET /render/image/authenticated (row, bytes from S3, transformation), then the last one again ' +
      '(sent as kept); sharp alone: the same transformation in the clients\' process',
    ...table(
      ['', 'median', 'p95', 'sharp alone / this'],
      [row('Canopy', canopyMs), row('Canopy, kept', keptMs), row('sharp alone', sharpMs)],
      [13, 8, 8, 18],
    ),
    '',
    `Whole run: ${bench.ms(m.runMs)}.`,
    'Reproduce: PATH=$PWD/node_modules/.bin:$PATH tsx bench/storage.ts   (Node 24; data under CANOPY_DATA_DIR, ' +
      'default .canopy/bench-storage, wiped first; BENCH_STORAGE_HUGE_MB sets the size of (2); no node flags needed)',
  );
  return lines.join('\n');
}

/* ------------------------------------------------------------------ the run */

async function run(postgresVersion: string): Promise<string> {
  const started = performance.now();
  const step = (what: string) => console.log(`  ${what} …`);
  step('a project and its bucket');
  const api = await bench.signUp(deployment.url);
  const project = await createProject(api);
  await createBucket(project);
  const bucket = projectBucket(project.ref);
  const canopy = HttpStorage.canopy(project);
  const storages: Record<Way, Storage> = {
    canopy,
    relay: HttpStorage.relay(deployment.relayUrl, bucket),
    direct: new DirectStorage(storageS3Client(deployment.s3), bucket),
  };

  const small = randomBytes(SMALL.bytes);
  step('warm-up');
  for (let i = 0; i < WARM_UP; i++) {
    for (const storage of Object.values(storages)) {
      await storage.upload(`warm/${i}`, small, small.length);
      await storage.download(`warm/${i}`);
    }
  }

  const cases: Case[] = [];
  step(`(1) ${SMALL.count} × 1 MB, one at a time`);
  cases.push(await smallObjects(storages, small, 1, `1 MB × ${SMALL.count}, one at a time`));
  step(`(1) ${SMALL.count} × 1 MB, ${SMALL.parallel} at a time`);
  cases.push(await smallObjects(storages, small, SMALL.parallel, `1 MB × ${SMALL.count}, ${SMALL.parallel} at a time`));
  step(`(1) ${LARGE.bytes / MB} MB × ${LARGE.times}`);
  const large = await largeObject(storages, randomBytes(LARGE.bytes));
  cases.push(large);

  // 1 GB unless the 100 MB uploads say it would take over a minute here.
  const canopyLargeRate = mbPerSecond(large.rates.canopy.up);
  let hugeMb = Number(process.env.BENCH_STORAGE_HUGE_MB ?? 1024);
  let reason: string | undefined;
  if (!process.env.BENCH_STORAGE_HUGE_MB && (1024 * 1024 * 1024) / MB / canopyLargeRate > 60) {
    hugeMb = 512;
    reason = `512 MiB, not 1 GiB: at ${canopyLargeRate.toFixed(0)} MB/s 1 GiB would take over a minute here`;
  }
  const hugeBytes = hugeMb * 1024 * 1024;
  step(`(2) memory during a ${hugeMb} MiB upload through Canopy`);
  const memory = await memoryDuring(hugeBytes, (body) => canopy.upload('huge', body, hugeBytes));
  const size = await objectSize(project, 'huge');
  if (size !== hugeBytes) throw new Error(`The huge object is ${size} bytes, not ${hugeBytes}`);
  step('(3) image transformations');
  const transformations = await imageTransformations(project, canopy);

  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const machine = `${os.availableParallelism()} CPUs (${cpu}), Node ${process.version}, PostgreSQL ${postgresVersion}`;
  return report({
    machine,
    cases,
    largeRunsMs: large.runsMs,
    memory: { ...memory, reason },
    transformations,
    runMs: performance.now() - started,
  });
}

async function main(): Promise<void> {
  bench = await import('./support.ts');
  // The clients too: each 1 MB they receive is new Buffers, and with V8's default triggers that garbage started a
  // full GC here every ~14 downloads (~20 ms of wall time each), which fell on either client at random.
  startFullCollectionsByOldGenerationGrowth();
  const dataDir = path.resolve(process.env.CANOPY_DATA_DIR ?? '.canopy/bench-storage');
  const canopyDir = path.join(dataDir, 'canopy');
  // A Postgres left by a killed run is stopped first (in canopyDir), then all is wiped.
  await bench.freshDataDir(canopyDir);
  await bench.freshDataDir(dataDir);
  console.log(`Starting a local S3 server and Canopy (durable, fsync on, embedded Postgres), each in a process, in ${dataDir} …`);
  const s3 = await PartProcess.start('s3', { dir: path.join(dataDir, 's3') });
  const stops: Array<() => Promise<unknown>> = [() => s3.part.stop()];
  try {
    const settings = s3.ready.s3;
    const env = {
      CANOPY_S3_ENDPOINT: `http://${settings.endPoint}:${settings.port}`,
      CANOPY_S3_ACCESS_KEY: settings.accessKey,
      CANOPY_S3_SECRET_KEY: settings.secretKey,
    };
    const canopy = await PartProcess.start('canopy', { dataDir: canopyDir, env });
    stops.unshift(() => canopy.part.stop());
    const relay = await PartProcess.start('relay', { s3: settings });
    stops.unshift(() => relay.part.stop());
    const owner = new pg.Pool({ connectionString: canopy.ready.ownerUrl, max: 2 });
    stops.unshift(() => owner.end());
    deployment = {
      url: canopy.ready.url,
      owner,
      s3: settings,
      relayUrl: relay.ready.url,
      canopyProcess: canopy.part,
      relayProcess: relay.part,
      s3Process: s3.part,
    };
    console.log(await bench.within(600_000, 'The benchmark', run(canopy.ready.postgresVersion)));
  } finally {
    agent.destroy();
    await bench.stopAll(stops);
  }
}

await (await import('./support.ts')).runBenchmark(main);
