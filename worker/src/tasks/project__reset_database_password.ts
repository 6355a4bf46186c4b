/** A new password for the project's owner login (p_<ref>_owner). */
import type { Task } from 'graphile-worker';
import { placeOrganization, projectJob, resetDatabasePassword, type WorkerContext } from '../tenants/projects.ts';

export function makeProjectResetDatabasePassword(ctx: WorkerContext): Task {
  return projectJob(ctx, ['active', 'paused'], async (project) =>
    resetDatabasePassword(ctx, project, await placeOrganization(ctx, project.organizationId)),
  );
}
