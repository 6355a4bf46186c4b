/**
 * A project's end users, as its organization's members manage them through the control API (the console's Auth
 * page): every member may list and search them; owners, administrators and developers may create and delete them,
 * audited. The SQL runs in the project's database as its service role, as the auth API's does.
 */
import type pg from 'pg';
import { actingTransaction } from '../db/transactions.ts';
import { CanopyError } from '../errors.ts';
import type { Identity, RequestOrigin } from '../control/accounts.ts';
import { AuthError } from './auth/errors.ts';
import { validEmail } from './auth/input.ts';
import { checkPassword, hashPassword } from './auth/passwords.ts';
import { loadSettings } from './auth/settings.ts';
import { insertUser } from './auth/users.ts';
import { asProjectCaller, type OrganizationDatabases } from './databases.ts';
import type { ProjectRegistry } from './registry.ts';

export interface ProjectUser {
  id: string;
  email: string;
  createdAt: Date;
  lastSignInAt: Date | null;
  emailConfirmedAt: Date | null;
}

const MANAGERS = new Set(['owner', 'administrator', 'developer']);
const COLUMNS = `id, email, created_at as "createdAt", last_sign_in_at as "lastSignInAt", email_confirmed_at as "emailConfirmedAt"`;

export class ProjectUsersService {
  constructor(
    private readonly owner: pg.Pool,
    private readonly registry: ProjectRegistry,
    private readonly databases: OrganizationDatabases,
  ) {}

  async list(identity: Identity, projectId: string, { search = '', first = 50, offset = 0 }) {
    const project = await this.authorize(identity, projectId, false);
    if (first < 1 || first > 1000 || offset < 0) throw new CanopyError('INVALID_INPUT', 'first is 1 to 1000, offset ≥ 0', 400);
    return this.asService(project, async (client, schema) => {
      const pattern = `%${search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
      const { rows } = await client.query<ProjectUser & { total: number }>(
        `select ${COLUMNS}, count(*) over ()::int as total from ${schema}.users
         where email ilike $1 order by created_at desc limit $2 offset $3`,
        [pattern, first, offset],
      );
      return { totalCount: rows[0]?.total ?? 0, nodes: rows };
    });
  }

  async create(identity: Identity, origin: RequestOrigin, projectId: string, email: string, password: string | null) {
    const project = await this.authorize(identity, projectId, true);
    const user = await this.asService(project, async (client, schema) => {
      const address = translate(() => validEmail(email));
      if (password !== null) {
        const { minPasswordLength } = await loadSettings(client, schema);
        translate(() => checkPassword(password, minPasswordLength));
      }
      const created = await insertUser(client, schema, {
        email: address,
        passwordHash: password === null ? null : await hashPassword(password),
        confirmed: true,
      });
      if (!created) throw new CanopyError('EMAIL_TAKEN', 'The project already has a user with this email', 409);
      return (await client.query<ProjectUser>(`select ${COLUMNS} from ${schema}.users where id = $1`, [created.id])).rows[0];
    });
    await this.audit(identity, origin, 'project_user.created', project, user.id);
    return user;
  }

  async delete(identity: Identity, origin: RequestOrigin, projectId: string, userId: string): Promise<boolean> {
    const project = await this.authorize(identity, projectId, true);
    const deleted = await this.asService(project, async (client, schema) =>
      (await client.query(`delete from ${schema}.users where id::text = $1`, [userId])).rowCount === 1,
    );
    if (!deleted) throw new CanopyError('NOT_FOUND', 'The project has no such user', 404);
    await this.audit(identity, origin, 'project_user.deleted', project, userId);
    return true;
  }

  /** The project, if the caller is a member (or platform admin) and may do this; never says more than NOT_FOUND. */
  private async authorize(identity: Identity, projectId: string, write: boolean) {
    const { rows } = await this.owner.query<{ ref: string; organization_id: string; role: string | null; admin: boolean }>(
      `select p.ref, p.organization_id, m.role, u.is_platform_admin as admin
       from app_public.projects p join app_public.users u on u.id = $2
       left join app_public.organization_memberships m on m.organization_id = p.organization_id and m.user_id = u.id
       where p.id = $1`,
      [projectId, identity.userId],
    );
    const row = rows[0];
    if (!row || (!row.role && !row.admin)) throw new CanopyError('NOT_FOUND', 'No such project', 404);
    if (write && !MANAGERS.has(row.role ?? '')) {
      throw new CanopyError('FORBIDDEN', "Only owners, administrators and developers may change a project's users", 403);
    }
    return { id: projectId, ref: row.ref, organizationId: row.organization_id };
  }

  private async asService<T>(project: { ref: string }, work: (client: pg.PoolClient, schema: string) => Promise<T>) {
    const entry = await this.registry.get(project.ref);
    if (entry?.status !== 'active' || !entry.databaseUrl) {
      throw new CanopyError('NOT_READY', `The project is ${entry?.status ?? 'gone'}: its users cannot be reached now`, 409);
    }
    const caller = {
      role: 'service_role' as const,
      databaseRole: `p_${entry.ref}_service`,
      claims: { role: 'service_role' as const, ref: entry.ref },
    };
    return asProjectCaller(this.databases.get(entry.databaseUrl).pool, caller, (client) =>
      work(client, `"p_${entry.ref}_auth"`),
    );
  }

  private async audit(
    identity: Identity,
    origin: RequestOrigin,
    action: string,
    project: { id: string; organizationId: string },
    userId: string,
  ) {
    await actingTransaction(this.owner, { userId: identity.userId, ...origin }, (client) =>
      client.query(`select app_private.audit($1, 'project', $2, $3, null, jsonb_build_object('project_user_id', $4::text))`, [
        action,
        project.id,
        project.organizationId,
        userId,
      ]),
    );
  }
}

/** The auth API's input errors, as the control API's codes. */
function translate<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    const code = error.errorCode === 'weak_password' ? 'WEAK_PASSWORD' : 'INVALID_EMAIL';
    throw new CanopyError(code, error.message, 400);
  }
}
