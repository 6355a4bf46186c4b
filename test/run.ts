/**
 * `npm test`: starts the services the suite runs against (a throwaway embedded Postgres and local S3 server under
 * .canopy/test, or the external ones named by DATABASE_URL / CANOPY_S3_*), migrates a template database once,
 * then runs ava. Each test file clones its own database from the template, so files run in parallel.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../server/src/config.ts';
import { prepareControlDatabase } from '../server/src/db/migrations.ts';
import { startServices } from '../server/src/local/services.ts';

const TEMPLATE = 'canopy_test_template';

const config = loadConfig({ ...process.env, CANOPY_DATA_DIR: process.env.CANOPY_DATA_DIR ?? '.canopy/test' });
const services = await startServices(config, { durable: false, log: () => {} });
const root = new URL(services.database.rootUrl);
const templateUrl = Object.assign(new URL(services.database.url), { pathname: `/${TEMPLATE}` }).toString();

const admin = new pg.Client(services.database.rootUrl);
await admin.connect();
// Databases left behind by an interrupted run.
const { rows } = await admin.query(`select datname from pg_database where datname like 'canopy_test_%'`);
for (const { datname } of rows) await admin.query(`drop database ${admin.escapeIdentifier(datname)} with (force)`);
await prepareControlDatabase({ ...services.database, url: templateUrl }, services.secrets.authenticatorPassword);
// A template can only be cloned while nobody is connected to it: graphile-migrate closes its pool shortly after use.
for (let waited = 0; ; waited += 50) {
  const { rowCount } = await admin.query('select from pg_stat_activity where datname = $1', [TEMPLATE]);
  if (rowCount === 0) break;
  if (waited > 10_000) throw new Error(`Connections to ${TEMPLATE} stayed open`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await admin.end();

const ava = spawn(path.resolve('node_modules/.bin/ava'), process.argv.slice(2), {
  stdio: 'inherit',
  env: {
    ...process.env,
    GRAPHILE_ENV: 'production',
    CANOPY_TEST_ROOT_URL: root.toString(),
    CANOPY_TEST_DATABASE_URL: services.database.url,
    CANOPY_TEST_TEMPLATE: TEMPLATE,
    CANOPY_TEST_S3: JSON.stringify(services.s3),
    CANOPY_TEST_SECRETS: JSON.stringify(services.secrets),
  },
});
const code: number = await new Promise((resolve) => ava.on('exit', (exitCode) => resolve(exitCode ?? 1)));
await services.stop();
process.exit(code);
