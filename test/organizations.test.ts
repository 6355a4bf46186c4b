/**
 * Organizations and their members: who may create, rename, delete, list, change roles, remove, leave and transfer
 * ownership, through the control GraphQL API over real HTTP; every change is audited with who, from where.
 */
import test from 'ava';
import { ControlClient, type SignedInUser } from './support/client.ts';
import {
  auditOf,
  CREATE_ORGANIZATION,
  membershipOf,
  newOrganization,
  type Organization,
  subscribe,
  stopWithin,
  subscriptionClient,
  uniqueSlug,
  waitFor,
  teamFixtures,
} from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
// Shutting down must finish even after subscriptions were used.
test.after.always(() => stopWithin(platform));

const UPDATE = `mutation ($id: UUID!, $patch: OrganizationPatch!) {
  updateOrganization(input: { id: $id, patch: $patch }) { organization { id ref slug name } }
}`;
const DELETE = `mutation ($id: UUID!) { deleteOrganization(input: { organizationId: $id }) { result { id deletingAt } } }`;
const ORGANIZATION = `query ($id: UUID!) {
  organization(id: $id) { id ref slug name organizationMemberships { nodes { id userId role } } }
}`;
const MY_ORGANIZATIONS = `{ organizations(orderBy: SLUG_ASC) { nodes { id slug } } }`;
const CHANGE_ROLE = `mutation ($membershipId: UUID!, $role: OrganizationRole!) {
  changeMemberRole(input: { membershipId: $membershipId, role: $role }) { result { id userId role } }
}`;
const REMOVE = `mutation ($membershipId: UUID!) { removeMember(input: { membershipId: $membershipId }) { result { id } } }`;
const LEAVE = `mutation ($organizationId: UUID!) {
  leaveOrganization(input: { organizationId: $organizationId }) { result { id } }
}`;
const TRANSFER = `mutation ($organizationId: UUID!, $toUserId: UUID!) {
  transferOwnership(input: { organizationId: $organizationId, toUserId: $toUserId }) { result { userId role } }
}`;

const USER_AGENT = 'canopy-organizations-test/1.0';
const { person, team } = teamFixtures(() => platform, USER_AGENT);


async function membership(organization: Organization, user: SignedInUser) {
  return membershipOf(platform, organization.id, user.userId);
}

async function currentName(organization: Organization): Promise<{ name: string; slug: string; ref: string }> {
  const { rows } = await platform.owner.query('select name, slug, ref from app_public.organizations where id = $1', [
    organization.id,
  ]);
  return rows[0];
}

// --- Creating -------------------------------------------------------------------------------------------------------

test('a signed-in user creates an organization, becomes its owner, and it gets a 20-letter ref', async (t) => {
  const owner = await person();
  const slug = uniqueSlug('acme');
  const { createOrganization } = await owner.client.data(CREATE_ORGANIZATION, { name: 'Acme, Inc.', slug });
  const organization = createOrganization.result;
  t.is(organization.slug, slug);
  t.is(organization.name, 'Acme, Inc.');
  t.regex(organization.ref, /^[a-z]{20}$/);

  const { organization: read } = await owner.client.data(ORGANIZATION, { id: organization.id });
  t.deepEqual(
    read.organizationMemberships.nodes.map((m: { userId: string; role: string }) => [m.userId, m.role]),
    [[owner.userId, 'owner']],
  );
  const other = await newOrganization(platform, owner);
  t.not(other.ref, organization.ref);

  const actions = (await auditOf(owner, organization.id)).map((entry) => entry.action);
  t.true(actions.includes('organization.created'));
  t.true(actions.includes('organization_membership.created'));
});

test('nobody creates an organization without signing in', async (t) => {
  const anonymous = new ControlClient(platform.url);
  const slug = uniqueSlug();
  t.is(await anonymous.errorCode(CREATE_ORGANIZATION, { name: 'Nobody', slug }), 'UNAUTHENTICATED');
  const { rowCount } = await platform.owner.query('select from app_public.organizations where slug = $1', [slug]);
  t.is(rowCount, 0);
});

test('a slug that is taken is refused with SLUG_TAKEN', async (t) => {
  const [first, second] = await Promise.all([person(), person()]);
  const organization = await newOrganization(platform, first);
  t.is(await second.client.errorCode(CREATE_ORGANIZATION, { name: 'Copy', slug: organization.slug }), 'SLUG_TAKEN');
  const { organizations } = await second.client.data(MY_ORGANIZATIONS);
  t.deepEqual(organizations.nodes, []);
});

test('a slug must be 3 to 40 lowercase letters, digits or dashes: anything else is INVALID_SLUG', async (t) => {
  const owner = await person();
  const invalid = [
    'ab',
    'x'.repeat(41),
    'x'.repeat(5000),
    '',
    'UPPER',
    'Mixed-Case',
    'has space',
    'under_score',
    'dot.ted',
    'sl/ash',
    "it's",
    '"quoted"',
    "x'; drop table users; --",
    "a' or '1'='1",
    'émigré',
    'tab\there',
  ];
  for (const slug of invalid) {
    const result = await owner.client.request(CREATE_ORGANIZATION, { name: 'Bad slug', slug });
    t.is(result.errors?.[0]?.extensions?.code, 'INVALID_SLUG', `slug ${JSON.stringify(slug)}`);
  }
  const { organizations } = await owner.client.data(MY_ORGANIZATIONS);
  t.deepEqual(organizations.nodes, [], 'no organization was created');
  // The SQL in a slug is data, never code.
  const { rows } = await platform.owner.query(`select to_regclass('app_public.users') is not null as present`);
  t.true(rows[0].present);
  // The limits themselves are fine.
  for (const slug of ['a-1', uniqueSlug().padEnd(40, '9')]) {
    t.truthy(await owner.client.data(CREATE_ORGANIZATION, { name: 'Edge', slug }), `slug ${slug}`);
  }
});

test('a name must be 1 to 100 characters without control characters: otherwise INVALID_NAME', async (t) => {
  const owner = await person();
  for (const name of ['', 'x'.repeat(101), 'bell\u0007', 'line\nbreak']) {
    const result = await owner.client.request(CREATE_ORGANIZATION, { name, slug: uniqueSlug() });
    t.is(result.errors?.[0]?.extensions?.code, 'INVALID_NAME', `name ${JSON.stringify(name)}`);
  }
});

// --- The ref --------------------------------------------------------------------------------------------------------

test('the ref cannot be changed: it is not an updatable field, and the API role may not write it', async (t) => {
  const { organization, owner } = await team();
  const { __type } = await owner.client.data(`{ __type(name: "OrganizationPatch") { inputFields { name } } }`);
  t.deepEqual(__type.inputFields.map((field: { name: string }) => field.name).sort(), ['name', 'slug']);

  const result = await owner.client.request(UPDATE, { id: organization.id, patch: { ref: 'abcdefghijklmnopqrst' } });
  t.truthy(result.errors?.length);
  t.not(result.errors?.[0]?.extensions?.code, 'INTERNAL_ERROR');

  // Even straight SQL as the owner of the organization (RLS would allow the row) may not touch the column.
  const client = await platform.owner.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('role', 'canopy_visitor', true), set_config('canopy.user_id', $1, true)`, [
      owner.userId,
    ]);
    const error = await t.throwsAsync(
      client.query(`update app_public.organizations set ref = 'abcdefghijklmnopqrst' where id = $1`, [organization.id]),
    );
    t.is((error as { code?: string }).code, '42501');
  } finally {
    await client.query('rollback');
    client.release();
  }
  t.is((await currentName(organization)).ref, organization.ref);
});

// --- Renaming and changing the slug ---------------------------------------------------------------------------------

test('owners and administrators rename an organization and change its slug, and each change is audited', async (t) => {
  const { organization, owner, admin } = await team();
  const renamed = await owner.client.data(UPDATE, { id: organization.id, patch: { name: 'Renamed by owner' } });
  t.is(renamed.updateOrganization.organization.name, 'Renamed by owner');
  t.is(renamed.updateOrganization.organization.ref, organization.ref);

  const slug = uniqueSlug('admin');
  const bySlug = await admin.client.data(UPDATE, { id: organization.id, patch: { slug, name: 'Renamed by admin' } });
  t.like(bySlug.updateOrganization.organization, { slug, name: 'Renamed by admin', ref: organization.ref });

  const updates = (await auditOf(owner, organization.id)).filter((entry) => entry.action === 'organization.updated');
  t.is(updates.length, 2);
  const [first, second] = updates;
  t.like(first, { targetType: 'organization', targetId: organization.id, actorId: owner.userId, userAgent: USER_AGENT });
  t.deepEqual(first.details.changes.name, { from: organization.name, to: 'Renamed by owner' });
  t.regex(first.ip ?? '', /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)(\/\d+)?$/);
  t.like(second, { actorId: admin.userId, userAgent: USER_AGENT });
  t.deepEqual(second.details.changes.slug, { from: organization.slug, to: slug });
  t.false('ref' in second.details.changes);
});

test('the audit log is filtered by action (or its start), actor and time, newest first, a page at a time', async (t) => {
  const { organization, owner, admin } = await team();
  await owner.client.data(UPDATE, { id: organization.id, patch: { name: 'First rename' } });
  const between = new Date().toISOString();
  await admin.client.data(UPDATE, { id: organization.id, patch: { name: 'Second rename' } });
  const filtered = async (filters: { action?: string; actor?: string; after?: string; before?: string; first?: number; offset?: number }) =>
    (
      await owner.client.data(
        `query ($id: UUID!, $action: String, $actor: UUID, $after: Datetime, $before: Datetime, $first: Int, $offset: Int) {
          organizationAuditEvents(organizationId: $id, action: $action, actorId: $actor, occurredAfter: $after,
            occurredBefore: $before, first: $first, offset: $offset) { totalCount nodes { action actorId details } }
        }`,
        { id: organization.id, ...filters },
      )
    ).organizationAuditEvents;

  const updates = await filtered({ action: 'organization.updated' });
  t.is(updates.totalCount, 2);
  t.deepEqual(updates.nodes.map((event: { details: { changes: { name: { to: string } } } }) => event.details.changes.name.to), ['Second rename', 'First rename']);
  t.true((await filtered({ action: 'organization.' })).nodes.every((event: { action: string }) => event.action.startsWith('organization.')));
  t.is((await filtered({ action: 'organization.updated', actor: admin.userId })).totalCount, 1);
  t.is((await filtered({ action: 'organization.updated', after: between })).nodes[0].actorId, admin.userId);
  t.is((await filtered({ action: 'organization.updated', before: between })).nodes[0].actorId, owner.userId);
  t.like(await filtered({ action: 'organization.updated', first: 1, offset: 1 }), { totalCount: 2, nodes: [{ actorId: owner.userId }] });
  t.is((await filtered({ action: 'nothing.' })).totalCount, 0);
});

test('developers and read-only members cannot rename an organization or change its slug', async (t) => {
  const { organization, developer, readOnly, outsider } = await team();
  for (const user of [developer, readOnly, outsider]) {
    const result = await user.client.request(UPDATE, {
      id: organization.id,
      patch: { name: 'Hijacked', slug: uniqueSlug('hijack') },
    });
    // Refused: no row is updated (a null organization), or an error that is not an internal one.
    t.falsy(result.data?.updateOrganization?.organization, JSON.stringify(result));
    t.not(result.errors?.[0]?.extensions?.code, 'INTERNAL_ERROR', 'a refusal is not an internal error');
  }
  t.like(await currentName(organization), { name: organization.name, slug: organization.slug });
});

test('changing the slug to a taken or invalid one is refused with SLUG_TAKEN or INVALID_SLUG', async (t) => {
  const { organization, owner } = await team();
  const other = await newOrganization(platform, await person());
  t.is(await owner.client.errorCode(UPDATE, { id: organization.id, patch: { slug: other.slug } }), 'SLUG_TAKEN');
  for (const slug of ['no', 'Capital', "x'; drop table users; --", 'y'.repeat(41)]) {
    t.is(await owner.client.errorCode(UPDATE, { id: organization.id, patch: { slug } }), 'INVALID_SLUG', slug);
  }
  t.is((await currentName(organization)).slug, organization.slug);
});

// --- Deleting -------------------------------------------------------------------------------------------------------

test('only an owner deletes an organization (a job); the request and the deletion are audited', async (t) => {
  const { organization, owner, admin, developer, readOnly } = await team();
  for (const user of [admin, developer, readOnly]) {
    t.is(await user.client.errorCode(DELETE, { id: organization.id }), 'FORBIDDEN');
  }
  t.truthy(await currentName(organization), 'still there');

  const { deleteOrganization } = await owner.client.data(DELETE, { id: organization.id });
  t.is(deleteOrganization.result.id, organization.id);
  t.truthy(deleteOrganization.result.deletingAt);
  await waitFor('the organization to be gone', async () =>
    (await platform.owner.query('select from app_public.organizations where id = $1', [organization.id])).rowCount === 0,
  );
  t.is((await owner.client.data(ORGANIZATION, { id: organization.id })).organization, null);
  const { rowCount } = await platform.owner.query(
    'select from app_public.organization_memberships where organization_id = $1',
    [organization.id],
  );
  t.is(rowCount, 0, 'its memberships went with it');
  // The audit log outlives the organization (read as canopy_owner: nobody manages it any more).
  const { rows: requested } = await platform.owner.query(
    `select actor_id, user_agent from app_public.audit_events
     where organization_id = $1 and action = 'organization.updated' and details -> 'changes' ? 'deleting_at'`,
    [organization.id],
  );
  t.deepEqual(requested, [{ actor_id: owner.userId, user_agent: USER_AGENT }]);
  const { rows: deleted } = await platform.owner.query(
    `select actor_id from app_public.audit_events where organization_id = $1 and action = 'organization.deleted'`,
    [organization.id],
  );
  t.deepEqual(deleted, [{ actor_id: null }], "the worker deleted it, on the owner's request");
});

// --- Listing --------------------------------------------------------------------------------------------------------

test('a user lists only the organizations they belong to, and cannot see anyone else’s', async (t) => {
  const [me, stranger] = await Promise.all([person(), person()]);
  const mine = await newOrganization(platform, me, [], uniqueSlug('a-mine'));
  const joined = await newOrganization(platform, stranger, [[me, 'read_only']], uniqueSlug('b-joined'));
  const theirs = await newOrganization(platform, stranger, [], uniqueSlug('c-theirs'));

  const { organizations } = await me.client.data(MY_ORGANIZATIONS);
  t.deepEqual(
    organizations.nodes.map((o: { id: string }) => o.id),
    [mine.id, joined.id],
  );
  t.is((await me.client.data(ORGANIZATION, { id: theirs.id })).organization, null);
  const bySlug = await me.client.data(`query ($slug: String!) { organizationBySlug(slug: $slug) { id } }`, {
    slug: theirs.slug,
  });
  t.is(bySlug.organizationBySlug, null);
  const { organizationMemberships } = await me.client.data(
    `query ($id: UUID!) { organizationMemberships(condition: { organizationId: $id }) { nodes { id } } }`,
    { id: theirs.id },
  );
  t.deepEqual(organizationMemberships.nodes, []);
  t.deepEqual((await new ControlClient(platform.url).data(MY_ORGANIZATIONS)).organizations.nodes, []);
});

// --- Roles ----------------------------------------------------------------------------------------------------------

test('an owner changes any member’s role, including making another owner, and the change is audited', async (t) => {
  const { organization, owner, developer, readOnly } = await team();
  const developerMembership = (await membership(organization, developer))!;
  const { changeMemberRole } = await owner.client.data(CHANGE_ROLE, {
    membershipId: developerMembership.id,
    role: 'administrator',
  });
  t.like(changeMemberRole.result, { userId: developer.userId, role: 'administrator' });
  await owner.client.data(CHANGE_ROLE, { membershipId: (await membership(organization, readOnly))!.id, role: 'owner' });
  t.is((await membership(organization, readOnly))!.role, 'owner');

  const updated = (await auditOf(owner, organization.id)).filter(
    (entry) => entry.action === 'organization_membership.updated',
  );
  t.is(updated.length, 2);
  t.like(updated[0], {
    targetType: 'organization_membership',
    targetId: developerMembership.id,
    actorId: owner.userId,
    userId: developer.userId,
    userAgent: USER_AGENT,
  });
  t.deepEqual(updated[0].details.changes.role, { from: 'developer', to: 'administrator' });
  t.truthy(updated[0].ip);
});

test('an administrator changes roles among administrator, developer and read-only, but never an owner’s', async (t) => {
  const { organization, owner, admin, developer, readOnly } = await team();
  const [ownerMembership, developerMembership, readOnlyMembership] = await Promise.all([
    membership(organization, owner),
    membership(organization, developer),
    membership(organization, readOnly),
  ]);
  await admin.client.data(CHANGE_ROLE, { membershipId: developerMembership!.id, role: 'read_only' });
  await admin.client.data(CHANGE_ROLE, { membershipId: readOnlyMembership!.id, role: 'administrator' });
  t.is((await membership(organization, developer))!.role, 'read_only');
  t.is((await membership(organization, readOnly))!.role, 'administrator');

  // Not an owner's role, and nobody becomes an owner through an administrator (themselves included).
  t.is(await admin.client.errorCode(CHANGE_ROLE, { membershipId: ownerMembership!.id, role: 'developer' }), 'FORBIDDEN');
  t.is(
    await admin.client.errorCode(CHANGE_ROLE, { membershipId: developerMembership!.id, role: 'owner' }),
    'FORBIDDEN',
  );
  const adminMembership = (await membership(organization, admin))!;
  t.is(await admin.client.errorCode(CHANGE_ROLE, { membershipId: adminMembership.id, role: 'owner' }), 'FORBIDDEN');
  t.is((await membership(organization, owner))!.role, 'owner');
  t.is((await membership(organization, admin))!.role, 'administrator');
  t.is((await membership(organization, developer))!.role, 'read_only');
});

test('developers and read-only members change no roles and remove nobody; outsiders find nothing', async (t) => {
  const { organization, admin, developer, readOnly, outsider } = await team();
  const adminMembership = (await membership(organization, admin))!;
  const readOnlyMembership = (await membership(organization, readOnly))!;
  t.is(await developer.client.errorCode(CHANGE_ROLE, { membershipId: readOnlyMembership.id, role: 'developer' }), 'FORBIDDEN');
  const ownMembership = (await membership(organization, developer))!;
  t.is(await developer.client.errorCode(CHANGE_ROLE, { membershipId: ownMembership.id, role: 'administrator' }), 'FORBIDDEN');
  t.is(await readOnly.client.errorCode(CHANGE_ROLE, { membershipId: readOnlyMembership.id, role: 'developer' }), 'FORBIDDEN');
  t.is(await developer.client.errorCode(REMOVE, { membershipId: adminMembership.id }), 'FORBIDDEN');
  t.is(await readOnly.client.errorCode(REMOVE, { membershipId: adminMembership.id }), 'FORBIDDEN');

  t.is(await outsider.client.errorCode(CHANGE_ROLE, { membershipId: adminMembership.id, role: 'read_only' }), 'NOT_FOUND');
  t.is(await outsider.client.errorCode(REMOVE, { membershipId: adminMembership.id }), 'NOT_FOUND');
  t.is(await outsider.client.errorCode(LEAVE, { organizationId: organization.id }), 'NOT_FOUND');
  t.is((await membership(organization, admin))!.role, 'administrator');
  t.is((await membership(organization, readOnly))!.role, 'read_only');
});

// --- Removing and leaving -------------------------------------------------------------------------------------------

test('owners remove anyone, administrators anyone but owners, and each removal is audited', async (t) => {
  const { organization, owner, admin, developer, readOnly } = await team();
  const { removeMember } = await owner.client.data(REMOVE, {
    membershipId: (await membership(organization, developer))!.id,
  });
  t.truthy(removeMember.result.id);
  t.is(await membership(organization, developer), undefined);
  await admin.client.data(REMOVE, { membershipId: (await membership(organization, readOnly))!.id });
  t.is(await membership(organization, readOnly), undefined);
  t.is(
    await admin.client.errorCode(REMOVE, { membershipId: (await membership(organization, owner))!.id }),
    'FORBIDDEN',
  );
  t.is((await membership(organization, owner))!.role, 'owner');
  // A removed member no longer sees the organization.
  t.is((await developer.client.data(ORGANIZATION, { id: organization.id })).organization, null);

  const deleted = (await auditOf(owner, organization.id)).filter(
    (entry) => entry.action === 'organization_membership.deleted',
  );
  t.deepEqual(
    deleted.map((entry) => [entry.userId, entry.actorId, entry.userAgent]),
    [
      [developer.userId, owner.userId, USER_AGENT],
      [readOnly.userId, admin.userId, USER_AGENT],
    ],
  );
  t.true(deleted.every((entry) => entry.ip !== null));
});

test('any member may leave, and leaving is audited', async (t) => {
  const { organization, owner, admin, readOnly } = await team();
  for (const user of [readOnly, admin]) {
    const { leaveOrganization } = await user.client.data(LEAVE, { organizationId: organization.id });
    t.truthy(leaveOrganization.result.id);
    t.is(await membership(organization, user), undefined);
    t.deepEqual((await user.client.data(MY_ORGANIZATIONS)).organizations.nodes, []);
  }
  const left = (await auditOf(owner, organization.id)).filter(
    (entry) => entry.action === 'organization_membership.deleted',
  );
  t.deepEqual(
    left.map((entry) => [entry.userId, entry.actorId, entry.userAgent]),
    [
      [readOnly.userId, readOnly.userId, USER_AGENT],
      [admin.userId, admin.userId, USER_AGENT],
    ],
  );
});

test('the last owner cannot leave, be removed or be demoted (LAST_OWNER); with a second owner they can', async (t) => {
  const { organization, owner, developer } = await team();
  const ownerMembership = (await membership(organization, owner))!;
  t.is(await owner.client.errorCode(LEAVE, { organizationId: organization.id }), 'LAST_OWNER');
  t.is(await owner.client.errorCode(REMOVE, { membershipId: ownerMembership.id }), 'LAST_OWNER');
  for (const role of ['administrator', 'developer', 'read_only']) {
    t.is(await owner.client.errorCode(CHANGE_ROLE, { membershipId: ownerMembership.id, role }), 'LAST_OWNER', role);
  }
  t.is((await membership(organization, owner))!.role, 'owner');

  await owner.client.data(CHANGE_ROLE, { membershipId: (await membership(organization, developer))!.id, role: 'owner' });
  await owner.client.data(CHANGE_ROLE, { membershipId: ownerMembership.id, role: 'administrator' });
  t.is((await membership(organization, owner))!.role, 'administrator');
  // Now `developer` is the last owner.
  t.is(await developer.client.errorCode(LEAVE, { organizationId: organization.id }), 'LAST_OWNER');
  await owner.client.data(LEAVE, { organizationId: organization.id });
  t.is(await membership(organization, owner), undefined);
});

// --- Transferring ownership -----------------------------------------------------------------------------------------

test('an owner transfers ownership: the target becomes owner and the old owner administrator, audited', async (t) => {
  const { organization, owner, developer } = await team();
  const { transferOwnership } = await owner.client.data(TRANSFER, {
    organizationId: organization.id,
    toUserId: developer.userId,
  });
  t.like(transferOwnership.result, { userId: developer.userId, role: 'owner' });
  t.is((await membership(organization, developer))!.role, 'owner');
  t.is((await membership(organization, owner))!.role, 'administrator');

  const updated = (await auditOf(developer, organization.id)).filter(
    (entry) => entry.action === 'organization_membership.updated',
  );
  t.deepEqual(
    updated.map((entry) => [entry.userId, entry.details.changes.role, entry.actorId, entry.userAgent]),
    [
      [developer.userId, { from: 'developer', to: 'owner' }, owner.userId, USER_AGENT],
      [owner.userId, { from: 'owner', to: 'administrator' }, owner.userId, USER_AGENT],
    ],
  );
  // The old owner, now an administrator, can no longer transfer or delete.
  t.is(await owner.client.errorCode(TRANSFER, { organizationId: organization.id, toUserId: owner.userId }), 'FORBIDDEN');
});

test('only an owner transfers ownership, and only to a member', async (t) => {
  const { organization, owner, admin, developer, outsider } = await team();
  t.is(await admin.client.errorCode(TRANSFER, { organizationId: organization.id, toUserId: admin.userId }), 'FORBIDDEN');
  t.is(
    await developer.client.errorCode(TRANSFER, { organizationId: organization.id, toUserId: developer.userId }),
    'FORBIDDEN',
  );
  t.is(await outsider.client.errorCode(TRANSFER, { organizationId: organization.id, toUserId: outsider.userId }), 'FORBIDDEN');
  t.is(await owner.client.errorCode(TRANSFER, { organizationId: organization.id, toUserId: outsider.userId }), 'NOT_FOUND');
  t.is(await membership(organization, outsider), undefined);
  t.is((await membership(organization, owner))!.role, 'owner');
  t.is((await membership(organization, admin))!.role, 'administrator');
});

// --- Live events ----------------------------------------------------------------------------------------------------

const ORGANIZATION_EVENTS = `subscription ($organizationId: UUID!) {
  organizationEvents(organizationId: $organizationId) { action targetType organization { id name } }
}`;

test('members receive organizationEvents over WebSocket when another member renames the organization', async (t) => {
  const { organization, owner, readOnly } = await team();
  const client = await subscriptionClient(platform, readOnly.token);
  t.teardown(() => client.dispose());
  const subscription = subscribe(client, ORGANIZATION_EVENTS, { organizationId: organization.id });
  t.teardown(() => subscription.stop());

  // The subscription starts listening asynchronously: rename until an event arrives (then stop renaming).
  const deadline = Date.now() + 8_000;
  let name = '';
  for (let attempt = 1; subscription.results.length === 0 && subscription.failures.length === 0; attempt++) {
    if (Date.now() > deadline) break;
    name = `Live rename ${attempt}`;
    await owner.client.data(UPDATE, { id: organization.id, patch: { name } });
    await waitFor('an event', async () => subscription.results.length > 0, 300).catch(() => undefined);
  }
  t.deepEqual(subscription.failures, []);
  const [event] = subscription.results;
  t.falsy(event?.errors);
  t.like(event?.data?.organizationEvents, {
    action: 'organization.updated',
    targetType: 'organization',
    organization: { id: organization.id, name },
  });
});

test('a non-member subscribing to an organization’s events gets NOT_FOUND and never an event', async (t) => {
  const { organization, owner, outsider } = await team();
  for (const token of [outsider.token, undefined]) {
    const client = await subscriptionClient(platform, token);
    t.teardown(() => client.dispose());
    const subscription = subscribe(client, ORGANIZATION_EVENTS, { organizationId: organization.id });
    t.teardown(() => subscription.stop());
    const outcome = await waitFor(
      'the refusal',
      async () =>
        subscription.failures.length > 0 ||
        subscription.results.some((result) => result.errors?.length) ||
        subscription.completed,
    );
    t.true(outcome);
    await owner.client.data(UPDATE, { id: organization.id, patch: { name: `Secret ${token ? 'a' : 'b'}` } });
    const codes = [
      ...subscription.results.flatMap((result) => result.errors ?? []),
      ...subscription.failures.flatMap((failure) => (Array.isArray(failure) ? failure : [failure])),
    ].map((error) => (error as { extensions?: { code?: string } }).extensions?.code);
    t.true(codes.includes('NOT_FOUND'), `codes: ${JSON.stringify(codes)}`);
    t.false(subscription.results.some((result) => result.data?.organizationEvents), 'no event was delivered');
  }
});

test("currentUserEvents tells a user of changes to their own account, never of another's; nobody signed out", async (t) => {
  const [me, other] = await Promise.all([person(), person()]);
  const RENAME = `mutation ($id: UUID!, $name: String!) { updateUser(input: { id: $id, patch: { name: $name } }) { clientMutationId } }`;
  const subscription = subscribe(await subscriptionClient(platform, me.token), `subscription { currentUserEvents { action } }`, {});
  t.teardown(() => subscription.stop());
  // The subscription starts listening asynchronously: rename myself until the first event arrives.
  let renames = 0;
  await waitFor('the first event', async () => {
    await me.client.data(RENAME, { id: me.userId, name: `Me ${++renames}` });
    return waitFor('an event', async () => subscription.results.length > 0, 300).catch(() => false);
  });
  subscription.results.length = 0;
  await other.client.data(RENAME, { id: other.userId, name: 'Someone else' });
  await me.client.data(RENAME, { id: me.userId, name: 'Me, last' });
  await waitFor('my event', async () => subscription.results.length >= 1);
  t.deepEqual(
    subscription.results.map((result) => result.data?.currentUserEvents?.action),
    ['user.updated'],
    "the other user's rename never arrives",
  );

  const anonymous = subscribe(await subscriptionClient(platform), `subscription { currentUserEvents { action } }`, {});
  t.teardown(() => anonymous.stop());
  await waitFor('the refusal', async () => anonymous.failures.length > 0 || anonymous.results.some((result) => result.errors?.length));
  t.is(anonymous.results[0]?.errors?.[0]?.extensions?.code ?? 'failed', 'UNAUTHENTICATED');
});
