/** Invites someone by email with a role; inviting a pending email again sends a new link (the server replaces it). */
import { createMutation } from '@urql/solid';
import { createSignal, Show } from 'solid-js';
import { errorCode, errorMessage } from '../../../graphql/client.ts';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import type { Role } from '../../../layout/organization.tsx';
import { Button } from '../../../ui/button.tsx';
import { Field, FormError, Select } from '../../../ui/field.tsx';
import { EMAIL_PATTERN } from '../../sign-in.tsx';
import { INVITE } from './data.ts';
import { assignableRoles, ROLE_LABELS } from './roles.ts';

export function InviteForm(props: { organizationId: string; myRole: Role | null; memberEmails: string[] }) {
  const [email, setEmail] = createSignal('');
  const [role, setRole] = createSignal<Role>('developer');
  const [errors, setErrors] = createSignal<{ email?: string; role?: string; form?: string }>({});
  const [sent, setSent] = createSignal<string>();
  const [state, invite] = createMutation(INVITE);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setSent(undefined);
    const address = email().trim();
    const found: { email?: string } = {};
    if (!EMAIL_PATTERN.test(address)) found.email = 'Enter an email address like someone@example.com';
    else if (props.memberEmails.includes(address.toLowerCase())) found.email = 'That person is already a member';
    setErrors(found);
    if (found.email) return;
    const result = await invite({ input: { organizationId: props.organizationId, email: address, role: role() } });
    if (result.error) {
      const code = errorCode(result.error);
      const message = errorMessage(result.error);
      if (code === 'ALREADY_MEMBER' || code === 'INVALID_EMAIL') setErrors({ email: message });
      else if (code === 'FORBIDDEN') setErrors({ role: message });
      else setErrors({ form: message });
      return;
    }
    setSent(`Invitation sent to ${address}. The link in it works for 24 hours.`);
    setEmail('');
    refreshLiveQueries();
  };

  return (
    <form onSubmit={submit} novalidate aria-label="Invite a member">
      <div class="invite-fields">
        <Field
          label="Email"
          type="email"
          autocomplete="off"
          value={email()}
          onValue={setEmail}
          error={errors().email}
          class="invite-email"
        />
        <Select
          label="Role"
          value={role()}
          onValue={(value) => setRole(value as Role)}
          options={assignableRoles(props.myRole).map((value) => ({ value, label: ROLE_LABELS[value] }))}
          error={errors().role}
        />
        <div class="invite-submit">
          <Button type="submit" variant="primary" pending={state.fetching}>Send invitation</Button>
        </div>
      </div>
      <FormError message={errors().form} />
      <Show when={sent()}>
        <p class="muted" role="status">{sent()}</p>
      </Show>
    </form>
  );
}
