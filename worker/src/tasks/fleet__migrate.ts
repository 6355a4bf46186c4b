/**
 * Rolls new db/tenant/ files out to every organization database and project: one organization_database__migrate
 * job per organization, so organizations migrate in parallel and each resumes on its own after a failure.
 * Enqueued at every start (a deploy brings new files) and by `npm run admin -- migrate-tenants`.
 */
import type { Task } from 'graphile-worker';
import type { WorkerContext } from '../tenants/projects.ts';

export function makeFleetMigrate(ctx: WorkerContext): Task {
  return async (_payload, helpers) => {
    const { rows } = await ctx.owner.query<{ organization_id: string }>(
      'select organization_id from app_private.organization_databases',
    );
    for (const { organization_id: id } of rows) {
      await helpers.addJob('organization_database__migrate', { id }, { jobKey: `organization_database__migrate:${id}` });
    }
  };
}
