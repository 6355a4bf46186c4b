/** Applies the db/tenant/ files one organization database and its projects have not applied yet. */
import type { Task } from 'graphile-worker';
import { migrateOrganizationDatabase, type WorkerContext } from '../tenants/projects.ts';

export function makeOrganizationDatabaseMigrate(ctx: WorkerContext): Task {
  return (payload) => migrateOrganizationDatabase(ctx, (payload as { id: string }).id);
}
