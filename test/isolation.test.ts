/**
 * The isolation matrix of the control database: every table, function and endpoint × every kind of caller → what it
 * may do. Data-driven: a new table or function gets a row in the tables below, not a new file (and the meta-tests at
 * the end fail until it has one).
 *
 * The cast: organization A with an owner, an administrator, a developer and a read_only member; a signed-in person
 * who belongs to no organization; a platform admin; nobody (anonymous). Organization B has another owner, its own
 * invitation, sessions, token and audit entries, so "what A's people can see or do to B" is always asked.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import type pg from 'pg';
import { ControlClient, type SignedInUser, signUp, uniqueEmail } from './support/client.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

type Role = 'owner' | 'administrator' | 'developer' | 'read_only';
const CALLERS = ['anonymous', 'outsider', 'read_only', 'developer', 'administrator', 'owner', 'platformAdmin'] as const;
type Caller = (typeof CALLERS)[number];
const A_ROLES: Role[] = ['owner', 'administrator', 'developer', 'read_only'];
const SIGNED_IN = CALLERS.filter((caller) => caller !== 'anonymous');
const MANAGERS: Caller[] = ['owner', 'administrator'];
const NOBODY: Caller[] = [];

const WHO: Record<Caller, string> = {
  anonymous: 'anonymous',
  outsider: 'a signed-in non-member',
  read_only: 'read_only of A',
  developer: 'developer of A',
  administrator: 'administrator of A',
  owner: 'owner of A',
  platformAdmin: 'a platform admin',
};
const isRole = (caller: Caller): caller is Role => (A_ROLES as string[]).includes(caller);

let platform: TestPlatform;

/* ------------------------------------------------------------------------------------------------------------------
 * The fixture world, arranged through the API: A and B with their people, invitations, sessions, tokens, audit log.
 */
interface Fixture {
  users: Record<Exclude<Caller, 'anonymous'> | 'ownerB', SignedInUser>;
  A: { id: string; name: string; slug: string };
  B: { id: string; name: string; slug: string };
  /** The pending invitation of B, and its token (read from the mail outbox). */
  invitationB: { id: string; token: string; email: string };
  /** The project of each organization (rows only). */
  projects: { A: string; B: string };
}
let fixture: Fixture;

const CREATE_ORGANIZATION = `mutation ($name: String!, $slug: String!) {
  createOrganization(input: { name: $name, slug: $slug }) { result { id name slug } }
}`;
const INVITE = `mutation ($organizationId: UUID!, $email: String!, $role: OrganizationRole!) {
  inviteToOrganization(input: { organizationId: $organizationId, email: $email, role: $role }) { result { id } }
}`;

async function invite(by: SignedInUser, organizationId: string, role: Role = 'developer') {
  const email = uniqueEmail('invitee');
  const { inviteToOrganization } = await by.client.data(INVITE, {
    organizationId,
    email,
    role,
  });
  const { rows } = await platform.owner.query(
    `select variables ->> 'token' as token from app_private.mails where recipient = $1 and template = 'organization_invitation'`,
    [email],
  );
  return {
    id: inviteToOrganization.result.id as string,
    token: rows[0].token as string,
    email,
  };
}

test.before(async () => {
  // No worker: the lifecycle mutations here act on project rows only, whose jobs would fail.
  platform = await startTestPlatform({}, { worker: false });
  const names = ['outsider', 'read_only', 'developer', 'administrator', 'owner', 'platformAdmin', 'ownerB'] as const;
  const signedUp = await Promise.all(names.map((name) => signUp(platform, uniqueEmail(name.toLowerCase()))));
  const users = Object.fromEntries(names.map((name, i) => [name, signedUp[i]])) as Fixture['users'];
  await platform.owner.query('update app_public.users set is_platform_admin = true where id = $1', [
    users.platformAdmin.userId,
  ]);
  const newOrganization = async (owner: SignedInUser, label: string) => {
    const slug = `iso-${label}-${randomBytes(4).toString('hex')}`;
    const { createOrganization } = await owner.client.data(CREATE_ORGANIZATION, { name: `Secret ${slug}`, slug });
    return createOrganization.result as Fixture['A'];
  };
  const [A, B] = await Promise.all([newOrganization(users.owner, 'a'), newOrganization(users.ownerB, 'b')]);
  for (const role of ['administrator', 'developer', 'read_only'] as const) {
    await platform.owner.query(
      'insert into app_public.organization_memberships (organization_id, user_id, role) values ($1, $2, $3)',
      [A.id, users[role].userId, role],
    );
  }
  const [, invitationB] = await Promise.all([invite(users.owner, A.id), invite(users.ownerB, B.id)]);
  // Everyone has a personal access token besides their session.
  await Promise.all(
    Object.values(users).map((user) =>
      user.client.data(`mutation { createPersonalAccessToken(input: { name: "script" }) { result } }`),
    ),
  );
  // A project in each organization, as rows only: what they hold in Postgres is tested in projects.test.ts.
  const { rows: projectRows } = await platform.owner.query(
    `insert into app_public.projects (organization_id, name, status) values ($1, 'App A', 'active'), ($2, 'App B', 'active')
     returning id, organization_id`,
    [A.id, B.id],
  );
  const projects = {
    A: projectRows.find((row) => row.organization_id === A.id).id,
    B: projectRows.find((row) => row.organization_id === B.id).id,
  };
  // Saved SQL queries: one of each member of A on A's project; B's owner's and the platform admin's on B's.
  const save = (projectId: string, people: SignedInUser[]) =>
    platform.owner.query(
      `insert into app_public.project_sql_queries (project_id, user_id, name, sql) select $1, unnest($2::uuid[]), 'saved', 'select 1'`,
      [projectId, people.map((person) => person.userId)],
    );
  await save(projects.A, A_ROLES.map((role) => users[role]));
  await save(projects.B, [users.ownerB, users.platformAdmin]);
  fixture = { users, A, B, invitationB, projects };
});
test.after.always(() => platform?.stop());

const userId = (caller: Caller) => (caller === 'anonymous' ? '' : fixture.users[caller].userId);
const clientOf = (caller: Caller) =>
  caller === 'anonymous' ? new ControlClient(platform.url) : fixture.users[caller].client;

/* ------------------------------------------------------------------------------------------------------------------
 * 1. SQL level: as canopy_visitor / canopy_anonymous with canopy.user_id set, in a transaction that is rolled back.
 */
async function asRole<T>(role: string, user: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await platform.owner.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('role', $1, true), set_config('canopy.user_id', $2, true)`, [role, user]);
    return await work(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}
const asCaller = <T>(caller: Caller, work: (client: pg.PoolClient) => Promise<T>) =>
  asRole(caller === 'anonymous' ? 'canopy_anonymous' : 'canopy_visitor', userId(caller), work);

test('the SQL-level tests really run as canopy_visitor and canopy_anonymous, with RLS applying', async (t) => {
  const seen = await asCaller('developer', async (client) => {
    const { rows } = await client.query(`select current_user as role, app_public.current_user_id() as id`);
    return rows[0];
  });
  t.deepEqual(seen, {
    role: 'canopy_visitor',
    id: fixture.users.developer.userId,
  });
  t.is(
    await asCaller('anonymous', async (client) => (await client.query('select current_user as r')).rows[0].r),
    'canopy_anonymous',
  );
});

/**
 * What each caller sees, table by table, as "scopes": an organization (its rows), a set of people (their rows).
 * 'all' is every row (platform admins); the others are exact: anything more is a leak.
 */
type Scope = 'A' | 'B' | 'self' | 'A people' | 'all' | 'everyone';
interface TableSpec {
  graphql: string;
  /** The row's id and the scope it belongs to (an organization id or a user id). */
  scope: string;
  sees: Record<Caller, Scope[]>;
}
const members = (scopes: Scope[]) => Object.fromEntries(A_ROLES.map((role) => [role, scopes])) as Record<Role, Scope[]>;
const orgScoped: TableSpec['sees'] = {
  anonymous: [],
  outsider: [],
  ...members(['A']),
  platformAdmin: ['all'],
};
const ownOnly: TableSpec['sees'] = {
  anonymous: [],
  outsider: ['self'],
  ...members(['self']),
  platformAdmin: ['self'],
};

const TABLES: Record<string, TableSpec> = {
  organizations: { graphql: 'organizations', scope: 'id', sees: orgScoped },
  projects: { graphql: 'projects', scope: 'organization_id', sees: orgScoped },
  // What plans allow is public knowledge, as on any pricing page.
  plans: {
    graphql: 'plans',
    scope: `'everyone'`,
    sees: Object.fromEntries(CALLERS.map((caller) => [caller, ['everyone']])) as Record<Caller, Scope[]>,
  },
  organization_memberships: {
    graphql: 'organizationMemberships',
    scope: 'organization_id',
    sees: orgScoped,
  },
  organization_invitations: {
    graphql: 'organizationInvitations',
    scope: 'organization_id',
    sees: orgScoped,
  },
  users: {
    graphql: 'users',
    scope: 'id',
    sees: {
      anonymous: [],
      outsider: ['self'],
      ...members(['A people']),
      platformAdmin: ['all'],
    },
  },
  sessions: { graphql: 'sessions', scope: 'user_id', sees: ownOnly },
  personal_access_tokens: {
    graphql: 'personalAccessTokens',
    scope: 'user_id',
    sees: ownOnly,
  },
  // Saved SQL queries are their author's alone, whoever else may see the project.
  project_sql_queries: { graphql: 'projectSqlQueries', scope: 'user_id', sees: ownOnly },
  audit_events: {
    graphql: 'auditEvents',
    // An entry belongs to its organization, or (account entries) to the account it is about.
    scope: 'coalesce(organization_id, user_id)',
    sees: {
      anonymous: [],
      outsider: ['self'],
      read_only: ['self'],
      developer: ['self'],
      administrator: ['A', 'self'],
      owner: ['A', 'self'],
      platformAdmin: ['all'],
    },
  },
};

/** The fixture's rows of a table (id → scope id), read as canopy_owner. */
async function fixtureRows(table: string): Promise<Map<string, string>> {
  const scopes = ['everyone', fixture.A.id, fixture.B.id, ...Object.values(fixture.users).map((user) => user.userId)];
  const { rows } = await platform.owner.query(
    `select id::text, (${TABLES[table].scope})::text as scope from app_public.${table}
     where (${TABLES[table].scope})::text = any($1)`,
    [scopes],
  );
  return new Map(rows.map((row) => [row.id, row.scope]));
}

/** The ids the caller should see: exact, or (for 'all') a lower bound. */
async function expectedIds(table: string, caller: Caller): Promise<{ ids: string[]; exact: boolean }> {
  const rows = await fixtureRows(table);
  const scopes = TABLES[table].sees[caller];
  if (scopes.includes('all')) return { ids: [...rows.keys()].sort(), exact: false };
  const allowed = new Set<string>();
  for (const scope of scopes) {
    if (scope === 'A') allowed.add(fixture.A.id);
    if (scope === 'B') allowed.add(fixture.B.id);
    if (scope === 'self') allowed.add(userId(caller));
    if (scope === 'A people') for (const role of A_ROLES) allowed.add(fixture.users[role].userId);
    if (scope === 'everyone') allowed.add('everyone');
  }
  return {
    ids: [...rows]
      .filter(([, scope]) => allowed.has(scope))
      .map(([id]) => id)
      .sort(),
    exact: true,
  };
}

function seesSentence(table: string, caller: Caller): string {
  const scopes = TABLES[table].sees[caller];
  if (scopes.includes('all')) return `sees all ${table} rows`;
  const what: Record<Scope, string> = {
    A: 'organization A',
    B: 'organization B',
    self: 'their own account',
    'A people': "A's people",
    all: 'everyone',
    everyone: 'everyone (public)',
  };
  return scopes.length
    ? `sees only the ${table} rows of ${scopes.map((s) => what[s]).join(' and ')}`
    : `sees no ${table} rows`;
}

for (const table of Object.keys(TABLES)) {
  for (const caller of CALLERS) {
    const sentence = seesSentence(table, caller);
    test(`SQL: ${WHO[caller]} ${sentence}`, async (t) => {
      const expected = await expectedIds(table, caller);
      const { rows } = await asCaller(caller, (client) => client.query(`select id::text from app_public.${table}`));
      const seen = rows.map((row) => row.id as string).sort();
      if (expected.exact) t.deepEqual(seen, expected.ids);
      else
        t.deepEqual(
          expected.ids.filter((id) => !seen.includes(id)),
          [],
        );
    });
    test(`GraphQL: ${WHO[caller]} ${sentence}`, async (t) => {
      const expected = await expectedIds(table, caller);
      const field = TABLES[table].graphql;
      const result = await clientOf(caller).request(`{ ${field} { nodes { id } } }`);
      t.falsy(result.errors, JSON.stringify(result.errors));
      const seen = (result.data?.[field]?.nodes ?? []).map((node: { id: string }) => String(node.id)).sort();
      if (expected.exact) t.deepEqual(seen, expected.ids);
      else
        t.deepEqual(
          expected.ids.filter((id) => !seen.includes(id)),
          [],
        );
    });
  }
}

/**
 * Writes at the SQL level, each in a transaction rolled back: allowed means at least one row changed; refused means
 * permission denied (42501) or no row touched.
 */
interface WriteCase {
  table: string;
  what: (caller: Caller) => string;
  allowed: Caller[];
  sql: (caller: Caller) => [string, unknown[]];
}
const other = (caller: Caller) => fixture.users[caller === 'owner' ? 'administrator' : 'owner'].userId;
const orgIds = { A: () => fixture.A.id, B: () => fixture.B.id };
const WRITES: WriteCase[] = [
  ...[
    "insert into app_public.plans (id, name, max_projects, sort_order) values ('mine', 'Mine', 999, 9)",
    'update app_public.plans set max_projects = 999',
    'delete from app_public.plans',
  ].map((text): WriteCase => ({
    table: 'plans',
    what: () => `${text.split(' ')[0]} plans`,
    allowed: NOBODY,
    sql: () => [text, []],
  })),
  {
    table: 'organizations',
    what: () => 'insert an organization directly',
    allowed: NOBODY,
    sql: () => [`insert into app_public.organizations (name, slug) values ('x', 'iso-direct-insert')`, []],
  },
  ...(['A', 'B'] as const).flatMap((org): WriteCase[] => [
    {
      table: 'organizations',
      what: () => `rename organization ${org}`,
      allowed: org === 'A' ? MANAGERS : NOBODY,
      sql: () => [`update app_public.organizations set name = 'Renamed' where id = $1`, [orgIds[org]()]],
    },
    {
      table: 'organizations',
      what: () => `delete organization ${org} directly (it is a job: delete_organization)`,
      allowed: NOBODY,
      sql: () => [`delete from app_public.organizations where id = $1`, [orgIds[org]()]],
    },
    {
      table: 'projects',
      what: () => `insert a project into organization ${org} directly`,
      allowed: NOBODY,
      sql: () => [`insert into app_public.projects (organization_id, name) values ($1, 'direct')`, [orgIds[org]()]],
    },
    {
      table: 'projects',
      what: () => `change the status of organization ${org}'s project directly`,
      allowed: NOBODY,
      sql: () => [`update app_public.projects set status = 'deleted' where organization_id = $1`, [orgIds[org]()]],
    },
    {
      table: 'projects',
      what: () => `delete organization ${org}'s project directly`,
      allowed: NOBODY,
      sql: () => [`delete from app_public.projects where organization_id = $1`, [orgIds[org]()]],
    },
    {
      table: 'organization_memberships',
      what: () => `insert themselves into organization ${org} as owner`,
      allowed: NOBODY,
      sql: (caller) => [
        `insert into app_public.organization_memberships (organization_id, user_id, role) values ($1, $2, 'owner')`,
        [orgIds[org](), userId(caller) || fixture.users.outsider.userId],
      ],
    },
    {
      table: 'organization_memberships',
      what: () => `update roles in organization ${org} directly`,
      allowed: NOBODY,
      sql: () => [
        `update app_public.organization_memberships set role = 'owner' where organization_id = $1`,
        [orgIds[org]()],
      ],
    },
    {
      table: 'organization_memberships',
      what: () => `delete memberships of organization ${org} directly`,
      allowed: NOBODY,
      sql: () => [`delete from app_public.organization_memberships where organization_id = $1`, [orgIds[org]()]],
    },
    {
      table: 'organization_invitations',
      what: () => `insert an invitation into organization ${org} directly`,
      allowed: NOBODY,
      sql: () => [
        `insert into app_public.organization_invitations (organization_id, email, role, token_hash)
         values ($1, 'direct@example.com', 'owner', '\\x00')`,
        [orgIds[org]()],
      ],
    },
    {
      table: 'organization_invitations',
      what: () => `update invitations of organization ${org} directly`,
      allowed: NOBODY,
      sql: () => [
        `update app_public.organization_invitations set role = 'owner' where organization_id = $1`,
        [orgIds[org]()],
      ],
    },
    {
      table: 'organization_invitations',
      what: () => `delete invitations of organization ${org} directly`,
      allowed: NOBODY,
      sql: () => [`delete from app_public.organization_invitations where organization_id = $1`, [orgIds[org]()]],
    },
    {
      table: 'audit_events',
      what: () => `update organization ${org}'s audit entries`,
      allowed: NOBODY,
      sql: () => [`update app_public.audit_events set action = 'nothing' where organization_id = $1`, [orgIds[org]()]],
    },
    {
      table: 'audit_events',
      what: () => `delete organization ${org}'s audit entries`,
      allowed: NOBODY,
      sql: () => [`delete from app_public.audit_events where organization_id = $1`, [orgIds[org]()]],
    },
  ]),
  {
    table: 'users',
    what: () => 'rename their own account',
    allowed: SIGNED_IN,
    sql: () => [`update app_public.users set name = 'Renamed' where id = app_public.current_user_id()`, []],
  },
  {
    table: 'users',
    what: () => 'make themselves a platform admin',
    allowed: NOBODY,
    sql: () => [`update app_public.users set is_platform_admin = true where id = app_public.current_user_id()`, []],
  },
  {
    table: 'users',
    what: () => "rename a teammate's account",
    allowed: NOBODY,
    sql: (caller) => [`update app_public.users set name = 'Renamed' where id = $1`, [other(caller)]],
  },
  {
    table: 'users',
    what: () => "rename organization B's owner's account",
    allowed: NOBODY,
    sql: () => [`update app_public.users set name = 'Renamed' where id = $1`, [fixture.users.ownerB.userId]],
  },
  {
    table: 'users',
    what: () => 'insert a user directly',
    allowed: NOBODY,
    sql: () => [`insert into app_public.users (email) values ('direct@example.com')`, []],
  },
  {
    table: 'users',
    what: () => 'delete their own account directly',
    allowed: NOBODY,
    sql: () => [`delete from app_public.users where id = app_public.current_user_id()`, []],
  },
  ...(['sessions', 'personal_access_tokens'] as const).flatMap((table): WriteCase[] => [
    {
      table,
      what: () => `delete their own ${table}`,
      allowed: SIGNED_IN,
      sql: () => [`delete from app_public.${table} where user_id = app_public.current_user_id()`, []],
    },
    {
      table,
      what: () => `delete a teammate's ${table}`,
      allowed: NOBODY,
      sql: (caller) => [`delete from app_public.${table} where user_id = $1`, [other(caller)]],
    },
    {
      table,
      what: () => `delete organization B's owner's ${table}`,
      allowed: NOBODY,
      sql: () => [`delete from app_public.${table} where user_id = $1`, [fixture.users.ownerB.userId]],
    },
    {
      table,
      what: () => `extend their own ${table}`,
      allowed: NOBODY,
      sql: () => [
        `update app_public.${table} set expires_at = now() + interval '100 years' where user_id = app_public.current_user_id()`,
        [],
      ],
    },
    {
      table,
      what: () => `move organization B's owner's ${table} to themselves`,
      allowed: NOBODY,
      sql: (caller) => [
        `update app_public.${table} set user_id = $2 where user_id = $1`,
        [fixture.users.ownerB.userId, userId(caller) || null],
      ],
    },
  ]),
  {
    table: 'sessions',
    what: () => 'insert a session directly',
    allowed: NOBODY,
    sql: (caller) => [
      `insert into app_public.sessions (user_id, token_hash, expires_at) values ($1, '\\x01', now() + interval '1 day')`,
      [userId(caller) || fixture.users.ownerB.userId],
    ],
  },
  {
    table: 'personal_access_tokens',
    what: () => 'insert a personal access token directly',
    allowed: NOBODY,
    sql: (caller) => [
      `insert into app_public.personal_access_tokens (user_id, name, token_hash, token_prefix) values ($1, 'x', '\\x01', 'x')`,
      [userId(caller) || fixture.users.ownerB.userId],
    ],
  },
  {
    table: 'audit_events',
    what: () => 'insert an audit entry',
    allowed: NOBODY,
    sql: () => [`insert into app_public.audit_events (action, target_type) values ('forged', 'x')`, []],
  },
  {
    table: 'audit_events',
    what: () => 'delete their own account audit entries',
    allowed: NOBODY,
    sql: (caller) => [
      `delete from app_public.audit_events where user_id = $1`,
      [userId(caller) || fixture.users.ownerB.userId],
    ],
  },
  ...(['A', 'B'] as const).flatMap((org): WriteCase[] => [
    {
      table: 'project_sql_queries',
      what: () => `save a SQL query on organization ${org}'s project`,
      // Whoever may see the project (platform admins see every project; running SQL is another matter).
      allowed: org === 'A' ? [...A_ROLES, 'platformAdmin'] : ['platformAdmin'],
      sql: () => [
        `insert into app_public.project_sql_queries (project_id, name, sql) values ($1, 'mine', 'select 1')`,
        [fixture.projects[org]],
      ],
    },
    {
      table: 'project_sql_queries',
      what: () => `save a SQL query on organization ${org}'s project in its owner's name`,
      allowed: NOBODY,
      sql: () => [
        `insert into app_public.project_sql_queries (project_id, user_id, name, sql) values ($1, $2, 'forged', 'select 1')`,
        [fixture.projects[org], fixture.users[org === 'A' ? 'owner' : 'ownerB'].userId],
      ],
    },
  ]),
  {
    table: 'project_sql_queries',
    what: () => 'rename their own saved SQL queries',
    allowed: [...A_ROLES, 'platformAdmin'],
    sql: () => [`update app_public.project_sql_queries set name = 'Renamed' where user_id = app_public.current_user_id()`, []],
  },
  {
    table: 'project_sql_queries',
    what: () => "rename a teammate's saved SQL queries",
    allowed: NOBODY,
    sql: (caller) => [`update app_public.project_sql_queries set name = 'Renamed' where user_id = $1`, [other(caller)]],
  },
  {
    table: 'project_sql_queries',
    what: () => 'move their saved SQL queries to organization B\'s project',
    allowed: NOBODY,
    sql: () => [
      `update app_public.project_sql_queries set project_id = $1 where user_id = app_public.current_user_id()`,
      [fixture.projects.B],
    ],
  },
  {
    table: 'project_sql_queries',
    what: () => "give their saved SQL queries to organization B's owner",
    allowed: NOBODY,
    sql: () => [
      `update app_public.project_sql_queries set user_id = $1 where user_id = app_public.current_user_id()`,
      [fixture.users.ownerB.userId],
    ],
  },
  {
    table: 'project_sql_queries',
    what: () => 'delete their own saved SQL queries',
    allowed: [...A_ROLES, 'platformAdmin'],
    sql: () => [`delete from app_public.project_sql_queries where user_id = app_public.current_user_id()`, []],
  },
  {
    table: 'project_sql_queries',
    what: () => "delete organization B's owner's saved SQL queries",
    allowed: NOBODY,
    sql: () => [`delete from app_public.project_sql_queries where user_id = $1`, [fixture.users.ownerB.userId]],
  },
];

async function attempt(client: pg.PoolClient, [text, values]: [string, unknown[]]): Promise<'allowed' | 'refused'> {
  try {
    const result = await client.query(text, values);
    return (result.rowCount ?? 0) > 0 ? 'allowed' : 'refused';
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return 'refused';
    throw error;
  }
}

for (const write of WRITES) {
  for (const caller of CALLERS) {
    const allowed = write.allowed.includes(caller);
    test(`SQL: ${WHO[caller]} ${allowed ? 'can' : 'cannot'} ${write.what(caller)}`, async (t) => {
      t.is(await asCaller(caller, (client) => attempt(client, write.sql(caller))), allowed ? 'allowed' : 'refused');
    });
  }
}

for (const role of ['canopy_visitor', 'canopy_anonymous']) {
  test(`SQL: ${role} is denied reading every app_private and app_hidden table`, async (t) => {
    const { rows } = await platform.owner.query(
      `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('app_private', 'app_hidden') and c.relkind in ('r', 'p', 'v', 'm', 'f')`,
    );
    t.true(rows.length > 0);
    for (const { name } of rows) {
      const error = await asRole(role, userId('developer'), (client) =>
        client.query(`select * from ${name} limit 1`).then(
          () => undefined,
          (e) => e,
        ),
      );
      t.is(error?.code, '42501', `${role} read ${name}`);
    }
  });
  for (const table of ['sessions', 'personal_access_tokens', 'organization_invitations']) {
    test(`SQL: ${role} can never select token_hash from ${table}`, async (t) => {
      const error = await asRole(role, userId('owner'), (client) =>
        client.query(`select token_hash from app_public.${table}`).then(
          () => undefined,
          (e) => e,
        ),
      );
      t.is(error?.code, '42501');
    });
  }
}

test('no secret column (token_hash, password_hash) anywhere is selectable by canopy_visitor or canopy_anonymous', async (t) => {
  const { rows } = await platform.owner.query(
    `select format('%I.%I.%I', n.nspname, c.relname, a.attname) as col, r.rolname
     from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     cross join (values ('canopy_visitor'), ('canopy_anonymous')) as r (rolname)
     where n.nspname in ('app_public', 'app_hidden', 'app_private') and a.attnum > 0 and not a.attisdropped
       and a.attname like '%\\_hash' and has_column_privilege(r.rolname, c.oid, a.attnum, 'SELECT')`,
  );
  t.deepEqual(rows, []);
});

/* ------------------------------------------------------------------------------------------------------------------
 * 2. GraphQL mutations through real HTTP. Each test arranges its own world (directly in SQL, fast) so that what one
 * test changes cannot change what another sees: A with the caller in their role, a developer "target" and a pending
 * invitation; B with its owner, a developer target, a pending invitation; sessions and tokens for each.
 */
interface Person {
  id: string;
  email: string;
  token: string;
  sessionId: string;
  patId: string;
}
interface World {
  caller?: Person;
  client: ControlClient;
  A: {
    id: string;
    name: string;
    slug: string;
    memberCount: number;
    target: Person & { membershipId: string };
    invitation: { id: string; token: string };
    /** Projects in each status a lifecycle mutation starts from (rows only). */
    projects: Record<'active' | 'paused' | 'failed', string>;
  };
  B: World['A'] & { owner: Person };
  /** A pending invitation to B for the caller's own email. */
  invitationForCaller?: { id: string; token: string };
}

async function person(db: pg.PoolClient, label: string): Promise<Person> {
  const email = uniqueEmail(`iso-${label}`);
  const { rows } = await db.query(`select id from app_private.create_user($1, 'not a password hash', null)`, [email]);
  const id = rows[0].id;
  const token = (await db.query(`select app_private.create_session($1, interval '1 hour', null, null) as token`, [id]))
    .rows[0].token;
  const session = await db.query(`select id from app_public.sessions where token_hash = app_private.hash_token($1)`, [
    token,
  ]);
  const pat = await db.query(
    `insert into app_public.personal_access_tokens (user_id, name, token_hash, token_prefix)
     values ($1, 'script', gen_random_bytes(32), 'cnp_pat_xxxx') returning id`,
    [id],
  );
  return {
    id,
    email,
    token,
    sessionId: session.rows[0].id,
    patId: pat.rows[0].id,
  };
}

async function organization(db: pg.PoolClient, label: string, owner: Person | undefined) {
  const slug = `iso-${label}-${randomBytes(5).toString('hex')}`;
  const name = `Secret ${slug}`;
  // On the pro plan, so that its three projects leave room for one more.
  const { rows } = await db.query(`insert into app_public.organizations (name, slug, plan_id) values ($1, $2, 'pro') returning id`, [
    name,
    slug,
  ]);
  const id = rows[0].id;
  if (owner) await member(db, id, owner.id, 'owner');
  const target = await person(db, `${label}-target`);
  const membershipId = await member(db, id, target.id, 'developer');
  const invitation = await invitationTo(db, id, uniqueEmail(`iso-${label}-invitee`), owner?.id);
  const projects = Object.fromEntries(
    await Promise.all(
      (['active', 'paused', 'failed'] as const).map(async (status) => {
        const { rows: created } = await db.query(
          `insert into app_public.projects (organization_id, name, status) values ($1, $2, $3) returning id`,
          [id, `${status} project`, status],
        );
        return [status, created[0].id as string];
      }),
    ),
  ) as World['A']['projects'];
  return { id, name, slug, target: { ...target, membershipId }, invitation, projects };
}

async function member(db: pg.PoolClient, organizationId: string, user: string, role: Role): Promise<string> {
  const { rows } = await db.query(
    `insert into app_public.organization_memberships (organization_id, user_id, role) values ($1, $2, $3) returning id`,
    [organizationId, user, role],
  );
  return rows[0].id;
}

async function invitationTo(db: pg.PoolClient, organizationId: string, email: string, by?: string) {
  const token = randomBytes(24).toString('hex');
  const { rows } = await db.query(
    `insert into app_public.organization_invitations (organization_id, email, role, token_hash, invited_by)
     values ($1, $2, 'developer', app_private.hash_token($3), $4) returning id`,
    [organizationId, email, token, by ?? null],
  );
  return { id: rows[0].id as string, token };
}

async function arrangeWorld(caller: Caller): Promise<World> {
  const db = await platform.owner.connect();
  try {
    const me = caller === 'anonymous' ? undefined : await person(db, caller.toLowerCase());
    if (caller === 'platformAdmin')
      await db.query('update app_public.users set is_platform_admin = true where id = $1', [me!.id]);
    const ownerA = caller === 'owner' ? me : await person(db, 'owner-a');
    const A = await organization(db, 'a', ownerA);
    if (me && isRole(caller) && caller !== 'owner') await member(db, A.id, me.id, caller);
    const ownerB = await person(db, 'owner-b');
    const B = { ...(await organization(db, 'b', ownerB)), owner: ownerB };
    const invitationForCaller = me ? await invitationTo(db, B.id, me.email, ownerB.id) : undefined;
    const count = async (id: string) =>
      (await db.query('select from app_public.organization_memberships where organization_id = $1', [id])).rowCount!;
    return {
      caller: me,
      client: new ControlClient(platform.url, me ? { token: me.token } : {}),
      A: { ...A, memberCount: await count(A.id) },
      B: { ...B, memberCount: await count(B.id) },
      invitationForCaller,
    };
  } finally {
    db.release();
  }
}

const one = async (text: string, values: unknown[]) => (await platform.owner.query(text, values)).rows[0];
const memberCount = async (organizationId: string) =>
  (
    await platform.owner.query('select from app_public.organization_memberships where organization_id = $1', [
      organizationId,
    ])
  ).rowCount!;
const exists = async (table: string, id: string) =>
  (await platform.owner.query(`select from app_public.${table} where id = $1`, [id])).rowCount === 1;

interface MutationCase {
  what: string;
  /** The SQL functions (app_public) this case exercises, for the completeness meta-test. */
  functions?: string[];
  allowed: Caller[];
  request: (w: World) => [string, Record<string, unknown>];
  /** Whether the change happened, read as canopy_owner. */
  happened: (w: World) => Promise<boolean>;
}

const ORGS = ['A', 'B'] as const;
const MUTATIONS: MutationCase[] = [
  ...ORGS.flatMap((org): MutationCase[] => [
    {
      what: `rename organization ${org}`,
      allowed: org === 'A' ? MANAGERS : NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { updateOrganization(input: { id: $id, patch: { name: "Renamed" } }) { organization { id name slug } } }`,
        { id: w[org].id },
      ],
      happened: async (w) =>
        (await one('select name from app_public.organizations where id = $1', [w[org].id])).name === 'Renamed',
    },
    {
      what: `delete organization ${org}`,
      functions: ['delete_organization'],
      allowed: org === 'A' ? ['owner'] : NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { deleteOrganization(input: { organizationId: $id }) { result { id deletingAt } } }`,
        { id: w[org].id },
      ],
      // The deletion job may already have removed the row.
      happened: async (w) =>
        (await platform.owner.query('select from app_public.organizations where id = $1 and deleting_at is null', [w[org].id]))
          .rowCount === 0,
    },
    {
      what: `create a project in organization ${org}`,
      functions: ['create_project'],
      allowed: org === 'A' ? MANAGERS : NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { createProject(input: { organizationId: $id, name: "iso-new" }) { result { id } } }`,
        { id: w[org].id },
      ],
      happened: async (w) =>
        (await platform.owner.query(`select from app_public.projects where organization_id = $1 and name = 'iso-new'`, [w[org].id]))
          .rowCount === 1,
    },
    ...(
      [
        ['pause', 'pauseProject', 'pause_project', 'active'],
        ['resume', 'resumeProject', 'resume_project', 'paused'],
        ['delete', 'deleteProject', 'delete_project', 'active'],
        ['retry', 'retryProject', 'retry_project', 'failed'],
      ] as const
    ).map(
      ([verb, field, fn, from]): MutationCase => ({
        what: `${verb} a project of organization ${org}`,
        functions: [fn],
        allowed: org === 'A' ? MANAGERS : NOBODY,
        request: (w) => [
          `mutation ($id: UUID!) { ${field}(input: { projectId: $id }) { result { id status } } }`,
          { id: w[org].projects[from] },
        ],
        // Moved on from `from` (the job may already have taken it further, or failed on these row-only projects).
        happened: async (w) =>
          (await one('select status from app_public.projects where id = $1', [w[org].projects[from]])).status !== from,
      }),
    ),
    ...(
      [
        ['rotate the JWT secret of', 'rotateProjectJwtSecret', 'rotate_project_jwt_secret', 'project.rotate_jwt_secret'],
        ['reset the database password of', 'resetProjectDatabasePassword', 'reset_project_database_password', 'project.reset_database_password'],
      ] as const
    ).map(
      ([what, field, fn, action]): MutationCase => ({
        what: `${what} a project of organization ${org}`,
        functions: [fn],
        allowed: org === 'A' ? MANAGERS : NOBODY,
        request: (w) => [`mutation ($id: UUID!) { ${field}(input: { projectId: $id }) { result } }`, { id: w[org].projects.active }],
        happened: async (w) =>
          (await platform.owner.query('select from app_public.audit_events where action = $1 and target_id = $2', [
            action,
            w[org].projects.active,
          ])).rowCount === 1,
      }),
    ),
    {
      what: `change a member's role in organization ${org}`,
      functions: ['change_member_role'],
      allowed: org === 'A' ? MANAGERS : NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { changeMemberRole(input: { membershipId: $id, role: read_only }) { result { id role userId } } }`,
        { id: w[org].target.membershipId },
      ],
      happened: async (w) =>
        (await one('select role from app_public.organization_memberships where id = $1', [w[org].target.membershipId]))
          .role === 'read_only',
    },
    {
      what: `make a member of organization ${org} an owner`,
      functions: ['change_member_role'],
      allowed: org === 'A' ? ['owner'] : NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { changeMemberRole(input: { membershipId: $id, role: owner }) { result { id role userId } } }`,
        { id: w[org].target.membershipId },
      ],
      happened: async (w) =>
        (await one('select role from app_public.organization_memberships where id = $1', [w[org].target.membershipId]))
          .role === 'owner',
    },
    {
      what: `remove a member from organization ${org}`,
      functions: ['remove_member'],
      allowed: org === 'A' ? MANAGERS : NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { removeMember(input: { membershipId: $id }) { result { id userId } } }`,
        { id: w[org].target.membershipId },
      ],
      happened: async (w) => !(await exists('organization_memberships', w[org].target.membershipId)),
    },
    ...(['developer', 'owner'] as const).map((role): MutationCase => ({
      what: `invite ${role === 'owner' ? 'an' : 'a'} ${role} to organization ${org}`,
      functions: ['invite_to_organization'],
      allowed: org === 'B' ? NOBODY : role === 'owner' ? ['owner'] : MANAGERS,
      request: (w) => [
        `mutation ($id: UUID!, $email: String!, $role: OrganizationRole!) {
             inviteToOrganization(input: { organizationId: $id, email: $email, role: $role }) { result { id email organizationId } }
           }`,
        {
          id: w[org].id,
          email: `invited-${w[org].slug}@example.com`,
          role,
        },
      ],
      happened: async (w) =>
        (
          await platform.owner.query('select from app_public.organization_invitations where email = $1', [
            `invited-${w[org].slug}@example.com`,
          ])
        ).rowCount === 1,
    })),
    {
      what: `revoke an invitation of organization ${org}`,
      functions: ['revoke_organization_invitation'],
      allowed: org === 'A' ? MANAGERS : NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { revokeOrganizationInvitation(input: { invitationId: $id }) { result { id email status } } }`,
        { id: w[org].invitation.id },
      ],
      happened: async (w) =>
        (await one('select status from app_public.organization_invitations where id = $1', [w[org].invitation.id]))
          .status === 'revoked',
    },
    {
      what: `transfer ownership of organization ${org}`,
      functions: ['transfer_ownership'],
      allowed: org === 'A' ? ['owner'] : NOBODY,
      request: (w) => [
        `mutation ($org: UUID!, $to: UUID!) { transferOwnership(input: { organizationId: $org, toUserId: $to }) { result { id role } } }`,
        { org: w[org].id, to: w[org].target.id },
      ],
      happened: async (w) =>
        (await one('select role from app_public.organization_memberships where id = $1', [w[org].target.membershipId]))
          .role === 'owner',
    },
    {
      what: `leave organization ${org}`,
      functions: ['leave_organization', 'remove_member'],
      // The owner of A is its only owner: LAST_OWNER.
      allowed: org === 'A' ? ['administrator', 'developer', 'read_only'] : NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { leaveOrganization(input: { organizationId: $id }) { result { id } } }`,
        { id: w[org].id },
      ],
      happened: async (w) => (await memberCount(w[org].id)) < w[org].memberCount,
    },
    {
      what: `end the session of a member of organization ${org}`,
      allowed: NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { deleteSession(input: { id: $id }) { session { id userId userAgent } } }`,
        { id: w[org].target.sessionId },
      ],
      happened: async (w) => !(await exists('sessions', w[org].target.sessionId)),
    },
    {
      what: `revoke the personal access token of a member of organization ${org}`,
      allowed: NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { deletePersonalAccessToken(input: { id: $id }) { personalAccessToken { id name tokenPrefix } } }`,
        { id: w[org].target.patId },
      ],
      happened: async (w) => !(await exists('personal_access_tokens', w[org].target.patId)),
    },
    {
      what: `rename the account of a member of organization ${org}`,
      allowed: NOBODY,
      request: (w) => [
        `mutation ($id: UUID!) { updateUser(input: { id: $id, patch: { name: "Renamed" } }) { user { id name email } } }`,
        { id: w[org].target.id },
      ],
      happened: async (w) =>
        (await one('select name from app_public.users where id = $1', [w[org].target.id])).name === 'Renamed',
    },
  ]),
  {
    what: `accept organization B's invitation meant for someone else`,
    functions: ['accept_organization_invitation'],
    allowed: NOBODY,
    request: (w) => [
      `mutation ($token: String!) { acceptOrganizationInvitation(input: { token: $token }) { result { id organizationId } } }`,
      { token: w.B.invitation.token },
    ],
    happened: async (w) =>
      (await one('select status from app_public.organization_invitations where id = $1', [w.B.invitation.id]))
        .status !== 'pending',
  },
  {
    what: `accept an invitation to organization B meant for them`,
    functions: ['accept_organization_invitation'],
    allowed: SIGNED_IN,
    request: (w) => [
      `mutation ($token: String!) { acceptOrganizationInvitation(input: { token: $token }) { result { id organizationId } } }`,
      { token: w.invitationForCaller?.token ?? w.B.invitation.token },
    ],
    happened: async (w) =>
      !!w.caller &&
      (
        await platform.owner.query(
          'select from app_public.organization_memberships where organization_id = $1 and user_id = $2',
          [w.B.id, w.caller.id],
        )
      ).rowCount === 1,
  },
  {
    what: `decline an invitation to organization B meant for them`,
    functions: ['decline_organization_invitation'],
    allowed: SIGNED_IN,
    request: (w) => [
      `mutation ($token: String!) { declineOrganizationInvitation(input: { token: $token }) { result { id status } } }`,
      { token: w.invitationForCaller?.token ?? w.B.invitation.token },
    ],
    happened: async (w) =>
      (
        await platform.owner.query(
          `select from app_public.organization_invitations where id = any($1) and status = 'declined'`,
          [[w.invitationForCaller?.id, w.B.invitation.id].filter(Boolean)],
        )
      ).rowCount! > 0,
  },
  {
    what: 'create an organization',
    functions: ['create_organization'],
    allowed: SIGNED_IN,
    request: (w) => [
      `mutation ($slug: String!) { createOrganization(input: { name: "New", slug: $slug }) { result { id } } }`,
      { slug: `${w.A.slug}-new` },
    ],
    happened: async (w) =>
      (await platform.owner.query('select from app_public.organizations where slug = $1', [`${w.A.slug}-new`]))
        .rowCount === 1,
  },
  {
    what: 'create a personal access token',
    functions: ['create_personal_access_token'],
    allowed: SIGNED_IN,
    request: (w) => [
      `mutation ($name: String!) { createPersonalAccessToken(input: { name: $name }) { result } }`,
      { name: `${w.A.slug}-token` },
    ],
    happened: async (w) =>
      (
        await platform.owner.query('select from app_public.personal_access_tokens where name = $1', [
          `${w.A.slug}-token`,
        ])
      ).rowCount === 1,
  },
  {
    what: 'end their own session',
    allowed: SIGNED_IN,
    request: (w) => [
      `mutation ($id: UUID!) { deleteSession(input: { id: $id }) { session { id } } }`,
      { id: w.caller?.sessionId ?? w.B.owner.sessionId },
    ],
    happened: async (w) => !!w.caller && !(await exists('sessions', w.caller.sessionId)),
  },
  {
    what: 'revoke their own personal access token',
    allowed: SIGNED_IN,
    request: (w) => [
      `mutation ($id: UUID!) { deletePersonalAccessToken(input: { id: $id }) { personalAccessToken { id } } }`,
      { id: w.caller?.patId ?? w.B.owner.patId },
    ],
    happened: async (w) => !!w.caller && !(await exists('personal_access_tokens', w.caller.patId)),
  },
  {
    what: 'rename their own account',
    allowed: SIGNED_IN,
    request: (w) => [
      `mutation ($id: UUID!) { updateUser(input: { id: $id, patch: { name: "Renamed" } }) { user { id name } } }`,
      { id: w.caller?.id ?? w.B.owner.id },
    ],
    happened: async (w) =>
      (
        await platform.owner.query(`select from app_public.users where id = $1 and name = 'Renamed'`, [
          w.caller?.id ?? w.B.owner.id,
        ])
      ).rowCount === 1,
  },
  {
    what: "rename organization B's owner's account",
    allowed: NOBODY,
    request: (w) => [
      `mutation ($id: UUID!) { updateUser(input: { id: $id, patch: { name: "Renamed" } }) { user { id name email } } }`,
      { id: w.B.owner.id },
    ],
    happened: async (w) =>
      (await one('select name from app_public.users where id = $1', [w.B.owner.id])).name === 'Renamed',
  },
];

/** Codes that say "no" to a caller; INTERNAL_ERROR is never one of them. */
const REFUSALS = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'LAST_OWNER',
  'INVITATION_FOR_ANOTHER_EMAIL',
  'ALREADY_MEMBER',
];

for (const mutation of MUTATIONS) {
  for (const caller of CALLERS) {
    const allowed = mutation.allowed.includes(caller);
    test(`GraphQL: ${WHO[caller]} ${allowed ? 'can' : 'cannot'} ${mutation.what}`, async (t) => {
      const w = await arrangeWorld(caller);
      const [query, variables] = mutation.request(w);
      const result = await w.client.request(query, variables);
      if (allowed) {
        t.falsy(result.errors, JSON.stringify(result.errors));
        t.true(await mutation.happened(w), 'the change was made');
        return;
      }
      const codes = (result.errors ?? []).map((error) => error.extensions?.code);
      t.deepEqual(
        codes.filter((code) => !REFUSALS.includes(code ?? '')),
        [],
        `refused with ${JSON.stringify(result.errors)}`,
      );
      const payload = result.data && Object.values(result.data)[0];
      t.true(
        codes.length > 0 || payload == null || Object.values(payload).every((value) => value == null),
        JSON.stringify(result),
      );
      t.false(await mutation.happened(w), 'nothing changed');
      // Never a word of B: its name, slug, people or invitation.
      const body = JSON.stringify(result);
      for (const secret of [w.B.name, w.B.slug, w.B.owner.email, w.B.target.email, w.B.owner.id, w.B.target.id]) {
        if (!JSON.stringify(variables).includes(secret)) t.false(body.includes(secret), `the response names ${secret}`);
      }
    });
  }
}

/** Reading an invitation by its token is for whoever holds the token, signed in or not; without it, nothing. */
for (const caller of CALLERS) {
  test(`GraphQL: ${WHO[caller]} sees what organization B's invitation token invites to, and nothing without it`, async (t) => {
    const query = `query ($token: String!) { organizationInvitationByToken(token: $token) { organizationName email role } }`;
    const client = clientOf(caller);
    const { organizationInvitationByToken } = await client.data(query, {
      token: fixture.invitationB.token,
    });
    t.is(organizationInvitationByToken.organizationName, fixture.B.name);
    t.is(organizationInvitationByToken.email, fixture.invitationB.email);
    t.is(await client.errorCode(query, { token: 'not-a-token' }), 'NOT_FOUND');
  });

  test(`GraphQL: ${WHO[caller]} ${caller === 'platformAdmin' ? 'can' : 'cannot'} look organization B and its owner up by id`, async (t) => {
    const { data, errors } = await clientOf(caller).request(
      `query ($org: UUID!, $user: UUID!, $invitation: UUID!) {
         organization(id: $org) { id name } user(id: $user) { id email } organizationInvitation(id: $invitation) { id email }
       }`,
      {
        org: fixture.B.id,
        user: fixture.users.ownerB.userId,
        invitation: fixture.invitationB.id,
      },
    );
    t.falsy(errors);
    if (caller === 'platformAdmin') t.truthy(data.organization && data.user && data.organizationInvitation);
    else
      t.deepEqual(data, {
        organization: null,
        user: null,
        organizationInvitation: null,
      });
  });
}

/** The data clusters a project may be created on: for signed-in people to choose from, nobody else. */
for (const caller of CALLERS) {
  test(`GraphQL: ${WHO[caller]} ${caller === 'anonymous' ? 'cannot list' : 'lists'} the data clusters`, async (t) => {
    const result = await clientOf(caller).request('{ clusterNames { nodes } }');
    if (caller === 'anonymous') t.is(result.errors?.[0].extensions?.code, 'FORBIDDEN');
    else t.deepEqual(result.data?.clusterNames.nodes, ['control']);
  });
}

/** The audit log filtered in the database follows the log's own policy: managers of A and platform admins see A's. */
for (const caller of CALLERS) {
  const sees = ['owner', 'administrator', 'platformAdmin'].includes(caller);
  test(`GraphQL: ${WHO[caller]} ${sees ? 'sees' : 'sees nothing of'} A's audit log through organizationAuditEvents, and nothing of B's unless a platform admin`, async (t) => {
    const query = `query ($a: UUID!, $b: UUID!) {
      a: organizationAuditEvents(organizationId: $a, action: "organization.") { totalCount nodes { organizationId action } }
      b: organizationAuditEvents(organizationId: $b) { totalCount }
    }`;
    const { data, errors } = await clientOf(caller).request(query, { a: fixture.A.id, b: fixture.B.id });
    t.falsy(errors);
    t.is(data.a.totalCount > 0, sees);
    t.true(data.a.nodes.every((event: { organizationId: string; action: string }) => event.organizationId === fixture.A.id && event.action.startsWith('organization.')));
    t.is(data.b.totalCount > 0, caller === 'platformAdmin');
  });
}

/** The worker queue and the data clusters are for platform admins (more in platform-admin.test.ts). */
for (const caller of CALLERS) {
  const refusal = caller === 'platformAdmin' ? undefined : caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
  test(`GraphQL: ${WHO[caller]} ${refusal ? 'cannot see nor retry' : 'sees and retries'} the worker's jobs, and the data clusters`, async (t) => {
    const client = clientOf(caller);
    const result = await client.request('{ platformJobs { failed jobs { id } } platformClusters { name } }');
    const retried = await client.request('mutation { retryPlatformJob(id: "999999999") }');
    if (!refusal) {
      t.falsy(result.errors, JSON.stringify(result.errors));
      t.deepEqual(result.data?.platformClusters, [{ name: 'control' }]);
      t.is(typeof result.data?.platformJobs.failed, 'number');
      t.is(retried.errors?.[0].extensions?.code, 'NOT_FOUND');
      return;
    }
    t.deepEqual(result.data, { platformJobs: null, platformClusters: null });
    t.deepEqual((result.errors ?? []).map((error) => error.extensions?.code), [refusal, refusal]);
    t.is(retried.errors?.[0].extensions?.code, refusal);
  });
}

/* ------------------------------------------------------------------------------------------------------------------
 * 3. Meta-tests: the catalog itself keeps the matrix complete and the grants tight.
 */
const SCHEMAS = ['app_public', 'app_hidden', 'app_private'];
/** Functions every role may call to learn who it is: no per-caller behaviour to put in the matrix. */
const IDENTITY_HELPERS = [
  'current_user_id',
  'current_session_id',
  'current_user',
  'current_user_member_organization_ids',
];
/** Queries matrixed above, by hand. */
const MATRIXED_QUERIES = ['organization_invitation_by_token', 'cluster_names', 'organization_audit_events'];

/**
 * Every field of the control API, and the test that proves who may use it on whose data. Table-backed lists and
 * lookups follow their table's RLS (TABLES above); the rest are matrixed here or in the named file. A new field fails
 * the suite until it is added, with its test.
 */
const THIS_FILE = 'isolation.test.ts';
const BY_TABLE = 'isolation.test.ts (TABLES: the RLS of its table)';
const FIELD_TESTS: Record<string, string> = {
  // Query
  query: 'the root type, no data',
  currentUser: 'accounts.test.ts',
  ...Object.fromEntries(
    ['user', 'userByEmail', 'users', 'plan', 'plans', 'personalAccessToken', 'personalAccessTokens', 'organization',
      'organizationByRef', 'organizationBySlug', 'organizations', 'organizationMembership',
      'organizationMembershipByOrganizationIdAndUserId', 'organizationMemberships', 'session', 'sessions', 'auditEvent',
      'auditEvents', 'project', 'projectByRef', 'projects', 'organizationInvitation', 'organizationInvitations'].map((field) => [field, BY_TABLE]),
  ),
  clusterNames: THIS_FILE,
  organizationInvitationByToken: THIS_FILE,
  organizationAuditEvents: THIS_FILE,
  projectCredentials: 'projects.test.ts',
  projectUsers: 'project-users.test.ts',
  projectStorageUsage: 'project-storage.test.ts',
  projectStorageObjects: 'project-storage.test.ts',
  projectSqlQuery: BY_TABLE,
  projectSqlQueries: BY_TABLE,
  projectAuthSettings: 'project-auth-settings.test.ts',
  platformJobs: THIS_FILE,
  platformClusters: THIS_FILE,
  // Mutation
  ...Object.fromEntries(
    ['resetProjectDatabasePassword', 'rotateProjectJwtSecret', 'createPersonalAccessToken', 'deleteOrganization',
      'createOrganization', 'acceptOrganizationInvitation', 'leaveOrganization', 'removeMember', 'changeMemberRole',
      'transferOwnership', 'deleteProject', 'pauseProject', 'resumeProject', 'retryProject', 'createProject',
      'declineOrganizationInvitation', 'revokeOrganizationInvitation', 'inviteToOrganization', 'updateUser',
      'updateOrganization', 'deletePersonalAccessToken', 'deleteSession'].map((field) => [field, THIS_FILE]),
  ),
  updateUserByEmail: BY_TABLE,
  updateOrganizationByRef: BY_TABLE,
  updateOrganizationBySlug: BY_TABLE,
  register: 'accounts.test.ts',
  signIn: 'accounts.test.ts',
  signOut: 'accounts.test.ts',
  changePassword: 'accounts.test.ts',
  createProjectUser: 'project-users.test.ts',
  deleteProjectUser: 'project-users.test.ts',
  createProjectStorageUrl: 'project-storage.test.ts',
  deleteProjectStorageObjects: 'project-storage.test.ts',
  runProjectSql: 'project-sql.test.ts',
  // Saved SQL queries: the table's RLS (TABLES and WRITES here), through GraphQL in project-sql.test.ts.
  createProjectSqlQuery: 'project-sql.test.ts',
  updateProjectSqlQuery: 'project-sql.test.ts',
  deleteProjectSqlQuery: 'project-sql.test.ts',
  updateProjectAuthSettings: 'project-auth-settings.test.ts',
  retryPlatformJob: THIS_FILE,
  // Subscription
  organizationEvents: 'organizations.test.ts',
  currentUserEvents: 'organizations.test.ts',
};

test('every field of the control API is matrixed, or named with the test that covers it', async (t) => {
  const { data } = await new ControlClient(platform.url).request(
    `{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }`,
  );
  const fields = ['queryType', 'mutationType', 'subscriptionType'].flatMap((type) =>
    data.__schema[type].fields.map((field: { name: string }) => field.name),
  );
  t.deepEqual(fields.filter((field) => !(field in FIELD_TESTS)).sort(), [], 'fields nobody tests');
  t.deepEqual(Object.keys(FIELD_TESTS).filter((field) => !fields.includes(field)).sort(), [], 'FIELD_TESTS names fields that are gone');
});

test('row level security is enabled on every table of app_public, app_hidden and app_private', async (t) => {
  const { rows } = await platform.owner.query(
    `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relrowsecurity`,
    [SCHEMAS],
  );
  t.deepEqual(rows, []);
});

test('every app_public table has rows in the isolation matrix', async (t) => {
  const { rows } = await platform.owner.query(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'app_public' and c.relkind in ('r', 'p', 'v', 'm', 'f') order by 1`,
  );
  const tables = rows.map((row) => row.relname);
  t.deepEqual(
    tables.filter((table) => !(table in TABLES)),
    [],
    'tables missing from TABLES',
  );
  t.deepEqual(
    Object.keys(TABLES).filter((table) => !tables.includes(table)),
    [],
    'TABLES names tables that are gone',
  );
  const written = new Set(WRITES.map((write) => write.table));
  t.deepEqual(
    tables.filter((table) => !written.has(table)),
    [],
    'tables without SQL write rows',
  );
});

test('every app_public function is in the matrix or is an identity helper', async (t) => {
  const { rows } = await platform.owner.query(
    `select distinct p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'app_public'`,
  );
  const covered = new Set([...IDENTITY_HELPERS, ...MATRIXED_QUERIES, ...MUTATIONS.flatMap((m) => m.functions ?? [])]);
  t.deepEqual(
    rows
      .map((row) => row.proname)
      .filter((name) => !covered.has(name))
      .sort(),
    [],
  );
});

test('PUBLIC may execute no function of app_public, app_hidden or app_private', async (t) => {
  const { rows } = await platform.owner.query(
    `select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = any($1)
       and (p.proacl is null or exists (select from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE'))`,
    [SCHEMAS],
  );
  t.deepEqual(rows, []);
});

test('canopy_visitor and canopy_anonymous have no privilege on any app_private object', async (t) => {
  const { rows } = await platform.owner.query(
    `with roles (r) as (values ('canopy_visitor'), ('canopy_anonymous'))
     select r, 'schema app_private' as object from roles where has_schema_privilege(r, 'app_private', 'USAGE, CREATE')
     union all
     select r, c.oid::regclass::text from roles, pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'app_private' and c.relkind in ('r', 'p', 'v', 'm', 'f') and (
       has_table_privilege(r, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
       or has_any_column_privilege(r, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
     union all
     select r, c.oid::regclass::text from roles, pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'app_private' and c.relkind = 'S' and has_sequence_privilege(r, c.oid, 'USAGE, SELECT, UPDATE')
     union all
     select r, p.oid::regprocedure::text from roles, pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'app_private' and has_function_privilege(r, p.oid, 'EXECUTE')`,
  );
  t.deepEqual(rows, []);
});

test('PUBLIC has neither CONNECT nor TEMP on the control database', async (t) => {
  const { rows } = await platform.owner.query(
    `select a.privilege_type from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
     where d.datname = current_database() and a.grantee = 0`,
  );
  t.deepEqual(rows, []);
});

test('canopy_authenticator can only become canopy_visitor and canopy_anonymous', async (t) => {
  const { rows } = await platform.owner.query(
    `select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid
     where m.member = 'canopy_authenticator'::regrole order by 1`,
  );
  t.deepEqual(
    rows.map((row) => row.rolname),
    ['canopy_anonymous', 'canopy_visitor'],
  );
  const { rows: attributes } = await platform.owner.query(
    `select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, rolinherit from pg_roles
     where rolname = 'canopy_authenticator'`,
  );
  t.deepEqual(attributes[0], {
    rolsuper: false,
    rolcreaterole: false,
    rolcreatedb: false,
    rolbypassrls: false,
    rolreplication: false,
    rolinherit: false,
  });
});

test('the GraphQL API offers no way to look a row up by a token hash, nor to read one', async (t) => {
  const { __schema } = await new ControlClient(platform.url).data(
    `{ __schema { types { name fields { name args { name } } inputFields { name } } } }`,
  );
  const leaks: string[] = [];
  for (const type of __schema.types as Array<{ name: string; fields?: any[]; inputFields?: any[] }>) {
    if (type.name.startsWith('__')) continue;
    for (const field of [...(type.fields ?? []), ...(type.inputFields ?? [])]) {
      const names = [field.name, ...(field.args ?? []).map((arg: { name: string }) => arg.name)];
      if (names.some((name) => /tokenHash|passwordHash/i.test(name))) leaks.push(`${type.name}.${field.name}`);
    }
  }
  t.deepEqual(leaks, []);
});

/* ------------------------------------------------------------------------------------------------------------------
 * 4. The audit log is append-only, even for its owner.
 */
const TAMPERING = {
  update: `update app_public.audit_events set action = 'nothing' where organization_id = $1`,
  delete: `delete from app_public.audit_events where organization_id = $1`,
  truncate: `truncate app_public.audit_events`,
};
for (const [verb, text] of Object.entries(TAMPERING)) {
  test(`canopy_owner cannot ${verb} the audit log`, async (t) => {
    const client = await platform.owner.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query('select current_user as role');
      t.is(rows[0].role, 'canopy_owner');
      const error = await client.query(text, verb === 'truncate' ? [] : [fixture.A.id]).then(
        () => undefined,
        (e) => e,
      );
      t.is(error?.code, 'DNIED', `${verb} succeeded`);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
  for (const caller of ['owner', 'platformAdmin', 'anonymous'] as const) {
    test(`${WHO[caller]} cannot ${verb} the audit log in SQL`, async (t) => {
      const error = await asCaller(caller, (client) =>
        client.query(text, verb === 'truncate' ? [] : [fixture.A.id]).then(
          () => undefined,
          (e) => e,
        ),
      );
      t.is(error?.code, '42501');
    });
  }
}
