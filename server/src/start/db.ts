/**
 * `npm run db:<command>`: graphile-migrate against the control database, with the connection strings filled in for
 * the embedded Postgres (started if it is not running) or taken from DATABASE_URL and friends.
 *   db:migrate  apply committed migrations, then the policies
 *   db:watch    re-run db/migrations/current.sql (and the policies) on every save
 *   db:commit   turn current.sql into the next committed migration (-- -m "message")
 *   db:reset    drop and recreate the control database from the committed migrations
 */
import { spawn } from 'node:child_process';
import { loadConfig } from '../config.ts';
import { bootstrapControlDatabase, databaseName } from '../db/bootstrap.ts';
import { REPO_ROOT } from '../db/migrations.ts';
import { asOwner } from '../db/pools.ts';
import { startServices } from '../local/services.ts';

const [command = 'migrate', ...args] = process.argv.slice(2);
const services = await startServices(loadConfig(), { log: () => {} });
const { database } = services;
await bootstrapControlDatabase(database.rootUrl, databaseName(database.url), services.secrets.authenticatorPassword);

const child = spawn('graphile-migrate', [command, ...(command === 'migrate' ? ['--forceActions'] : []), ...args], {
  cwd: REPO_ROOT,
  stdio: 'inherit',
  env: {
    ...process.env,
    DATABASE_URL: asOwner(database.url),
    SHADOW_DATABASE_URL: database.shadowUrl ? asOwner(database.shadowUrl) : '',
    ROOT_DATABASE_URL: database.rootUrl,
  },
});
const stop = () => child.kill('SIGINT');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const code: number = await new Promise((resolve) => child.on('exit', (exitCode) => resolve(exitCode ?? 1)));
await services.stop();
process.exit(code);
