/** Resumes a paused project: the reverse of project__pause. */
import type { Task } from 'graphile-worker';
import { projectJob, switchProjectReachable, type WorkerContext } from '../tenants/projects.ts';

export function makeProjectResume(ctx: WorkerContext): Task {
  return projectJob(
    ctx,
    'resuming',
    (project) => switchProjectReachable(ctx, project, true),
    'active',
  );
}
