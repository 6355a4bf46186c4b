/**
 * The graphile-worker runner: every task Canopy has, on the owner pool. Runs inside `npm start`, or alone as
 * `npm run worker` (any number of them: jobs are taken with SKIP LOCKED).
 */
import { EventEmitter } from 'node:events';
import { Logger, parseCronItems, run, type Runner, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import type { Config } from '../../server/src/config.ts';
import type { Services } from '../../server/src/local/services.ts';
import { SecretBox } from '../../server/src/secrets.ts';
import { createS3Client } from '../../server/src/storage/s3.ts';
import { keepWorkersAlive } from './liveness.ts';
import { createMailer } from './mailer.ts';
import { makeFleetMigrate } from './tasks/fleet__migrate.ts';
import { makeMailSend } from './tasks/mail__send.ts';
import { makeOrganizationDelete } from './tasks/organization__delete.ts';
import { makeOrganizationDatabaseMigrate } from './tasks/organization_database__migrate.ts';
import { makePlatformReconcile } from './tasks/platform__reconcile.ts';
import { makeProjectDelete } from './tasks/project__delete.ts';
import { makeProjectPause } from './tasks/project__pause.ts';
import { makeProjectProvision } from './tasks/project__provision.ts';
import { makeProjectResetDatabasePassword } from './tasks/project__reset_database_password.ts';
import { makeProjectResume } from './tasks/project__resume.ts';
import { makeProjectRotateJwtSecret } from './tasks/project__rotate_jwt_secret.ts';
import type { WorkerContext } from './tenants/projects.ts';
import { TENANT_DIR } from './tenants/tenant-sql.ts';

export interface WorkerDependencies {
  config: Config;
  ownerPool: pg.Pool;
  services: Pick<Services, 'database' | 's3' | 'secrets'>;
  /** Log only warnings and errors (tests). */
  quiet?: boolean;
}

const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`[worker] ${message}`);
});

export function workerContext({ config, ownerPool, services }: WorkerDependencies): WorkerContext {
  return {
    config,
    owner: ownerPool,
    controlRootUrl: services.database.rootUrl,
    box: new SecretBox(services.secrets.masterKey),
    s3: createS3Client(services.s3),
    s3Region: services.s3.region,
    tenantDir: TENANT_DIR,
  };
}

export function taskList(ctx: WorkerContext): TaskList {
  return {
    fleet__migrate: makeFleetMigrate(ctx),
    mail__send: makeMailSend(ctx.config, createMailer(ctx.config)),
    organization__delete: makeOrganizationDelete(ctx),
    organization_database__migrate: makeOrganizationDatabaseMigrate(ctx),
    platform__reconcile: makePlatformReconcile(ctx),
    project__provision: makeProjectProvision(ctx),
    project__pause: makeProjectPause(ctx),
    project__resume: makeProjectResume(ctx),
    project__delete: makeProjectDelete(ctx),
    project__rotate_jwt_secret: makeProjectRotateJwtSecret(ctx),
    project__reset_database_password: makeProjectResetDatabasePassword(ctx),
  };
}

/** What runs on a schedule: a daily reconcile, reporting only (repairs are asked for by an operator). */
const CRONTAB = parseCronItems([
  { task: 'platform__reconcile', match: '17 4 * * *', identifier: 'daily-reconcile', payload: { repair: false } },
]);

/** Asks the worker to roll new db/tenant/ files out to the fleet (once, however many processes ask). */
export async function enqueueFleetMigration(ownerPool: pg.Pool): Promise<void> {
  await ownerPool.query(`select graphile_worker.add_job('fleet__migrate', '{}'::json, job_key := 'fleet__migrate')`);
}

export async function startWorker(dependencies: WorkerDependencies): Promise<Runner> {
  const events = new EventEmitter();
  const stopBeating = keepWorkersAlive(dependencies.ownerPool, events, dependencies.config.workerStaleSeconds);
  const runner = await run({
    events,
    pgPool: dependencies.ownerPool,
    taskList: taskList(workerContext(dependencies)),
    concurrency: dependencies.config.workerConcurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    parsedCronItems: CRONTAB,
    ...(dependencies.quiet ? { logger: quietLogger } : {}),
  });
  void runner.promise.finally(stopBeating).catch(() => {});
  return runner;
}
