/** The members table: role (changeable where the caller may), joined date, and remove / transfer ownership. */
import { createMutation } from '@urql/solid';
import { createSignal, createUniqueId, For, Show } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import type { Role } from '../../../layout/organization.tsx';
import { useSession } from '../../../session.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { CHANGE_ROLE, formatDay, memberLabel, REMOVE_MEMBER, TRANSFER, type Member } from './data.ts';
import { assignableRoles, mayManageMember, ROLE_LABELS, roleLabel } from './roles.ts';

interface ListProps {
  organizationId: string;
  members: Member[];
  myRole: Role | null;
  myUserId: string | undefined;
}

export function MemberList(props: ListProps) {
  return (
    <div class="table-wrap fit-width">
      <table class="table">
        <caption class="visually-hidden">Members</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Role</th>
            <th scope="col" class="wide-only">Joined</th>
            <th scope="col" class="wide-only"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          <For each={props.members}>
            {(member) => (
              <MemberRow
                member={member}
                organizationId={props.organizationId}
                myRole={props.myRole}
                isMe={member.userId === props.myUserId}
              />
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}

function MemberRow(props: { member: Member; organizationId: string; myRole: Role | null; isMe: boolean }) {
  const [removing, setRemoving] = createSignal(false);
  const [transferring, setTransferring] = createSignal(false);
  const [, remove] = createMutation(REMOVE_MEMBER);
  const [, transfer] = createMutation(TRANSFER);
  const session = useSession();
  const label = () => memberLabel(props.member);
  // Leaving is its own section; here the caller manages others.
  const mayRemove = () => !props.isMe && mayManageMember(props.myRole, props.member.role);
  const mayTransfer = () => !props.isMe && props.myRole === 'owner' && props.member.role !== 'owner';
  const mayChangeRole = () => mayManageMember(props.myRole, props.member.role);

  const onRemove = async () => {
    const result = await remove({ id: props.member.id });
    if (result.error) return errorMessage(result.error);
    refreshLiveQueries();
  };
  const onTransfer = async () => {
    const result = await transfer({ organizationId: props.organizationId, userId: props.member.userId });
    if (result.error) return errorMessage(result.error);
    await session.reload();
    refreshLiveQueries();
  };

  // On a phone the date and the buttons move under the name (CSS shows one copy; the other is display: none).
  const actions = () => (
    <div class="row member-actions">
      <Show when={mayTransfer()}>
        <Button onClick={() => setTransferring(true)} aria-label={`Transfer ownership to ${label()}`}>Transfer ownership</Button>
      </Show>
      <Show when={mayRemove()}>
        <Button variant="ghost" class="danger-text" onClick={() => setRemoving(true)} aria-label={`Remove ${label()}`}>Remove</Button>
      </Show>
    </div>
  );

  return (
    <tr>
      <td>
        <div class="member-name">
          <span>{props.member.user?.name ?? props.member.user?.email ?? 'Unknown'}</span>
          <Show when={props.isMe}>
            <span class="badge badge-quiet">you</span>
          </Show>
        </div>
        <Show when={props.member.user?.name}>
          <span class="muted member-email">{props.member.user?.email}</span>
        </Show>
        <div class="narrow-only">
          <span class="muted member-email">Joined {formatDay(props.member.createdAt)}</span>
          {actions()}
        </div>
        <ConfirmDialog
          open={removing()}
          title={`Remove ${label()}?`}
          action="Remove member"
          onConfirm={onRemove}
          onClose={() => setRemoving(false)}
        >
          <p>They lose access to this organization and all its projects at once. You can invite them again later.</p>
        </ConfirmDialog>
        <ConfirmDialog
          open={transferring()}
          title={`Transfer ownership to ${label()}?`}
          action="Transfer ownership"
          onConfirm={onTransfer}
          onClose={() => setTransferring(false)}
        >
          <p>
            {label()} becomes an owner, and you become an administrator: you can no longer delete the organization,
            change owners or make someone an owner.
          </p>
        </ConfirmDialog>
      </td>
      <td>
        <Show when={mayChangeRole()} fallback={<span>{roleLabel(props.member.role)}</span>}>
          <RoleSelect member={props.member} myRole={props.myRole} isMe={props.isMe} />
        </Show>
      </td>
      <td class="wide-only">{formatDay(props.member.createdAt)}</td>
      <td class="actions wide-only">{actions()}</td>
    </tr>
  );
}

/**
 * Picks a role, then saves it: a select that applied on change would send one change per arrow key. One's own role
 * changes only after a confirmation (it can take away the right to change it back).
 */
function RoleSelect(props: { member: Member; myRole: Role | null; isMe: boolean }) {
  const id = createUniqueId();
  const session = useSession();
  const [state, change] = createMutation(CHANGE_ROLE);
  const [choice, setChoice] = createSignal<Role>();
  const [error, setError] = createSignal<string>();
  const [confirming, setConfirming] = createSignal(false);
  const shown = () => choice() ?? props.member.role;
  const label = () => memberLabel(props.member);
  // An administrator sees an owner's role only as text (mayManageMember), so the member's role is always offered.
  const options = () => {
    const roles = assignableRoles(props.myRole);
    return roles.includes(props.member.role) ? roles : [props.member.role, ...roles];
  };

  const apply = async (): Promise<string | undefined> => {
    const role = choice();
    if (!role) return;
    setError(undefined);
    const result = await change({ id: props.member.id, role });
    if (result.error) {
      const message = errorMessage(result.error);
      // The confirmation shows it and keeps the choice until closed; otherwise it goes beside the select.
      if (!confirming()) {
        setChoice(undefined);
        setError(message);
      }
      return message;
    }
    setChoice(undefined);
    if (props.isMe) await session.reload();
    refreshLiveQueries();
  };

  return (
    <div class="role-cell">
      <div class="row role-row">
        <label for={id} class="visually-hidden">Role of {label()}</label>
        <select
          id={id}
          class="role-select"
          disabled={state.fetching}
          aria-invalid={error() ? 'true' : undefined}
          aria-describedby={error() ? `${id}-error` : undefined}
          onChange={(event) => {
            const role = event.currentTarget.value as Role;
            setError(undefined);
            setChoice(role === props.member.role ? undefined : role);
          }}
        >
          <For each={options()}>{(role) => <option value={role} selected={role === shown()}>{ROLE_LABELS[role]}</option>}</For>
        </select>
        <Show when={choice()}>
          <Button
            variant="primary"
            pending={state.fetching}
            onClick={() => (props.isMe ? setConfirming(true) : void apply())}
            aria-label={`Save role of ${label()}`}
          >
            Save
          </Button>
        </Show>
      </div>
      <Show when={error()}>
        <p class="field-error" id={`${id}-error`} role="alert">{error()}</p>
      </Show>
      <ConfirmDialog
        open={confirming()}
        title="Change your own role?"
        action={`Become ${roleLabel(shown()).toLowerCase()}`}
        onConfirm={apply}
        onClose={() => {
          setConfirming(false);
          setChoice(undefined);
        }}
      >
        <p>
          You are {roleLabel(props.member.role).toLowerCase()} here. As {roleLabel(shown()).toLowerCase()} you may lose the
          right to change it back.
        </p>
      </ConfirmDialog>
    </div>
  );
}
