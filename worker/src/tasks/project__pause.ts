/** Pauses a project: its owner login is disabled, its API roles are out of the data API's reach, sessions end. */
import type { Task } from 'graphile-worker';
import { placeOrganization, projectJob, setProjectReachable, type WorkerContext } from '../tenants/projects.ts';

export function makeProjectPause(ctx: WorkerContext): Task {
  return projectJob(
    ctx,
    'pausing',
    async (project) => setProjectReachable(project, await placeOrganization(ctx, project.organizationId), false),
    'paused',
  );
}
