/** Adding an end user: an email and, optionally, a password (without one they sign in by a mailed link). */
import { createMutation } from '@urql/solid';
import { createSignal } from 'solid-js';
import { errorCode, errorMessage } from '../../../graphql/client.ts';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import { Button } from '../../../ui/button.tsx';
import { Dialog } from '../../../ui/dialog.tsx';
import { Field, FormError } from '../../../ui/field.tsx';

const CREATE_USER = `mutation CreateProjectUser($projectId: UUID!, $email: String!, $password: String) {
  createProjectUser(projectId: $projectId, email: $email, password: $password) { id email }
}`;

/** Roughly what the auth API takes; it has the last word. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function AddUserDialog(props: { open: boolean; projectId: string; minPasswordLength?: number; onClose: () => void }) {
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [errors, setErrors] = createSignal<{ email?: string; password?: string; form?: string }>({});
  const [state, create] = createMutation(CREATE_USER);
  const minimum = () => props.minPasswordLength ?? 6;

  const close = () => {
    setEmail('');
    setPassword('');
    setErrors({});
    props.onClose();
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const found: { email?: string; password?: string } = {};
    if (!EMAIL.test(email().trim())) found.email = 'Enter an email address such as ada@example.com';
    if (password() && password().length < minimum()) found.password = `A password is at least ${minimum()} characters here`;
    setErrors(found);
    if (found.email || found.password) return;
    const result = await create({ projectId: props.projectId, email: email().trim(), password: password() || null });
    if (result.error) {
      const code = errorCode(result.error);
      const message = errorMessage(result.error);
      if (code === 'INVALID_EMAIL' || code === 'EMAIL_TAKEN') setErrors({ email: message });
      else if (code === 'WEAK_PASSWORD') setErrors({ password: message });
      else setErrors({ form: message });
      return;
    }
    refreshLiveQueries();
    close();
  };

  return (
    <Dialog open={props.open} title="Add user" onClose={close}>
      <form onSubmit={submit} novalidate>
        <Field label="Email" type="email" value={email()} onValue={setEmail} error={errors().email} autocomplete="off" autofocus />
        <Field
          label="Password (optional)"
          type="password"
          value={password()}
          onValue={setPassword}
          error={errors().password}
          autocomplete="new-password"
          hint={`At least ${minimum()} characters. Leave it empty and the user signs in with a link sent by mail.`}
        />
        <p class="muted" style={{ 'margin-bottom': '8px' }}>The address counts as confirmed.</p>
        <FormError message={errors().form} />
        <div class="dialog-actions">
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="primary" pending={state.fetching}>Add user</Button>
        </div>
      </form>
    </Dialog>
  );
}
