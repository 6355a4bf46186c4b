/**
 * A worker process killed in the middle of a job: another worker takes the job over as soon as the dead one stops
 * beating (not after graphile-worker's four hours), and the project ends active with nothing left half-made.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../server/src/config.ts';
import { startWorker } from '../worker/src/runner.ts';
import { withClient } from '../worker/src/tenants/projects.ts';
import { signUp } from './support/client.ts';
import { newOrganization, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

const REPO = path.resolve(import.meta.dirname, '..');
let platform: TestPlatform;
let child: ChildProcess | undefined;
test.before(async () => {
  // No worker in this process: the first one is a process of its own, to be killed.
  platform = await startTestPlatform({}, { worker: false });
});
test.after.always(async () => {
  child?.kill('SIGKILL');
  await platform?.stop();
});

// Serial: a worker started by one test would take the other's jobs.
test.serial('a worker killed mid-job is taken over by another, and the project ends active', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const { database, s3, secrets } = platform.services;
  const rootUrl = Object.assign(new URL(database.rootUrl), { pathname: '/postgres' }).toString();

  await withClient(rootUrl, async (lock) => {
    // Hold the organization's lock, so the job stops inside its first step, in the process about to be killed.
    await lock.query('select pg_advisory_lock(hashtext($1))', [`canopy:organization:${org.ref}`]);
    const url = new URL(platform.databaseUrl);
    url.username = new URL(database.rootUrl).username;
    url.password = new URL(database.rootUrl).password;
    // node itself, not the tsx launcher: SIGKILL must hit the process that runs the job.
    child = spawn(path.join(REPO, 'node_modules/.bin/node'), ['--import', 'tsx', 'server/src/start/worker.ts'], {
      cwd: REPO,
      stdio: 'ignore',
      env: {
        ...process.env,
        DATABASE_URL: url.toString(),
        ROOT_DATABASE_URL: database.rootUrl,
        CANOPY_S3_ENDPOINT: `http://${s3.endPoint}:${s3.port}`,
        CANOPY_S3_ACCESS_KEY: s3.accessKey,
        CANOPY_S3_SECRET_KEY: s3.secretKey,
        CANOPY_MASTER_KEY: secrets.masterKey,
        CANOPY_AUTHENTICATOR_PASSWORD: secrets.authenticatorPassword,
      },
    });
    const { createProject } = await owner.client.data(
      `mutation ($id: UUID!) { createProject(input: { organizationId: $id, name: "App" }) { result { id } } }`,
      { id: org.id },
    );
    const projectId = createProject.result.id;
    await waitFor(
      'the job to be taken by the worker process',
      async () =>
        (await platform.owner.query(`select from graphile_worker.jobs where key = $1 and locked_by is not null`, [
          `project__provision:${projectId}`,
        ])).rowCount === 1,
      30_000,
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    await lock.query('select pg_advisory_unlock_all()');

    // Another worker, which considers a worker dead after 2 s without a heartbeat.
    const config = loadConfig({ CANOPY_WORKER_STALE_SECONDS: '2' });
    const worker = await startWorker({ config, ownerPool: platform.owner, services: platform.services, quiet: true });
    t.teardown(() => worker.stop());
    await waitFor(
      'the project to be active',
      async () =>
        (await platform.owner.query(`select from app_public.projects where id = $1 and status = 'active'`, [projectId]))
          .rowCount === 1,
      30_000,
    );
    const { rows } = await platform.owner.query('select steps from app_public.projects where id = $1', [projectId]);
    t.deepEqual(
      rows[0].steps.map((step: { step: string }) => step.step),
      ['database', 'roles', 'schema', 'keys', 'storage'],
    );
  });
});

test.serial('a live worker running a job longer than the staleness limit keeps its job', async (t) => {
  const config = loadConfig({ CANOPY_WORKER_STALE_SECONDS: '1' });
  const worker = await startWorker({ config, ownerPool: platform.owner, services: platform.services, quiet: true });
  t.teardown(() => worker.stop());
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const rootUrl = Object.assign(new URL(platform.services.database.rootUrl), { pathname: '/postgres' }).toString();
  await withClient(rootUrl, async (lock) => {
    await lock.query('select pg_advisory_lock(hashtext($1))', [`canopy:organization:${org.ref}`]);
    const { createProject } = await owner.client.data(
      `mutation ($id: UUID!) { createProject(input: { organizationId: $id, name: "Slow" }) { result { id } } }`,
      { id: org.id },
    );
    const key = `project__provision:${createProject.result.id}`;
    const job = await waitFor('the job to be taken', async () =>
      (await platform.owner.query('select locked_by, locked_at from graphile_worker.jobs where key = $1 and locked_by is not null', [key]))
        .rows[0],
    );
    // Its worker beats for three staleness periods after locking the job, and the job stays its own.
    await waitFor(
      'three staleness periods of heartbeats',
      async () =>
        (await platform.owner.query(
          `select from app_private.worker_heartbeats where worker_id = $1 and seen_at > $2::timestamptz + interval '3 seconds'`,
          [job.locked_by, job.locked_at],
        )).rowCount === 1,
      10_000,
    );
    const lockedBy = job.locked_by;
    const { rows } = await platform.owner.query('select locked_by from graphile_worker.jobs where key = $1', [key]);
    t.is(rows[0]?.locked_by, lockedBy);
    await lock.query('select pg_advisory_unlock_all()');
  });
});
