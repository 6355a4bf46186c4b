/** Pending invitations: resend (inviting the same email again mails a new link) and revoke, for those who may. */
import { createMutation } from '@urql/solid';
import { createSignal, For, Show } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import type { Role } from '../../../layout/organization.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { Badge, formatDate } from '../../../ui/misc.tsx';
import { INVITE, isExpired, REVOKE_INVITATION, type Invitation } from './data.ts';
import { mayManageMember, roleLabel } from './roles.ts';

export function InvitationList(props: { invitations: Invitation[]; myRole: Role | null }) {
  return (
    <div class="table-wrap fit-width">
      <table class="table" aria-label="Pending invitations">
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col" class="wide-only">Invited by</th>
            <th scope="col" class="wide-only">Expires</th>
            <th scope="col" class="wide-only"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          <For each={props.invitations}>{(invitation) => <InvitationRow invitation={invitation} myRole={props.myRole} />}</For>
        </tbody>
      </table>
    </div>
  );
}

function InvitationRow(props: { invitation: Invitation; myRole: Role | null }) {
  const [resending, resend] = createMutation(INVITE);
  const [, revoke] = createMutation(REVOKE_INVITATION);
  const [confirming, setConfirming] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [note, setNote] = createSignal<string>();
  // Resending and revoking are what inviting with this role is: administrators cannot touch owner invitations.
  const mayChange = () => mayManageMember(props.myRole, props.invitation.role);

  const onResend = async () => {
    setError(undefined);
    setNote(undefined);
    const { organizationId, email, role } = props.invitation;
    const result = await resend({ input: { organizationId, email, role } });
    if (result.error) return setError(errorMessage(result.error));
    setNote('Sent again');
    refreshLiveQueries();
  };
  const onRevoke = async () => {
    const result = await revoke({ id: props.invitation.id });
    if (result.error) return errorMessage(result.error);
    refreshLiveQueries();
  };

  const expires = () => (
    <Show when={isExpired(props.invitation)} fallback={formatDate(props.invitation.expiresAt)}>
      <Badge status="expired" />
    </Show>
  );
  // On a phone the inviter, the expiry and the buttons move under the email (CSS shows one copy of each).
  const actions = () => (
    <Show when={mayChange()}>
      <div class="row member-actions">
        <Show when={note()}>
          <span class="muted" role="status">{note()}</span>
        </Show>
        <Button onClick={onResend} pending={resending.fetching} aria-label={`Resend invitation to ${props.invitation.email}`}>
          Resend
        </Button>
        <Button
          variant="ghost"
          class="danger-text"
          onClick={() => setConfirming(true)}
          aria-label={`Revoke invitation to ${props.invitation.email}`}
        >
          Revoke
        </Button>
      </div>
      <Show when={error()}>
        <p class="field-error" role="alert">{error()}</p>
      </Show>
    </Show>
  );

  return (
    <tr>
      <td>
        <span>{props.invitation.email}</span>
        <div class="narrow-only">
          <span class="muted member-email">
            Invited by {props.invitation.userByInvitedBy?.email ?? 'a former member'} · expires {expires()}
          </span>
          {actions()}
        </div>
        <ConfirmDialog
          open={confirming()}
          title={`Revoke the invitation to ${props.invitation.email}?`}
          action="Revoke invitation"
          onConfirm={onRevoke}
          onClose={() => setConfirming(false)}
        >
          <p>The link in the mail stops working. You can invite them again later.</p>
        </ConfirmDialog>
      </td>
      <td>{roleLabel(props.invitation.role)}</td>
      <td class="wide-only">{props.invitation.userByInvitedBy?.email ?? '—'}</td>
      <td class="wide-only">{expires()}</td>
      <td class="actions wide-only">{actions()}</td>
    </tr>
  );
}
