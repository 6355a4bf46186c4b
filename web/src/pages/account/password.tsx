/** Changing the password: the server checks the current one and signs out every other session. */
import { createMutation } from '@urql/solid';
import { createSignal, Show } from 'solid-js';
import { errorCode, errorMessage } from '../../graphql/client.ts';
import { refreshLiveQueries } from '../../graphql/live.ts';
import { Button } from '../../ui/button.tsx';
import { Field, FormError } from '../../ui/field.tsx';
import { Section } from '../../ui/misc.tsx';
import { MIN_PASSWORD_LENGTH } from '../sign-in.tsx';

const CHANGE_PASSWORD = `mutation ChangePassword($input: ChangePasswordInput!) { changePassword(input: $input) }`;

type Errors = { current?: string; next?: string; repeat?: string; form?: string };

export function PasswordSection() {
  const [current, setCurrent] = createSignal('');
  const [next, setNext] = createSignal('');
  const [repeat, setRepeat] = createSignal('');
  const [errors, setErrors] = createSignal<Errors>({});
  const [done, setDone] = createSignal(false);
  const [state, change] = createMutation(CHANGE_PASSWORD);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setDone(false);
    const found: Errors = {};
    if (!current()) found.current = 'Enter your current password';
    if (next().length < MIN_PASSWORD_LENGTH) found.next = `Use at least ${MIN_PASSWORD_LENGTH} characters`;
    else if (next() === current()) found.next = 'Choose a password different from the current one';
    if (!found.next && repeat() !== next()) found.repeat = 'The two new passwords differ';
    setErrors(found);
    if (found.current || found.next || found.repeat) return;
    const result = await change({ input: { oldPassword: current(), newPassword: next() } });
    if (result.error) {
      const code = errorCode(result.error);
      const message = errorMessage(result.error);
      if (code === 'WRONG_CREDENTIALS') setErrors({ current: message });
      else if (code === 'WEAK_PASSWORD') setErrors({ next: message });
      else setErrors({ form: message });
      return;
    }
    setCurrent('');
    setNext('');
    setRepeat('');
    setDone(true);
    refreshLiveQueries();
  };

  return (
    <Section
      title="Password"
      description="Changing it signs you out everywhere else: every other browser and script session ends. Personal access tokens keep working."
    >
      <form onSubmit={submit} novalidate class="account-form" aria-label="Change password">
        <Field label="Current password" type="password" autocomplete="current-password" value={current()} onValue={setCurrent} error={errors().current} />
        <Field
          label="New password"
          type="password"
          autocomplete="new-password"
          value={next()}
          onValue={setNext}
          error={errors().next}
          hint={`At least ${MIN_PASSWORD_LENGTH} characters, with at least 5 different ones, not your email.`}
        />
        <Field label="Repeat new password" type="password" autocomplete="new-password" value={repeat()} onValue={setRepeat} error={errors().repeat} />
        <FormError message={errors().form} />
        <div class="row">
          <Button type="submit" variant="primary" pending={state.fetching}>Change password</Button>
          <Show when={done()}>
            <span class="muted" role="status">Password changed. Your other sessions have ended.</span>
          </Show>
        </div>
      </form>
    </Section>
  );
}
