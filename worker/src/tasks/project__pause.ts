/** Pauses a project: its logins are disabled, its API roles are out of its authenticator's reach, sessions end. */
import type { Task } from 'graphile-worker';
import { projectJob, switchProjectReachable, type WorkerContext } from '../tenants/projects.ts';

export function makeProjectPause(ctx: WorkerContext): Task {
  return projectJob(
    ctx,
    'pausing',
    (project) => switchProjectReachable(ctx, project, false),
    'paused',
  );
}
