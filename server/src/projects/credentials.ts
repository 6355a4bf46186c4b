/**
 * Revealing a project's credentials. Every member sees the project's API URL and `anon` key; owners, administrators
 * and developers also see the `service_role` key, the JWT secret and the database connection string (as the
 * project's owner login, for psql and graphile-migrate). Revealing those is audited.
 */
import type pg from 'pg';
import type { Config } from '../config.ts';
import { CanopyError } from '../errors.ts';
import type { SecretBox } from '../secrets.ts';
import type { Identity, RequestOrigin } from '../control/accounts.ts';
import { mayWrite, type ProjectDataAccess } from './access.ts';
import { signApiKey } from './keys.ts';

export interface ProjectCredentials {
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string | null;
  jwtSecret: string | null;
  databaseUrl: string | null;
}

export class ProjectCredentialsService {
  constructor(
    private readonly owner: pg.Pool,
    private readonly access: ProjectDataAccess,
    private readonly box: SecretBox,
    private readonly config: Config,
    /** How people reach the control cluster's Postgres (host:port). */
    private readonly controlDatabaseHost: string,
  ) {}

  async reveal(identity: Identity, projectId: string, origin: RequestOrigin): Promise<ProjectCredentials> {
    const project = await this.access.authorize(identity, projectId, false);
    const { rows } = await this.owner.query(
      `select p.status, o.ref as org_ref, s.jwt_secret_sealed, s.keys_issued_at, s.owner_password_sealed, c.admin_url_sealed
       from app_public.projects p
       join app_public.organizations o on o.id = p.organization_id
       left join app_private.project_secrets s on s.project_id = p.id
       left join app_private.organization_databases d on d.organization_id = p.organization_id
       left join app_private.clusters c on c.id = d.cluster_id
       where p.id = $1`,
      [projectId],
    );
    const row = { ...rows[0], ref: project.ref };
    if (!row.jwt_secret_sealed || row.status === 'deleted') {
      throw new CanopyError('NOT_READY', `The project is ${row.status}: it has no credentials now`, 409);
    }
    const jwtSecret = this.box.open(row.jwt_secret_sealed);
    const issuedAt = new Date(row.keys_issued_at);
    const credentials: ProjectCredentials = {
      apiUrl: `${this.config.publicUrl}/p/${row.ref}`,
      anonKey: await signApiKey(jwtSecret, row.ref, 'anon', issuedAt),
      serviceRoleKey: null,
      jwtSecret: null,
      databaseUrl: null,
    };
    if (!mayWrite(project)) return credentials;

    const host = row.admin_url_sealed ? new URL(this.box.open(row.admin_url_sealed)).host : this.controlDatabaseHost;
    const password = encodeURIComponent(this.box.open(row.owner_password_sealed));
    await this.access.audit(identity, origin, 'project.credentials_revealed', project, {});
    return {
      ...credentials,
      serviceRoleKey: await signApiKey(jwtSecret, row.ref, 'service_role', issuedAt),
      jwtSecret,
      databaseUrl: `postgres://p_${row.ref}_owner:${password}@${host}/org_${row.org_ref}`,
    };
  }
}
