/**
 * What must exist before the first migration and cannot be written as one: the cluster-wide roles and the control
 * database itself. Safe to run at every start (creates what is missing, sets the authenticator's password).
 */
import pg from 'pg';

const ROLES_SQL = `
do $$
begin
  if not exists (select from pg_roles where rolname = 'canopy_owner') then
    create role canopy_owner nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'canopy_authenticator') then
    create role canopy_authenticator login noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'canopy_visitor') then
    create role canopy_visitor nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'canopy_anonymous') then
    create role canopy_anonymous nologin;
  end if;
end
$$;
-- The control API's login can become a visitor or nobody, and nothing else.
grant canopy_visitor to canopy_authenticator;
grant canopy_anonymous to canopy_authenticator;
`;

/**
 * Every cluster that holds tenant databases: tenant logins (a project's owner) may connect to their own organization's
 * database only, not to the maintenance databases either, where PUBLIC may connect and create temporary tables.
 */
export const HARDEN_CLUSTER_SQL = `
revoke connect, temporary on database postgres from public;
revoke connect, temporary on database template1 from public;
`;

/** Creates the roles and `database` (owned by canopy_owner), connected as a superuser through `rootUrl`. */
export async function bootstrapControlDatabase(rootUrl: string, database: string, authenticatorPassword: string) {
  const client = new pg.Client(rootUrl);
  await client.connect();
  try {
    await client.query(ROLES_SQL);
    await client.query(HARDEN_CLUSTER_SQL);
    // ALTER ROLE takes no parameters: the password is quoted as a literal by pg.
    await client.query(`alter role canopy_authenticator password ${client.escapeLiteral(authenticatorPassword)}`);
    const { rowCount } = await client.query('select from pg_database where datname = $1', [database]);
    if (rowCount === 0) {
      await client.query(`create database ${client.escapeIdentifier(database)} owner canopy_owner`);
    }
    // Only the control API's login (and superusers) may connect; no tenant role ever can.
    await client.query(`revoke all on database ${client.escapeIdentifier(database)} from public`);
    await client.query(`grant connect on database ${client.escapeIdentifier(database)} to canopy_authenticator`);
  } finally {
    await client.end();
  }
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** The same server and database as `url`, logged in as another role. */
export function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
