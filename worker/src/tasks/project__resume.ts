/** Resumes a paused project: the reverse of project__pause. */
import type { Task } from 'graphile-worker';
import { placeOrganization, projectJob, setProjectReachable, type WorkerContext } from '../tenants/projects.ts';

export function makeProjectResume(ctx: WorkerContext): Task {
  return projectJob(
    ctx,
    'resuming',
    async (project) => setProjectReachable(project, await placeOrganization(ctx, project.organizationId), true),
    'active',
  );
}
