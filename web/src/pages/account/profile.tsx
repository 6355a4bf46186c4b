/** The account's display name (the email is the sign-in and cannot change here). */
import { createMutation } from '@urql/solid';
import { createSignal, Show } from 'solid-js';
import { errorCode, errorMessage } from '../../graphql/client.ts';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { Field, FormError } from '../../ui/field.tsx';
import { Section } from '../../ui/misc.tsx';
import { nameProblem, type AccountUser } from './data.ts';

const UPDATE_USER = `mutation UpdateUser($id: UUID!, $name: String) {
  updateUser(input: { id: $id, patch: { name: $name } }) { user { id name } }
}`;

export function ProfileSection(props: { user: AccountUser }) {
  const session = useSession();
  const [name, setName] = createSignal<string>();
  const [errors, setErrors] = createSignal<{ name?: string; form?: string }>({});
  const [saved, setSaved] = createSignal(false);
  const [state, update] = createMutation(UPDATE_USER);
  const shown = () => name() ?? props.user.name ?? '';

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setSaved(false);
    const value = shown().trim();
    const problem = nameProblem(value, 'A name');
    setErrors({ name: problem });
    if (problem) return;
    const result = await update({ id: props.user.id, name: value || null });
    if (result.error) {
      const message = errorMessage(result.error);
      setErrors(errorCode(result.error) === 'INVALID_NAME' ? { name: message } : { form: message });
      return;
    }
    setName(undefined);
    setSaved(true);
    await session.reload();
  };

  return (
    <Section title="Profile" description="How teammates see you in member lists and the audit log.">
      <form onSubmit={submit} novalidate class="account-form" aria-label="Profile">
        <Field label="Email" value={props.user.email} readOnly hint="You sign in with it." />
        <Field
          label="Name"
          autocomplete="name"
          value={shown()}
          onValue={(value) => {
            setSaved(false);
            setName(value);
          }}
          error={errors().name}
          hint="Optional; up to 100 characters."
        />
        <FormError message={errors().form} />
        <div class="row">
          <Button type="submit" variant="primary" pending={state.fetching}>Save name</Button>
          <Show when={saved()}>
            <span class="muted" role="status">Saved</span>
          </Show>
        </div>
      </form>
    </Section>
  );
}
