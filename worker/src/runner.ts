/**
 * The graphile-worker runner: every task Canopy has, on the owner pool. Runs inside `npm start`, or alone as
 * `npm run worker` (any number of them: jobs are taken with SKIP LOCKED).
 */
import { run, type Runner, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import type { Config } from '../../server/src/config.ts';
import { createMailer } from './mailer.ts';
import { makeMailSend } from './tasks/mail__send.ts';

export function taskList(config: Config): TaskList {
  return {
    mail__send: makeMailSend(config, createMailer(config)),
  };
}

export function startWorker(config: Config, ownerPool: pg.Pool): Promise<Runner> {
  return run({
    pgPool: ownerPool,
    taskList: taskList(config),
    parsedCronItems: [],
    concurrency: 4,
    noHandleSignals: true,
    pollInterval: 1000,
  });
}
