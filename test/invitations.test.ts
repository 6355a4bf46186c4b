/**
 * Invitations: owners and administrators invite an email with a role; the token travels only by mail; whoever holds
 * it sees what it invites to; the invited person accepts or declines once, before it expires; managers revoke it.
 */
import test from 'ava';
import { ControlClient, type SignedInUser, uniqueEmail } from './support/client.ts';
import {
  auditOf,
  latestInvitationMail,
  membershipOf,
  newOrganization,
  type Organization,
  stopWithin,
  waitFor,
  teamFixtures,
} from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

let platform: TestPlatform;
test.before(async () => {
  platform = await startTestPlatform();
});
test.after.always(() => stopWithin(platform));

const INVITE = `mutation ($organizationId: UUID!, $email: String!, $role: OrganizationRole!) {
  inviteToOrganization(input: { organizationId: $organizationId, email: $email, role: $role }) {
    result { id organizationId email role status invitedBy expiresAt }
  }
}`;
const PREVIEW = `query ($token: String!) { organizationInvitationByToken(token: $token) { organizationName email role expiresAt } }`;
const ACCEPT = `mutation ($token: String!) {
  acceptOrganizationInvitation(input: { token: $token }) { result { organizationId userId role } }
}`;
const DECLINE = `mutation ($token: String!) { declineOrganizationInvitation(input: { token: $token }) { result { id status } } }`;
const REVOKE = `mutation ($invitationId: UUID!) {
  revokeOrganizationInvitation(input: { invitationId: $invitationId }) { result { id status } }
}`;
const INVITATIONS = `{ organizationInvitations { nodes { id organizationId email role status } } }`;

/** The invitations of one organization that `user` can see. */
async function visibleInvitations(user: SignedInUser, organization: Organization): Promise<Array<{ id: string }>> {
  const { organizationInvitations } = await user.client.data(INVITATIONS);
  return organizationInvitations.nodes.filter(
    (node: { organizationId: string }) => node.organizationId === organization.id,
  );
}

const USER_AGENT = 'canopy-invitations-test/1.0';
const { person, team } = teamFixtures(() => platform, USER_AGENT);


/** Invites `email` as `inviter` and returns the invitation and the token from the mail. */
async function invite(inviter: SignedInUser, organization: Organization, email: string, role = 'developer') {
  const { inviteToOrganization } = await inviter.client.data(INVITE, { organizationId: organization.id, email, role });
  const mail = await latestInvitationMail(platform, email);
  return { invitation: inviteToOrganization.result, token: mail.variables.token, mail };
}

async function statusOf(invitationId: string): Promise<string> {
  const { rows } = await platform.owner.query('select status from app_public.organization_invitations where id = $1', [
    invitationId,
  ]);
  return rows[0]?.status;
}

test('an owner invites an email with a role: the invitation mail is queued with its token and then sent', async (t) => {
  const { organization, owner } = await team();
  const email = uniqueEmail('invitee');
  const { invitation, token, mail } = await invite(owner, organization, email, 'administrator');
  t.like(invitation, { organizationId: organization.id, email, role: 'administrator', status: 'pending' });
  t.is(invitation.invitedBy, owner.userId);
  t.true(new Date(invitation.expiresAt).getTime() > Date.now() + 23 * 3600_000);

  t.is(mail.template, 'organization_invitation');
  t.is(mail.recipient, email);
  t.regex(token, /^[A-Za-z0-9_-]{40,}$/);
  t.like(mail.variables, { role: 'administrator', organization_name: organization.name, inviter_email: owner.email });

  const sent = await waitFor('the worker to send the mail', async () => {
    const { rows } = await platform.owner.query('select sent_at from app_private.mails where id = $1', [mail.id]);
    return rows[0]?.sent_at;
  });
  t.true(sent instanceof Date);

  const created = (await auditOf(owner, organization.id)).find(
    (entry) => entry.action === 'organization_invitation.created',
  );
  t.like(created, { targetId: invitation.id, actorId: owner.userId, userAgent: USER_AGENT });
  t.false(JSON.stringify(created?.details).includes(token), 'the audit log does not hold the token');
  t.false('token_hash' in (created?.details ?? {}));
});

test('an administrator invites members but not owners; developers and read-only members invite nobody', async (t) => {
  const { organization, admin, developer, readOnly, outsider } = await team();
  const { invitation } = await invite(admin, organization, uniqueEmail('by-admin'), 'administrator');
  t.is(invitation.role, 'administrator');
  const refuse = async (user: SignedInUser, role: string) =>
    user.client.errorCode(INVITE, { organizationId: organization.id, email: uniqueEmail('nope'), role });
  t.is(await refuse(admin, 'owner'), 'FORBIDDEN');
  t.is(await refuse(developer, 'developer'), 'FORBIDDEN');
  t.is(await refuse(developer, 'read_only'), 'FORBIDDEN');
  t.is(await refuse(readOnly, 'read_only'), 'FORBIDDEN');
  t.is(await refuse(outsider, 'read_only'), 'NOT_FOUND');
  const { rows } = await platform.owner.query(
    `select email from app_public.organization_invitations where organization_id = $1`,
    [organization.id],
  );
  t.deepEqual(rows, [{ email: invitation.email }], 'only the administrator’s invitation exists');
});

test('inviting someone who is already a member is refused with ALREADY_MEMBER, whatever the email’s case', async (t) => {
  const { organization, owner, developer } = await team();
  for (const email of [developer.email, developer.email.toUpperCase(), owner.email]) {
    t.is(
      await owner.client.errorCode(INVITE, { organizationId: organization.id, email, role: 'read_only' }),
      'ALREADY_MEMBER',
      email,
    );
  }
  const { rowCount } = await platform.owner.query('select from app_private.mails where recipient = $1', [
    developer.email,
  ]);
  t.is(rowCount, 0, 'no mail went out');
});

test('anyone holding the token sees the organization’s name, the role and the email, even without signing in', async (t) => {
  const { organization, owner } = await team();
  const email = uniqueEmail('preview');
  const { token } = await invite(owner, organization, email, 'read_only');
  const anonymous = new ControlClient(platform.url);
  const { organizationInvitationByToken } = await anonymous.data(PREVIEW, { token });
  t.like(organizationInvitationByToken, { organizationName: organization.name, email, role: 'read_only' });
  t.is(await anonymous.errorCode(PREVIEW, { token: 'not-a-real-token' }), 'NOT_FOUND');
});

test('the invited person accepts and becomes a member with the invited role, once', async (t) => {
  const { organization, owner } = await team();
  const email = uniqueEmail('joiner');
  const { invitation, token } = await invite(owner, organization, email, 'administrator');
  const joiner = await person(email);
  const { acceptOrganizationInvitation } = await joiner.client.data(ACCEPT, { token });
  t.like(acceptOrganizationInvitation.result, {
    organizationId: organization.id,
    userId: joiner.userId,
    role: 'administrator',
  });
  t.is((await membershipOf(platform, organization.id, joiner.userId))?.role, 'administrator');
  t.is(await statusOf(invitation.id), 'accepted');
  const { organizations } = await joiner.client.data(`{ organizations { nodes { id } } }`);
  t.deepEqual(organizations.nodes, [{ id: organization.id }]);

  t.is(await joiner.client.errorCode(ACCEPT, { token }), 'INVITATION_USED');
  t.is(await new ControlClient(platform.url).errorCode(PREVIEW, { token }), 'INVITATION_USED');

  const actions = (await auditOf(owner, organization.id)).map((entry) => entry.action);
  t.true(actions.includes('organization_membership.created'));
  t.true(actions.includes('organization_invitation.updated'));
});

test('an invitation for another email cannot be accepted, and stays usable for the right person', async (t) => {
  const { organization, owner, outsider } = await team();
  const email = uniqueEmail('intended');
  const { invitation, token } = await invite(owner, organization, email, 'developer');
  t.is(await outsider.client.errorCode(ACCEPT, { token }), 'INVITATION_FOR_ANOTHER_EMAIL');
  t.is(await membershipOf(platform, organization.id, outsider.userId), undefined);
  t.is(await statusOf(invitation.id), 'pending');

  const intended = await person(email);
  await intended.client.data(ACCEPT, { token });
  t.is((await membershipOf(platform, organization.id, intended.userId))?.role, 'developer');
});

test('an expired invitation is refused with INVITATION_EXPIRED', async (t) => {
  const { organization, owner } = await team();
  const email = uniqueEmail('late');
  const { invitation, token } = await invite(owner, organization, email, 'developer');
  await platform.owner.query(
    `update app_public.organization_invitations set expires_at = now() - interval '1 second' where id = $1`,
    [invitation.id],
  );
  const late = await person(email);
  t.is(await late.client.errorCode(ACCEPT, { token }), 'INVITATION_EXPIRED');
  t.is(await new ControlClient(platform.url).errorCode(PREVIEW, { token }), 'INVITATION_EXPIRED');
  t.is(await late.client.errorCode(DECLINE, { token }), 'INVITATION_EXPIRED');
  t.is(await membershipOf(platform, organization.id, late.userId), undefined);
});

test('a declined invitation is marked declined and can no longer be used', async (t) => {
  const { organization, owner } = await team();
  const email = uniqueEmail('decliner');
  const { invitation, token } = await invite(owner, organization, email, 'developer');
  const decliner = await person(email);
  const { declineOrganizationInvitation } = await decliner.client.data(DECLINE, { token });
  t.like(declineOrganizationInvitation.result, { id: invitation.id, status: 'declined' });
  t.is(await statusOf(invitation.id), 'declined');
  t.is(await decliner.client.errorCode(ACCEPT, { token }), 'INVITATION_USED');
  t.is(await decliner.client.errorCode(DECLINE, { token }), 'INVITATION_USED');
  t.is(await membershipOf(platform, organization.id, decliner.userId), undefined);
});

test('owners and administrators revoke invitations; developers cannot, and a revoked token is dead', async (t) => {
  const { organization, owner, admin, developer, readOnly } = await team();
  const first = await invite(owner, organization, uniqueEmail('revoked-by-owner'), 'developer');
  const second = await invite(owner, organization, uniqueEmail('revoked-by-admin'), 'read_only');

  t.is(await developer.client.errorCode(REVOKE, { invitationId: first.invitation.id }), 'FORBIDDEN');
  t.is(await readOnly.client.errorCode(REVOKE, { invitationId: first.invitation.id }), 'FORBIDDEN');
  t.is(await statusOf(first.invitation.id), 'pending');

  const byOwner = await owner.client.data(REVOKE, { invitationId: first.invitation.id });
  t.is(byOwner.revokeOrganizationInvitation.result.status, 'revoked');
  const byAdmin = await admin.client.data(REVOKE, { invitationId: second.invitation.id });
  t.is(byAdmin.revokeOrganizationInvitation.result.status, 'revoked');
  t.is(await statusOf(second.invitation.id), 'revoked');

  const invited = await person(first.invitation.email);
  t.is(await invited.client.errorCode(ACCEPT, { token: first.token }), 'INVITATION_USED');
  t.is(await new ControlClient(platform.url).errorCode(PREVIEW, { token: second.token }), 'INVITATION_USED');
});

test('an administrator cannot revoke an invitation to become owner', async (t) => {
  const { organization, owner, admin } = await team();
  const { invitation } = await invite(owner, organization, uniqueEmail('future-owner'), 'owner');
  t.is(await admin.client.errorCode(REVOKE, { invitationId: invitation.id }), 'FORBIDDEN');
  t.is(await statusOf(invitation.id), 'pending');
});

test('inviting the same email again replaces the pending invitation: the old token stops working', async (t) => {
  const { organization, owner } = await team();
  const email = uniqueEmail('resend');
  const first = await invite(owner, organization, email, 'read_only');
  const second = await invite(owner, organization, email.toUpperCase(), 'developer');
  t.is(second.invitation.id, first.invitation.id, 'the same invitation, resent');
  t.not(second.token, first.token);
  const { rows } = await platform.owner.query(
    `select role, status from app_public.organization_invitations where organization_id = $1`,
    [organization.id],
  );
  t.deepEqual(rows, [{ role: 'developer', status: 'pending' }]);

  const invited = await person(email);
  t.is(await invited.client.errorCode(ACCEPT, { token: first.token }), 'NOT_FOUND');
  await invited.client.data(ACCEPT, { token: second.token });
  t.is((await membershipOf(platform, organization.id, invited.userId))?.role, 'developer');
});

test('members see their organization’s invitations; members of another organization see none', async (t) => {
  const { organization, owner, readOnly, outsider } = await team();
  const { invitation } = await invite(owner, organization, uniqueEmail('private'), 'developer');
  await newOrganization(platform, outsider);

  t.deepEqual(
    (await visibleInvitations(readOnly, organization)).map((node) => node.id),
    [invitation.id],
  );
  t.deepEqual(await visibleInvitations(outsider, organization), []);
  const all = await outsider.client.data(`{ organizationInvitations { nodes { id } } }`);
  t.deepEqual(all.organizationInvitations.nodes, []);
  const byId = await outsider.client.data(`query ($id: UUID!) { organizationInvitation(id: $id) { id } }`, {
    id: invitation.id,
  });
  t.is(byId.organizationInvitation, null);
  t.is(await outsider.client.errorCode(REVOKE, { invitationId: invitation.id }), 'NOT_FOUND');
});

test('invitations never expose their token or its hash, through the API or to the API roles in SQL', async (t) => {
  const { organization, owner } = await team();
  const { invitation, token } = await invite(owner, organization, uniqueEmail('secret'), 'developer');

  const { __type } = await owner.client.data(`{ __type(name: "OrganizationInvitation") { fields { name } } }`);
  const fields: string[] = __type.fields.map((field: { name: string }) => field.name);
  t.false(fields.some((name) => /token|hash/i.test(name)), `fields: ${fields.join(', ')}`);
  const { __schema } = await owner.client.data(`{ __schema { queryType { fields { name } } } }`);
  const queries: string[] = __schema.queryType.fields.map((field: { name: string }) => field.name);
  t.false(queries.includes('organizationInvitationByTokenHash'));

  t.deepEqual(
    (await visibleInvitations(owner, organization)).map((node) => node.id),
    [invitation.id],
  );
  const whole = await owner.client.request(
    `query ($id: UUID!) { organizationInvitation(id: $id) { id email role status invitedBy expiresAt } }`,
    { id: invitation.id },
  );
  t.false(JSON.stringify(whole).includes(token));

  // As the signed-in owner in SQL: the row is visible, the hash column is not.
  const client = await platform.owner.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('role', 'canopy_visitor', true), set_config('canopy.user_id', $1, true)`, [
      owner.userId,
    ]);
    const { rowCount } = await client.query('select id from app_public.organization_invitations where id = $1', [
      invitation.id,
    ]);
    t.is(rowCount, 1);
    await client.query('savepoint hash');
    const error = await t.throwsAsync(client.query('select token_hash from app_public.organization_invitations'));
    t.is((error as { code?: string }).code, '42501');
    await client.query('rollback to savepoint hash');
    const mails = await t.throwsAsync(client.query('select variables from app_private.mails'));
    t.is((mails as { code?: string }).code, '42501');
  } finally {
    await client.query('rollback');
    client.release();
  }
});
