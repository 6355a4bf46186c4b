/**
 * A whole Canopy in this process, for the benchmarks: embedded Postgres and S3 server, migrated control database, the
 * real server on a loopback port, the real worker.
 */
import type pg from 'pg';
import { loadConfig } from '../server/src/config.ts';
import { withCredentials } from '../server/src/db/bootstrap.ts';
import { prepareControlDatabase } from '../server/src/db/migrations.ts';
import { asOwner, createPool } from '../server/src/db/pools.ts';
import { freePort, type Services, startServices } from '../server/src/local/services.ts';
import { startFullCollectionsByOldGenerationGrowth } from '../server/src/start/garbage-collection.ts';
import { startWorker } from '../worker/src/runner.ts';
import { stopAll, within } from './support.ts';

export interface BenchPlatform {
  url: string;
  services: Services;
  /** Acts as canopy_owner: to arrange what users cannot (plans). */
  owner: pg.Pool;
  /** Its connection string, for another process. */
  ownerUrl: string;
  stop(): Promise<void>;
}

/**
 * The garbage collector's triggers, services, migrations, pools, server and worker, as `npm start` wires them, on
 * durable (fsync on) Postgres. `env` adds settings (CANOPY_API_CACHE_MB, …) as the environment would give them.
 */
export async function startBenchPlatform(dataDir: string, env: Record<string, string> = {}): Promise<BenchPlatform> {
  startFullCollectionsByOldGenerationGrowth();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({ ...env, CANOPY_DATA_DIR: dataDir, PORT: String(port), CANOPY_PUBLIC_URL: url });
  const starting = startServices(config, { durable: true, log: () => {} });
  const services = await within(120_000, 'Starting Postgres and S3', starting);
  const { database, secrets } = services;
  const stops: Array<() => Promise<unknown>> = [() => services.stop()];
  try {
    await within(120_000, 'Migrating the control database', prepareControlDatabase(database, secrets.authenticatorPassword));
    const ownerUrl = asOwner(database.url);
    const owner = createPool(ownerUrl);
    const apiPool = createPool(withCredentials(database.url, 'canopy_authenticator', secrets.authenticatorPassword), 20);
    stops.unshift(() => Promise.all([owner.end(), apiPool.end()]));
    // As `npm run server` runs it; Grafast reads GRAPHILE_ENV once, when first imported, hence the late import.
    process.env.GRAPHILE_ENV ??= 'production';
    const { createApp } = await import('../server/src/app.ts');
    const app = await createApp({ config, ownerPool: owner, apiPool, services });
    stops.unshift(() => app.close());
    await app.listen({ host: '127.0.0.1', port });
    const worker = await within(30_000, 'Starting the worker', startWorker({ config, ownerPool: owner, services, quiet: true }));
    stops.unshift(() => worker.stop());
    return { url, services, owner, ownerUrl, stop: () => stopAll(stops) };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}
