/**
 * Whatever the operator did not point Canopy at, Canopy runs itself: an embedded Postgres and a local S3 server,
 * with their data and the generated secrets under the data folder.
 *
 * The first process to start them owns them (its pid is in `services.json`) and stops them when it exits. Other
 * processes on the same data folder (`npm run worker` beside `npm run server`, `npm run db:migrate` beside
 * `npm start`) reuse them while that owner lives; a dead owner's leftovers are taken over.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Config, S3Settings } from '../config.ts';
import { startEmbeddedPostgres } from './postgres.ts';
import { isAlive } from './processes.ts';
import { localS3Settings, startLocalS3 } from './s3.ts';

export interface DatabaseUrls {
  /** May `set role canopy_owner` on the control database. */
  url: string;
  /** Superuser: creates roles and databases. */
  rootUrl: string;
  shadowUrl?: string;
}

export interface Services {
  database: DatabaseUrls;
  s3: S3Settings;
  secrets: Secrets;
  stop(): Promise<void>;
}

export interface Secrets {
  /** 32 bytes, base64: encrypts every secret at rest (AES-256-GCM). */
  masterKey: string;
  /** The control API's login, `canopy_authenticator`. */
  authenticatorPassword: string;
  /** The embedded Postgres superuser's. */
  postgresPassword: string;
}

interface Owner {
  pid: number;
  postgresPort?: number;
  s3Port?: number;
}

export async function startServices(
  config: Config,
  options: { durable?: boolean; log?: (line: string) => void } = {},
): Promise<Services> {
  const log = options.log ?? ((line: string) => console.log(`[local] ${line}`));
  await fs.mkdir(config.dataDir, { recursive: true, mode: 0o755 });
  const secrets = await loadSecrets(config);
  const ownerFile = path.join(config.dataDir, 'services.json');
  const needPostgres = !config.database;
  const needS3 = !config.s3;

  const running = readOwner(ownerFile);
  if ((needPostgres || needS3) && running && running.pid !== process.pid && isNodeProcess(running.pid)) {
    log(`Using the local services of Canopy process ${running.pid}`);
    return {
      database: config.database ?? embeddedUrls(running.postgresPort!, secrets.postgresPassword),
      s3: config.s3 ?? localS3Settings(running.s3Port!),
      secrets,
      stop: async () => {},
    };
  }

  const stops: Array<() => Promise<void>> = [];
  const owner: Owner = { pid: process.pid };
  let database = config.database;
  if (!database) {
    owner.postgresPort = await freePort();
    const pg = await startEmbeddedPostgres({
      dir: path.join(config.dataDir, 'postgres'),
      port: owner.postgresPort,
      password: secrets.postgresPassword,
      durable: options.durable ?? true,
      log: () => {},
    });
    stops.push(pg.stop);
    database = embeddedUrls(owner.postgresPort, secrets.postgresPassword);
    log(`Postgres is running on 127.0.0.1:${owner.postgresPort}`);
  }
  let s3 = config.s3;
  if (!s3) {
    const dir = path.join(config.dataDir, 's3');
    await fs.mkdir(dir, { recursive: true });
    const local = await startLocalS3(dir, 0);
    stops.push(local.stop);
    s3 = local.settings;
    owner.s3Port = s3.port;
    log(`S3 server is running on 127.0.0.1:${s3.port}`);
  }
  if (stops.length > 0) await fs.writeFile(ownerFile, JSON.stringify(owner));

  return {
    database,
    s3,
    secrets,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
      if (stops.length > 0) await fs.rm(ownerFile, { force: true });
    },
  };
}

function embeddedUrls(port: number, password: string): DatabaseUrls {
  const server = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  return { url: `${server}/canopy`, rootUrl: `${server}/postgres`, shadowUrl: `${server}/canopy_shadow` };
}

/** Secrets from the environment win; the rest are generated once into `secrets.json` (readable by its owner only). */
async function loadSecrets(config: Config): Promise<Secrets> {
  const file = path.join(config.dataDir, 'secrets.json');
  let stored: Partial<Secrets> = {};
  try {
    stored = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated: Secrets = {
    masterKey: stored.masterKey ?? randomBytes(32).toString('base64'),
    authenticatorPassword: stored.authenticatorPassword ?? randomBytes(24).toString('base64url'),
    postgresPassword: stored.postgresPassword ?? randomBytes(24).toString('base64url'),
  };
  if (JSON.stringify(generated) !== JSON.stringify(stored)) {
    await fs.writeFile(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  }
  return {
    ...generated,
    masterKey: config.masterKey ?? generated.masterKey,
    authenticatorPassword: config.authenticatorPassword ?? generated.authenticatorPassword,
  };
}

function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A pid can be reused by an unrelated process after a crash: only a live Node process counts as an owner. */
function isNodeProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
