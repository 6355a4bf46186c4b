/**
 * A project's end users and its auth settings, as its organization's members manage them through the control API
 * (the console's Auth pages): every member may list and search users and read the settings; owners, administrators
 * and developers may create and delete users and change the settings, audited. The SQL runs in the project's
 * database as its service role, as the auth API's does; the auth API reads the settings on every request, so a change
 * applies to the next one.
 */
import type { Identity, RequestOrigin } from '../control/accounts.ts';
import { CanopyError } from '../errors.ts';
import type { ProjectDataAccess } from './access.ts';
import { AuthError } from './auth/errors.ts';
import { validEmail } from './auth/input.ts';
import { checkPassword, hashPassword } from './auth/passwords.ts';
import { isAllowedRedirectEntry } from './auth/redirects.ts';
import { type AuthSettings, loadSettings } from './auth/settings.ts';
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

/** What a member may change of the auth settings; absent fields stay as they are. */
export type AuthSettingsPatch = { [K in keyof AuthSettings]?: AuthSettings[K] | null };

/** The settings' columns, and what each may hold. */
const SETTING_COLUMNS: Record<keyof AuthSettings, string> = {
  enableSignup: 'enable_signup',
  confirmEmail: 'confirm_email',
  accessTokenTtl: 'access_token_ttl',
  minPasswordLength: 'min_password_length',
  redirectUrls: 'redirect_urls',
  siteUrl: 'site_url',
};
const AUTH_SETTING_LIMITS = {
  accessTokenTtl: [60, 604_800],
  minPasswordLength: [6, 72],
  redirectUrls: 100,
} as const;

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

  /** The project's auth settings (any member). */
  async authSettings(identity: Identity, projectId: string): Promise<AuthSettings> {
    const project = await this.access.authorize(identity, projectId, false);
    return this.access.asService(project, (client) => loadSettings(client, AUTH_SCHEMA(project.ref)));
  }

  /** Changes the auth settings (owners, administrators, developers), audited with what changed. */
  async updateAuthSettings(
    identity: Identity,
    origin: RequestOrigin,
    projectId: string,
    patch: AuthSettingsPatch,
  ): Promise<AuthSettings> {
    const project = await this.access.authorize(identity, projectId, true);
    const changes = checkAuthSettingsPatch(patch);
    const schema = AUTH_SCHEMA(project.ref);
    const fields = Object.keys(changes) as Array<keyof AuthSettings>;
    const settings = await this.access.asService(project, async (client) => {
      if (fields.length > 0) {
        const assignments = fields.map((field, i) => `${SETTING_COLUMNS[field]} = $${i + 1}`).join(', ');
        try {
          await client.query(`update ${schema}.settings set ${assignments}`, fields.map((field) => changes[field]));
        } catch (error) {
          // A project made before db/tenant/project/0007 until the fleet migration (run at every start) reaches it.
          if ((error as { code?: string }).code !== '42501') throw error;
          throw new CanopyError('NOT_READY', 'The project is being upgraded; try again in a minute', 409);
        }
      }
      return loadSettings(client, schema);
    });
    if (fields.length > 0) await this.access.audit(identity, origin, 'project.auth_settings_updated', project, changes);
    return settings;
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

/** The patch's changes, checked: INVALID_INPUT naming the first field that is wrong. */
export function checkAuthSettingsPatch(patch: AuthSettingsPatch): Partial<AuthSettings> {
  const invalid = (message: string) => new CanopyError('INVALID_INPUT', message, 400);
  const changes: Partial<AuthSettings> = {};
  for (const [field, value] of Object.entries(patch) as Array<[keyof AuthSettings, unknown]>) {
    if (value === undefined || !(field in SETTING_COLUMNS)) continue;
    if (value === null && field !== 'siteUrl') throw invalid(`${field} cannot be null; leave it out to keep it as it is`);
    switch (field) {
      case 'enableSignup':
      case 'confirmEmail':
        changes[field] = value as boolean;
        break;
      case 'accessTokenTtl':
      case 'minPasswordLength': {
        const [min, max] = AUTH_SETTING_LIMITS[field];
        if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
          throw invalid(`${field} must be a whole number from ${min} to ${max}`);
        }
        changes[field] = value as number;
        break;
      }
      case 'siteUrl': {
        const url = typeof value === 'string' ? value.trim() : null;
        if (url && !isAllowedRedirectEntry(url, { globs: false })) {
          throw invalid('siteUrl must be an absolute http(s) URL');
        }
        changes.siteUrl = url || null;
        break;
      }
      case 'redirectUrls': {
        const urls = [...new Set((value as string[]).map((url) => url.trim()))];
        if (urls.length > AUTH_SETTING_LIMITS.redirectUrls) {
          throw invalid(`redirectUrls may hold at most ${AUTH_SETTING_LIMITS.redirectUrls} URLs`);
        }
        const wrong = urls.find((url) => !isAllowedRedirectEntry(url));
        if (wrong !== undefined) {
          throw invalid(
            `redirectUrls: ${JSON.stringify(wrong.slice(0, 200))} is not an absolute http(s) URL ` +
              '(a * or ** may stand for parts of its path, not of its host)',
          );
        }
        changes.redirectUrls = urls;
        break;
      }
    }
  }
  return changes;
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
