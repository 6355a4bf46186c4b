/** Deletes a project's schemas, roles, bucket and secrets; the row stays as a `deleted` tombstone. */
import type { Task } from 'graphile-worker';
import { projectJob, removeProject, type WorkerContext } from '../tenants/projects.ts';

export function makeProjectDelete(ctx: WorkerContext): Task {
  return projectJob(ctx, 'deleting', (project) => removeProject(ctx, project), 'deleted');
}
