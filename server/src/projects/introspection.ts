/**
 * Introspection scoped to one project. PostGraphile's gather phase reads the whole catalog of its database
 * (pg-introspection's query takes every schema but `pg_*` and information_schema), so in an organization database
 * each project's instance would parse, and keep, the tables, columns, functions and types of every other project
 * there too: its heap and build time would grow with the number of projects beside it.
 *
 * PostGraphile 5.1 has no option for this, but it runs its introspection query through the service's adaptor with
 * the service's `pgSettingsForIntrospection`. The service made here marks that call, and its adaptor rewrites that
 * one query so that its `namespaces` (which every other part of the query is derived from: classes, attributes,
 * constraints, procedures, types, indexes, comments, dependencies) leaves out other projects' schemas. What stays
 * is the project's own schemas (`p_<ref>`, `p_<ref>_auth`, `p_<ref>_storage`) and everything shared: `canopy`,
 * extension schemas, pg_catalog's types. A project's objects cannot depend on another project's schemas (its roles
 * have no USAGE there), so nothing it needs is left out. Its `roles` are narrowed the same way, to the project's
 * own (`p_<ref>_*`) and those of no project: every project has five, which each instance would otherwise keep.
 * Requests go through the same adaptor untouched.
 */
import { makePgService } from 'postgraphile/adaptors/pg';
import { makeIntrospectionQuery } from 'postgraphile/graphile-build-pg/pg-introspection';

/** Every project's schemas are named `p_<ref>` or `p_<ref>_<part>`, the ref being 20 lowercase letters. */
const PROJECT_SCHEMAS = String.raw`^p_[a-z]{20}($|_)`;
/** And its roles `p_<ref>_<role>`. */
const PROJECT_ROLES = String.raw`^p_[a-z]{20}_`;

/** Parts of pg-introspection's query (each found once, whole) that the scoped query narrows. */
const NAMESPACES = "from pg_catalog.pg_namespace\n    where nspname <> 'information_schema'\n";
const ROLES = 'from pg_catalog.pg_roles\n  ),';
const MEMBERSHIPS = 'where roleid in (select roles._id from roles)\n  ),';

const FULL_QUERY = makeIntrospectionQuery();

function assertRef(ref: string) {
  if (!/^[a-z]{20}$/.test(ref)) throw new Error(`Not a project ref: ${ref}`);
}

/** SQL: whether the schema named `nspname` is one that `ref`'s project's introspection reads. */
export function introspectedSchema(ref: string): string {
  assertRef(ref);
  return `(nspname operator(pg_catalog.!~) '${PROJECT_SCHEMAS}' or nspname operator(pg_catalog.~) '^p_${ref}($|_)')`;
}

/**
 * SQL: whether the role named `rolname` (of oid `oid`) is one that `ref`'s project's introspection reads: any but
 * other projects', and theirs too where the project's own objects grant them something (PostGraphile looks up every
 * role an ACL names, and fails on one it has not read).
 */
export function introspectedRole(ref: string): string {
  assertRef(ref);
  const own = `(select oid from pg_catalog.pg_namespace where nspname operator(pg_catalog.~) '^p_${ref}($|_)')`;
  const grantees = (acl: string, catalog: string, namespace: string) =>
    `select (pg_catalog.aclexplode(${acl})).grantee from pg_catalog.${catalog} where ${namespace} in ${own} and ${acl} is not null`;
  return `(rolname operator(pg_catalog.!~) '${PROJECT_ROLES}' or rolname operator(pg_catalog.~) '^p_${ref}_' or oid in (
      ${grantees('nspacl', 'pg_namespace', 'oid')}
      union ${grantees('relacl', 'pg_class', 'relnamespace')}
      union select (pg_catalog.aclexplode(attacl)).grantee from pg_catalog.pg_attribute
        where attacl is not null and attrelid in (select oid from pg_catalog.pg_class where relnamespace in ${own})
      union ${grantees('proacl', 'pg_proc', 'pronamespace')}
      union ${grantees('typacl', 'pg_type', 'typnamespace')}))`;
}

/** `query` with its one `part` replaced; undefined if `part` is not there exactly once. */
function replaced(query: string | undefined, part: string, replacement: string): string | undefined {
  const at = query?.indexOf(part) ?? -1;
  if (!query || at < 0 || query.indexOf(part, at + 1) >= 0) return undefined;
  return query.slice(0, at) + replacement + query.slice(at + part.length);
}

/** The introspection query for `ref`'s project, or undefined if pg-introspection's query is not the one expected. */
export function scopedIntrospectionQuery(ref: string): string | undefined {
  const schemas = replaced(FULL_QUERY, NAMESPACES, `${NAMESPACES}    and ${introspectedSchema(ref)}\n`);
  const roles = replaced(schemas, ROLES, `from pg_catalog.pg_roles\n    where ${introspectedRole(ref)}\n  ),`);
  // Memberships between the roles read only (PostGraphile warns of a member it has not read).
  return replaced(roles, MEMBERSHIPS, 'where roleid in (select roles._id from roles)\n    and member in (select roles._id from roles)\n  ),');
}

type PgServiceOptions = Parameters<typeof makePgService>[0];
type PgService = ReturnType<typeof makePgService>;
type Adaptor = PgService['adaptor'];
type WithPgClient = Awaited<ReturnType<Adaptor['createWithPgClient']>>;
type Client = Parameters<Parameters<WithPgClient>[1]>[0];

/**
 * makePgService for `ref`'s project, whose introspection sees only the project's schemas and what is shared. If
 * pg-introspection's query ever changes shape, the whole database is introspected, as PostGraphile does by default
 * (correct, only bigger); test/project-graphql.test.ts checks that the scoping holds.
 */
export function makeProjectPgService(ref: string, options: PgServiceOptions): PgService {
  const scoped = scopedIntrospectionQuery(ref);
  if (!scoped) return makePgService(options);
  // Only the introspection call is given this (and by identity): requests' settings are never it.
  const forIntrospection = Object.freeze({});
  const service = makePgService({ ...options, pgSettingsForIntrospection: forIntrospection });
  const { adaptor } = service;
  service.adaptor = {
    ...adaptor,
    async createWithPgClient(settings, variant) {
      const inner = await adaptor.createWithPgClient(settings, variant);
      const withPgClient = ((pgSettings, callback) =>
        pgSettings === forIntrospection
          ? inner(null, (client) => callback(scopeClient(client, scoped)))
          : inner(pgSettings, callback)) as WithPgClient;
      withPgClient.release = inner.release;
      return withPgClient;
    },
  } as Adaptor;
  return service;
}

function scopeClient(client: Client, scoped: string): Client {
  const query: Client['query'] = (options) =>
    client.query(options.text === FULL_QUERY ? { ...options, text: scoped } : options);
  return Object.assign(Object.create(client) as Client, { query });
}
