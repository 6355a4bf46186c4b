/**
 * A project's end users, as its organization's members manage them through the control API (the console's Auth
 * page): every member may list and search them; owners, administrators and developers may create and delete them,
 * audited. The SQL runs in the project's database as its service role, as the auth API's does.
 */
import type { Identity, RequestOrigin } from '../control/accounts.ts';
import { CanopyError } from '../errors.ts';
import type { ProjectDataAccess } from './access.ts';
import { AuthError } from './auth/errors.ts';
import { validEmail } from './auth/input.ts';
import { checkPassword, hashPassword } from './auth/passwords.ts';
import { loadSettings } from './auth/settings.ts';
import { insertUser } from './auth/users.ts';

export interface ProjectUser {
  id: string;
  email: string;
  createdAt: Date;
  lastSignInAt: Date | null;
  emailConfirmedAt: Date | null;
}

const COLUMNS = `id, email, created_at as "createdAt", last_sign_in_at as "lastSignInAt", email_confirmed_at as "emailConfirmedAt"`;

const AUTH_SCHEMA = (ref: string) => `"p_${ref}_auth"`;

export class ProjectUsersService {
  constructor(private readonly access: ProjectDataAccess) {}

  async list(identity: Identity, projectId: string, { search = '', first = 50, offset = 0 }) {
    const project = await this.access.authorize(identity, projectId, false);
    if (first < 1 || first > 1000 || offset < 0) throw new CanopyError('INVALID_INPUT', 'first is 1 to 1000, offset ≥ 0', 400);
    const schema = AUTH_SCHEMA(project.ref);
    return this.access.asService(project, async (client) => {
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
    const project = await this.access.authorize(identity, projectId, true);
    const schema = AUTH_SCHEMA(project.ref);
    const user = await this.access.asService(project, async (client) => {
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
    await this.access.audit(identity, origin, 'project_user.created', project, { project_user_id: user.id });
    return user;
  }

  async delete(identity: Identity, origin: RequestOrigin, projectId: string, userId: string): Promise<boolean> {
    const project = await this.access.authorize(identity, projectId, true);
    const schema = AUTH_SCHEMA(project.ref);
    const deleted = await this.access.asService(project, async (client) =>
      (await client.query(`delete from ${schema}.users where id::text = $1`, [userId])).rowCount === 1,
    );
    if (!deleted) throw new CanopyError('NOT_FOUND', 'The project has no such user', 404);
    await this.access.audit(identity, origin, 'project_user.deleted', project, { project_user_id: userId });
    return true;
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
