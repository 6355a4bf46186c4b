/**
 * Deletes an organization: every project's objects, then its database and authenticator, then the row (members and
 * invitations go with it; the audit log keeps the history). Safe to run twice.
 */
import type { Task } from 'graphile-worker';
import { loadProject, removeOrganizationDatabase, removeProject, type WorkerContext } from '../tenants/projects.ts';

export function makeOrganizationDelete(ctx: WorkerContext): Task {
  return async (payload) => {
    const { id } = payload as { id: string };
    const marked = await ctx.owner.query('select from app_public.organizations where id = $1 and deleting_at is not null', [
      id,
    ]);
    if (marked.rowCount === 0) return;
    const { rows } = await ctx.owner.query<{ id: string }>(
      `select id from app_public.projects where organization_id = $1 and status <> 'deleted'`,
      [id],
    );
    for (const { id: projectId } of rows) {
      const project = await loadProject(ctx, projectId);
      if (project) await removeProject(ctx, project);
    }
    await removeOrganizationDatabase(ctx, id);
    await ctx.owner.query('delete from app_public.organizations where id = $1', [id]);
  };
}
