/**
 * Platform administration through the control API: the worker queue (counts, jobs by state, retrying a failed job)
 * and the data clusters, for platform admins only. Everyone else is refused: FORBIDDEN when signed in,
 * UNAUTHENTICATED when not.
 */
import test from 'ava';
import { ControlClient, type SignedInUser, signUp } from './support/client.ts';
import { waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';
import { type ActiveProject, activeProject } from './support/projects.ts';

let platform: TestPlatform;
let admin: SignedInUser;
let owner: SignedInUser;
let project: ActiveProject;
test.before(async () => {
  platform = await startTestPlatform();
  [admin, owner] = await Promise.all([signUp(platform), signUp(platform)]);
  await platform.owner.query('update app_public.users set is_platform_admin = true where id = $1', [admin.userId]);
  project = await activeProject(platform, owner);
});
test.after.always(() => platform?.stop());

const JOB = 'id taskIdentifier queueName key attempts maxAttempts lastError runAt lockedAt lockedBy createdAt';
const JOBS = `query ($state: String, $first: Int) { platformJobs(state: $state, first: $first) { pending running failed jobs { ${JOB} } } }`;
const CLUSTERS = `{ platformClusters { name capacity organizationDatabases projects createdAt } }`;
const RETRY = `mutation ($id: BigInt!) { retryPlatformJob(id: $id) }`;

/**
 * A mail__send job that fails at its only attempt: its mail has a template nobody knows. The outbox trigger's own
 * job for the mail is removed in the same transaction, so only this one runs.
 */
async function failingJob(): Promise<{ id: string; mailId: string }> {
  const client = await platform.owner.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query(
      `insert into app_private.mails (recipient, template) values ('nobody@example.com', 'no-such-template') returning id`,
    );
    const mailId = rows[0].id as string;
    await client.query(`select graphile_worker.remove_job('mail:' || $1)`, [mailId]);
    const { rows: jobs } = await client.query(
      `select id::text from graphile_worker.add_job('mail__send', json_build_object('id', $1::text), max_attempts := 1,
         job_key := 'platform-admin-test:' || $1)`,
      [mailId],
    );
    await client.query('commit');
    return { id: jobs[0].id, mailId };
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

async function jobById(id: string, state = 'all') {
  const { platformJobs } = await admin.client.data(JOBS, { state, first: 1000 });
  return platformJobs.jobs.find((job: { id: string }) => job.id === id);
}

test('a failed job is listed with its error, and retrying it runs it again now, audited', async (t) => {
  const { id, mailId } = await failingJob();
  const failed = await waitFor('the job to fail', () => jobById(id, 'failed'), 15_000);
  t.like(failed, { taskIdentifier: 'mail__send', key: `platform-admin-test:${mailId}`, attempts: 1, maxAttempts: 1, lockedAt: null });
  t.regex(failed.lastError, /Unknown mail template/);
  t.false(Number.isNaN(Date.parse(failed.createdAt)));
  t.false(Number.isNaN(Date.parse(failed.runAt)));
  const { platformJobs } = await admin.client.data(JOBS, { state: 'failed' });
  t.true(platformJobs.failed >= 1);
  t.true(platformJobs.jobs.every((job: { attempts: number; maxAttempts: number }) => job.attempts >= job.maxAttempts));
  t.falsy(await jobById(id, 'pending'), 'a failed job is not pending');

  // Whatever made it fail is fixed (here: the mail is withdrawn), then the admin retries it: it runs and is done.
  await platform.owner.query('delete from app_private.mails where id = $1', [mailId]);
  t.true((await admin.client.data(RETRY, { id })).retryPlatformJob);
  await waitFor('the retried job to succeed (and leave the queue)', async () => !(await jobById(id)), 15_000);

  const { rows } = await platform.owner.query(
    `select actor_id, target_type, details from app_public.audit_events where action = 'platform.job_retried' and target_id = $1`,
    [id],
  );
  t.is(rows.length, 1);
  t.like(rows[0], { actor_id: admin.userId, target_type: 'job' });
  t.like(rows[0].details, { task_identifier: 'mail__send', key: `platform-admin-test:${mailId}` });
  t.regex(rows[0].details.last_error, /Unknown mail template/);
});

test('only failed jobs can be retried; unknown and malformed ids are refused', async (t) => {
  const { rows } = await platform.owner.query(
    `select id::text from graphile_worker.add_job('mail__send', '{"id":"00000000-0000-4000-8000-000000000000"}',
       run_at := now() + interval '1 hour', job_key := 'platform-admin-test:later')`,
  );
  const later = rows[0].id;
  t.like(await jobById(later, 'pending'), { attempts: 0, maxAttempts: 25, lockedAt: null });
  t.is(await admin.client.errorCode(RETRY, { id: later }), 'INVALID_STATE');
  t.is(await admin.client.errorCode(RETRY, { id: '999999999999' }), 'NOT_FOUND');
  for (const id of ['abc', '-1', '1; select 1', '99999999999999999999999']) {
    t.is(await admin.client.errorCode(RETRY, { id }), 'INVALID_INPUT', id);
  }
  t.is(await admin.client.errorCode(JOBS, { state: 'stuck' }), 'INVALID_INPUT');
  t.is(await admin.client.errorCode(JOBS, { first: 0 }), 'INVALID_INPUT');
  t.is(await admin.client.errorCode(JOBS, { first: 1001 }), 'INVALID_INPUT');
  const { platformJobs } = await admin.client.data(JOBS, { first: 1 });
  t.is(platformJobs.jobs.length, 1);
  t.true(platformJobs.pending >= 1);
  t.is(typeof platformJobs.running, 'number');
  await platform.owner.query(`select graphile_worker.remove_job('platform-admin-test:later')`);
});

test('platform admins see the data clusters and what they hold, never a connection URL', async (t) => {
  const { platformClusters } = await admin.client.data(CLUSTERS);
  t.is(platformClusters.length, 1);
  const [control] = platformClusters;
  t.like(control, { name: 'control', capacity: 1000 });
  const { rows } = await platform.owner.query(
    `select count(*)::int as databases, (select count(*)::int from app_public.projects where status <> 'deleted') as projects
     from app_private.organization_databases`,
  );
  t.is(control.organizationDatabases, rows[0].databases);
  t.is(control.projects, rows[0].projects);
  t.true(control.projects >= 1, `${project.ref} is on it`);
  t.false(Number.isNaN(Date.parse(control.createdAt)));
  const { __type } = await admin.client.data(`{ __type(name: "PlatformCluster") { fields { name } } }`);
  t.deepEqual(
    __type.fields.map((field: { name: string }) => field.name).filter((name: string) => /url|password|secret|sealed/i.test(name)),
    [],
  );
});

test('everyone else is refused: signed-in non-admins with FORBIDDEN, nobody with UNAUTHENTICATED', async (t) => {
  const { rows } = await platform.owner.query(
    `select id::text from graphile_worker.add_job('mail__send', '{"id":"00000000-0000-4000-8000-000000000000"}',
       run_at := now() + interval '1 hour', max_attempts := 1, job_key := 'platform-admin-test:refused')`,
  );
  await platform.owner.query(`select graphile_worker.reschedule_jobs(array[$1::bigint], attempts := 1)`, [rows[0].id]);
  const requests: Array<[string, Record<string, unknown>]> = [
    [JOBS, {}],
    [CLUSTERS, {}],
    [RETRY, { id: rows[0].id }],
  ];
  for (const [query, variables] of requests) {
    const refused = await owner.client.request(query, variables);
    t.is(refused.errors?.[0].extensions?.code, 'FORBIDDEN', query);
    t.falsy(refused.data && Object.values(refused.data)[0], 'no data');
    t.is(await new ControlClient(platform.url).errorCode(query, variables), 'UNAUTHENTICATED', query);
  }
  t.like(await jobById(rows[0].id, 'failed'), { attempts: 1 }, 'the job was not retried');
  await platform.owner.query(`select graphile_worker.remove_job('platform-admin-test:refused')`);
});
