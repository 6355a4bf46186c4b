/** A new JWT secret: new API keys, and every key or token signed with the old secret stops verifying. */
import type { Task } from 'graphile-worker';
import { projectJob, rotateJwtSecret, type WorkerContext } from '../tenants/projects.ts';

export function makeProjectRotateJwtSecret(ctx: WorkerContext): Task {
  return projectJob(ctx, ['active', 'paused'], (project) => rotateJwtSecret(ctx, project));
}
