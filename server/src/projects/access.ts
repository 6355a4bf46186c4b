/**
 * How the control API reaches inside a project's database on a member's behalf (its users, its storage usage):
 * the member's role in the organization decides, and the SQL runs in the project's database as its service role.
 */
import type pg from 'pg';
import type { Identity, RequestOrigin } from '../control/accounts.ts';
import { actingTransaction } from '../db/transactions.ts';
import { CanopyError } from '../errors.ts';
import { asProjectCaller, type OrganizationDatabases, type PlacedProject } from './databases.ts';
import type { ProjectEntry, ProjectRegistry } from './registry.ts';

export interface AuthorizedProject {
  id: string;
  ref: string;
  organizationId: string;
  /** The caller's role in the organization; null for a platform admin who is not a member. */
  role: string | null;
}

const WRITERS = new Set(['owner', 'administrator', 'developer']);

/** Whether the caller's role lets them change the project's data and see its secrets (read-only members may not). */
export const mayWrite = (project: AuthorizedProject) => WRITERS.has(project.role ?? '');

export class ProjectDataAccess {
  constructor(
    private readonly owner: pg.Pool,
    private readonly registry: ProjectRegistry,
    private readonly databases: OrganizationDatabases,
  ) {}

  /** The project, if the caller is a member (or platform admin) and may do this; never says more than NOT_FOUND. */
  async authorize(identity: Identity, projectId: string, write: boolean): Promise<AuthorizedProject> {
    const { rows } = await this.owner.query<{ ref: string; organization_id: string; role: string | null; admin: boolean }>(
      `select p.ref, p.organization_id, m.role, u.is_platform_admin as admin
       from app_public.projects p join app_public.users u on u.id = $2
       left join app_public.organization_memberships m on m.organization_id = p.organization_id and m.user_id = u.id
       where p.id = $1`,
      [projectId, identity.userId],
    );
    const row = rows[0];
    if (!row || (!row.role && !row.admin)) throw new CanopyError('NOT_FOUND', 'No such project', 404);
    const project = { id: projectId, ref: row.ref, organizationId: row.organization_id, role: row.role };
    if (write && !mayWrite(project)) {
      throw new CanopyError('FORBIDDEN', 'Only owners, administrators and developers may change that', 403);
    }
    return project;
  }

  /** What the project APIs know of an active project (its keys, its database); NOT_READY otherwise. */
  async activeEntry(project: { ref: string }): Promise<ProjectEntry & PlacedProject & { jwtSecret: Uint8Array }> {
    const entry = await this.registry.get(project.ref);
    if (entry?.status !== 'active' || !entry.databaseUrl || !entry.listenUrl || !entry.jwtSecret) {
      throw new CanopyError('NOT_READY', `The project is ${entry?.status ?? 'gone'}: its data cannot be reached now`, 409);
    }
    return entry as ProjectEntry & PlacedProject & { jwtSecret: Uint8Array };
  }

  /** Runs `work` in the project's database as its service role. */
  async asService<T>(project: { ref: string }, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const entry = await this.activeEntry(project);
    const caller = {
      role: 'service_role' as const,
      databaseRole: `p_${entry.ref}_service`,
      claims: { role: 'service_role' as const, ref: entry.ref },
    };
    return asProjectCaller(this.databases.project(entry).pool, caller, work);
  }

  /** An audit entry of the organization, about the project, by the member. */
  async audit(identity: Identity, origin: RequestOrigin, action: string, project: AuthorizedProject, details: object) {
    await actingTransaction(this.owner, { userId: identity.userId, ...origin }, (client) =>
      client.query(`select app_private.audit($1, 'project', $2, $3, null, $4)`, [
        action,
        project.id,
        project.organizationId,
        JSON.stringify(details),
      ]),
    );
  }

  /** Tells the organization's open consoles (organizationEvents) that something changed; not an audit entry. */
  async announce(project: AuthorizedProject, action: string) {
    await this.owner.query(`select pg_notify('canopy:organization:' || $1, $2)`, [
      project.organizationId,
      JSON.stringify({ action, targetType: 'project', organizationId: project.organizationId }),
    ]);
  }
}
