/** Sign in and sign up: one form each, validated before sending, the server's refusal said beside the form. */
import { A, useNavigate, useSearchParams } from '@solidjs/router';
import { createMutation } from '@urql/solid';
import { createSignal, Show } from 'solid-js';
import { errorCode, errorMessage } from '../graphql/client.ts';
import { useSession } from '../session.tsx';
import { Button } from '../ui/button.tsx';
import { Field, FormError } from '../ui/field.tsx';

const SIGN_IN = `mutation SignIn($input: SignInInput!) { signIn(input: $input) { userId } }`;
const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { userId } }`;

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The platform's own rule (server/src/control/accounts.ts); the server says the rest. */
export const MIN_PASSWORD_LENGTH = 10;

export function SignIn() {
  return <AccountForm mode="sign-in" />;
}

export function SignUp() {
  return <AccountForm mode="sign-up" />;
}

function AccountForm(props: { mode: 'sign-in' | 'sign-up' }) {
  const session = useSession();
  const navigate = useNavigate();
  const [search] = useSearchParams<{ next?: string }>();
  const [name, setName] = createSignal('');
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [errors, setErrors] = createSignal<{ email?: string; password?: string; form?: string }>({});
  const [state, send] = createMutation(props.mode === 'sign-in' ? SIGN_IN : REGISTER);
  const signUp = props.mode === 'sign-up';

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const found: { email?: string; password?: string } = {};
    if (!EMAIL_PATTERN.test(email().trim())) found.email = 'Enter an email address like you@example.com';
    if (!password()) found.password = 'Enter your password';
    else if (signUp && password().length < MIN_PASSWORD_LENGTH) found.password = `Use at least ${MIN_PASSWORD_LENGTH} characters`;
    setErrors(found);
    if (found.email || found.password) return;
    const input = { email: email().trim(), password: password(), ...(signUp && name().trim() ? { name: name().trim() } : {}) };
    const result = await send({ input });
    if (result.error) {
      const code = errorCode(result.error);
      const message = errorMessage(result.error);
      if (code === 'EMAIL_TAKEN' || code === 'INVALID_EMAIL') setErrors({ email: message });
      else if (code === 'WEAK_PASSWORD') setErrors({ password: message });
      else setErrors({ form: message });
      return;
    }
    await session.reload();
    navigate(search.next?.startsWith('/') ? search.next : '/', { replace: true });
  };

  return (
    <main class="centered">
      <p class="brand" style={{ 'margin-bottom': '16px' }}>Canopy</p>
      <section class="section">
        <h1>{signUp ? 'Create your account' : 'Sign in'}</h1>
        <form onSubmit={submit} novalidate>
          <Show when={signUp}>
            <Field label="Name" autocomplete="name" value={name()} onValue={setName} />
          </Show>
          <Field label="Email" type="email" autocomplete="email" value={email()} onValue={setEmail} error={errors().email} />
          <Field
            label="Password"
            type="password"
            autocomplete={signUp ? 'new-password' : 'current-password'}
            value={password()}
            onValue={setPassword}
            error={errors().password}
            hint={signUp ? `At least ${MIN_PASSWORD_LENGTH} characters` : undefined}
          />
          <FormError message={errors().form} />
          <Button type="submit" variant="primary" pending={state.fetching}>
            {signUp ? 'Create account' : 'Sign in'}
          </Button>
        </form>
      </section>
      <p class="muted">
        {signUp ? 'Already have an account? ' : 'New to Canopy? '}
        <A href={`${signUp ? '/sign-in' : '/sign-up'}${search.next ? `?next=${encodeURIComponent(search.next)}` : ''}`}>
          {signUp ? 'Sign in' : 'Create an account'}
        </A>
      </p>
    </main>
  );
}
