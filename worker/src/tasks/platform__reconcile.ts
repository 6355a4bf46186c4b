/**
 * Compares the tenant objects that exist with what the control database says, and records a report
 * (app_private.reconcile_reports). Daily as a report only (crontab in runner.ts); `{ "repair": true }` also removes
 * orphans and re-provisions what is missing: `npm run admin -- reconcile [--repair]`.
 */
import type { Task } from 'graphile-worker';
import type { WorkerContext } from '../tenants/projects.ts';
import { reconcile } from '../tenants/reconcile.ts';

export function makePlatformReconcile(ctx: WorkerContext): Task {
  return async (payload, helpers) => {
    const findings = await reconcile(ctx, { repair: (payload as { repair?: boolean }).repair === true });
    const { orphans, missing } = findings;
    const counts = Object.entries(orphans).map(([kind, names]) => `${names.length} orphan ${kind}`);
    helpers.logger.info(`Reconciled: ${counts.join(', ')}, ${missing.length} projects missing objects`);
  };
}
