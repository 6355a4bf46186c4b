/**
 * A whole Canopy for one test file: its own control database (cloned from the migrated template), the real server
 * on a free loopback port, and the worker. Everything is real: Postgres, the HTTP server, graphile-worker.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startWorker, workerContext } from '../../worker/src/runner.ts';
import type { WorkerContext } from '../../worker/src/tenants/projects.ts';
import { createApp } from '../../server/src/app.ts';
import { type Config, loadConfig } from '../../server/src/config.ts';
import { withCredentials } from '../../server/src/db/bootstrap.ts';
import { asOwner, createPool } from '../../server/src/db/pools.ts';
import { freePort, type Services } from '../../server/src/local/services.ts';

export interface TestPlatform {
  url: string;
  config: Config;
  /** Acts as canopy_owner: to arrange data and read what users cannot (the mail outbox). */
  owner: pg.Pool;
  databaseUrl: string;
  /** What the worker's tasks are given, to run provisioning steps directly (crash tests). */
  worker: WorkerContext;
  /** The services this platform runs on, to start more workers or servers on them. */
  services: Pick<Services, 'database' | 's3' | 'secrets'>;
  stop(): Promise<void>;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with npm test`);
  return value;
}

/** A fresh control database, migrated, owned by canopy_owner. */
export async function createTestDatabase(): Promise<string> {
  const name = `canopy_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(env('CANOPY_TEST_ROOT_URL'));
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${env('CANOPY_TEST_TEMPLATE')} owner canopy_owner`);
    await admin.query(`revoke all on database ${name} from public`);
    await admin.query(`grant connect on database ${name} to canopy_authenticator`);
  } finally {
    await admin.end();
  }
  const url = Object.assign(new URL(env('CANOPY_TEST_DATABASE_URL')), { pathname: `/${name}` }).toString();
  // Each test file is an installation of its own, sharing one Postgres and S3 with the others (as a reconcile sees).
  const clone = new pg.Client(url);
  await clone.connect();
  await clone.query('update app_private.installation set id = gen_random_uuid()');
  await clone.end();
  return url;
}

export async function startTestPlatform(
  overrides: NodeJS.ProcessEnv = {},
  { worker: runWorker = true } = {},
): Promise<TestPlatform> {
  const databaseUrl = await createTestDatabase();
  const secrets = JSON.parse(env('CANOPY_TEST_SECRETS'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({ PORT: String(port), CANOPY_PUBLIC_URL: url, CANOPY_SIGNIN_MAX_FAILURES: '5', ...overrides });
  const ownerPool = createPool(asOwner(databaseUrl));
  const apiPool = createPool(withCredentials(databaseUrl, 'canopy_authenticator', secrets.authenticatorPassword));
  const services = {
    database: { url: databaseUrl, rootUrl: env('CANOPY_TEST_ROOT_URL') },
    s3: JSON.parse(env('CANOPY_TEST_S3')),
    secrets,
  };
  const app = await createApp({ config, ownerPool, apiPool, services });
  await app.listen({ host: '127.0.0.1', port });
  const worker = runWorker ? await startWorker({ config, ownerPool, services, quiet: true }) : undefined;
  return {
    url,
    config,
    owner: ownerPool,
    databaseUrl,
    worker: workerContext({ config, ownerPool, services }),
    services,
    async stop() {
      await app.close();
      await worker?.stop();
      await Promise.all([ownerPool.end(), apiPool.end()]);
    },
  };
}
