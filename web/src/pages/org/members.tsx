/**
 * `/org/:slug/members`: who is in the organization and with which role, pending invitations, and what the caller's
 * role lets them change. Live: another member's change re-reads the list.
 */
import { Show } from 'solid-js';
import { createLiveQuery } from '../../graphql/live.ts';
import { canManage, useOrganization, type Role } from '../../layout/organization.tsx';
import { useSession } from '../../session.tsx';
import { PageHeader, Section } from '../../ui/misc.tsx';
import { Empty, QueryState } from '../../ui/states.tsx';
import { byRoleThenEmail, MEMBERS, type MembersData } from './members/data.ts';
import { InvitationList } from './members/invitations.tsx';
import { InviteForm } from './members/invite-form.tsx';
import { LeaveSection } from './members/leave.tsx';
import { MemberList } from './members/member-list.tsx';
import './members/members.css';

export function Members() {
  const { organization, role } = useOrganization();
  const session = useSession();
  const [result, refetch] = createLiveQuery<MembersData>({
    query: MEMBERS,
    variables: () => ({ organizationId: organization().id }),
  });

  return (
    <>
      <PageHeader title="Members" description={`People in ${organization().name} and what they may do.`} />
      <QueryState result={result} retry={() => refetch({ requestPolicy: 'network-only' })}>
        {(data) => {
          const members = () => [...(data().organization?.organizationMemberships.nodes ?? [])].sort(byRoleThenEmail);
          const me = () => members().find((member) => member.userId === session.user()?.id);
          // The live list knows a role change before the session does; a platform admin who is not a member has none.
          const myRole = (): Role | null => me()?.role ?? role();
          const invitations = () =>
            (data().organizationInvitations?.nodes ?? []).filter(
              (invitation) => invitation.organizationId === organization().id && invitation.status === 'pending',
            );
          return (
            <>
              <Show when={canManage(myRole())}>
                <Section title="Invite a member" description="They get a mail with a link that works for 24 hours.">
                  <InviteForm
                    organizationId={organization().id}
                    myRole={myRole()}
                    memberEmails={members().map((member) => member.user?.email.toLowerCase() ?? '')}
                  />
                </Section>
              </Show>
              <Section
                title="Members"
                description={
                  canManage(myRole())
                    ? myRole() === 'owner'
                      ? 'As an owner you may change anyone’s role, remove members and transfer ownership.'
                      : 'As an administrator you may change and remove members other than owners.'
                    : 'Only owners and administrators change members; ask one of them.'
                }
              >
                <MemberList organizationId={organization().id} members={members()} myRole={myRole()} myUserId={session.user()?.id} />
              </Section>
              <Section title="Pending invitations" description="Invitations not yet accepted, declined or revoked.">
                <Show when={invitations().length > 0} fallback={<Empty title="No pending invitations" />}>
                  <InvitationList invitations={invitations()} myRole={myRole()} />
                </Show>
              </Section>
              <Show when={me()}>
                <LeaveSection organizationId={organization().id} organizationName={organization().name} />
              </Show>
            </>
          );
        }}
      </QueryState>
    </>
  );
}
