/**
 * Provisions a project: the organization's database (on first use), the project's roles, its schemas, its JWT
 * secret and its bucket, each step idempotent and recorded in `projects.steps` as it completes; then `active`.
 * After the last attempt the project is `failed` with the reason, and can be retried.
 */
import type { Task } from 'graphile-worker';
import {
  ensureOrganizationDatabase,
  ensureProjectBucket,
  ensureProjectKeys,
  ensureProjectRoles,
  ensureProjectSchemas,
  type OrganizationDatabase,
  placeOrganization,
  projectJob,
  type ProjectRow,
  setProjectStatus,
  type WorkerContext,
} from '../tenants/projects.ts';

type Step = (ctx: WorkerContext, project: ProjectRow, org: OrganizationDatabase) => Promise<void>;

export const PROVISIONING_STEPS: Array<[name: string, step: Step]> = [
  ['database', (ctx, _project, org) => ensureOrganizationDatabase(ctx, org)],
  ['roles', ensureProjectRoles],
  ['schema', ensureProjectSchemas],
  ['keys', (ctx, project) => ensureProjectKeys(ctx, project)],
  ['storage', (ctx, project) => ensureProjectBucket(ctx, project)],
];

export async function provisionProject(ctx: WorkerContext, project: ProjectRow, steps = PROVISIONING_STEPS) {
  const org = await placeOrganization(ctx, project.organizationId, project.requestedCluster);
  for (const [name, step] of steps) {
    await step(ctx, project, org);
    await ctx.owner.query(
      `update app_public.projects set steps = steps || jsonb_build_array(jsonb_build_object('step', $2::text, 'at', now()))
       where id = $1 and not steps @> jsonb_build_array(jsonb_build_object('step', $2::text))`,
      [project.id, name],
    );
  }
}

export function makeProjectProvision(ctx: WorkerContext): Task {
  return async (payload, helpers) => {
    const job = projectJob(ctx, 'provisioning', (project) => provisionProject(ctx, project), 'active');
    try {
      await job(payload);
    } catch (error) {
      if (helpers.job.attempts >= helpers.job.max_attempts) {
        const reason = (error as Error).message.slice(0, 500);
        await setProjectStatus(ctx, (payload as { id: string }).id, 'provisioning', 'failed', reason);
      }
      throw error;
    }
  };
}
