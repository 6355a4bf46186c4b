/** Personal access tokens for scripts: created with a name and an optional expiry, shown once, revocable. */
import { createMutation } from '@urql/solid';
import { createSignal, For, Show } from 'solid-js';
import { errorCode, errorMessage } from '../../graphql/client.ts';
import { refreshLiveQueries } from '../../graphql/live.ts';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog, Dialog } from '../../ui/dialog.tsx';
import { Field, FormError, Select } from '../../ui/field.tsx';
import { Badge, CopyButton, formatDate, Section } from '../../ui/misc.tsx';
import { Empty } from '../../ui/states.tsx';
import { isPast, nameProblem, type AccessToken } from './data.ts';

const CREATE_TOKEN = `mutation CreatePersonalAccessToken($input: CreatePersonalAccessTokenInput!) {
  createPersonalAccessToken(input: $input) { result }
}`;
const DELETE_TOKEN = `mutation DeletePersonalAccessToken($id: UUID!) {
  deletePersonalAccessToken(input: { id: $id }) { personalAccessToken { id } }
}`;

export function TokensSection(props: { tokens: AccessToken[] }) {
  const [created, setCreated] = createSignal<string>();
  const sorted = () => [...props.tokens].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <Section
      title="Personal access tokens"
      description="For scripts and the command line: send one as “Authorization: Bearer <token>”. A token acts as you, in every organization you belong to."
    >
      <NewTokenForm onCreated={setCreated} />
      <Show when={sorted().length > 0} fallback={<Empty title="No tokens yet">Create one above when a script needs to reach Canopy.</Empty>}>
        <div class="table-wrap fit-width">
          <table class="table">
            <caption class="visually-hidden">Personal access tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="wide-only">Token</th>
                <th scope="col" class="wide-only">Created</th>
                <th scope="col" class="wide-only">Last used</th>
                <th scope="col" class="wide-only">Expires</th>
                <th scope="col" class="wide-only"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              <For each={sorted()}>{(token) => <TokenRow token={token} />}</For>
            </tbody>
          </table>
        </div>
      </Show>
      <NewTokenDialog token={created()} onClose={() => setCreated(undefined)} />
    </Section>
  );
}

const EXPIRIES = [
  { value: '', label: 'Never' },
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In a year' },
  { value: 'date', label: 'On a date…' },
];

const today = () => new Date().toISOString().slice(0, 10);

function NewTokenForm(props: { onCreated: (token: string) => void }) {
  const [name, setName] = createSignal('');
  const [expiry, setExpiry] = createSignal('90');
  const [date, setDate] = createSignal('');
  const [errors, setErrors] = createSignal<{ name?: string; expiry?: string; form?: string }>({});
  const [state, create] = createMutation(CREATE_TOKEN);

  /** The expiry as a timestamp, or null for none; a date means the end of that day, here. */
  const expiresAt = (): string | null => {
    if (expiry() === '') return null;
    if (expiry() === 'date') return new Date(`${date()}T23:59:59`).toISOString();
    return new Date(Date.now() + Number(expiry()) * 24 * 3600 * 1000).toISOString();
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const found: { name?: string; expiry?: string } = {};
    const value = name().trim();
    found.name = value ? nameProblem(value, 'A token name') : 'Name the token after what will use it';
    if (expiry() === 'date') {
      if (!date()) found.expiry = 'Choose the day it expires';
      else if (date() < today()) found.expiry = 'The expiry must be in the future';
    }
    setErrors(found);
    if (found.name || found.expiry) return;
    const result = await create({ input: { name: value, expiresAt: expiresAt() } });
    if (result.error) {
      const code = errorCode(result.error);
      const message = errorMessage(result.error);
      if (code === 'INVALID_NAME') setErrors({ name: message });
      else if (code === 'INVALID_EXPIRY') setErrors({ expiry: message });
      else setErrors({ form: message });
      return;
    }
    setName('');
    props.onCreated(result.data.createPersonalAccessToken.result);
    refreshLiveQueries();
  };

  return (
    <form onSubmit={submit} novalidate aria-label="Create a personal access token" class="token-form">
      <div class="token-fields">
        <Field label="Token name" value={name()} onValue={setName} error={errors().name} hint="What uses it, e.g. “CI deploys”." autocomplete="off" />
        <Select label="Expires" value={expiry()} onValue={setExpiry} options={EXPIRIES} error={expiry() === 'date' ? undefined : errors().expiry} />
        <Show when={expiry() === 'date'}>
          <Field label="Expiry date" type="date" min={today()} value={date()} onValue={setDate} error={errors().expiry} />
        </Show>
        <div class="token-submit">
          <Button type="submit" variant="primary" pending={state.fetching}>Create token</Button>
        </div>
      </div>
      <FormError message={errors().form} />
    </form>
  );
}

/** The new token, this once: copy it now or never. */
function NewTokenDialog(props: { token: string | undefined; onClose: () => void }) {
  return (
    <Dialog open={!!props.token} title="Copy your new token" onClose={props.onClose}>
      <div class="dialog-body stack">
        <p class="token-warning" role="note">
          <strong>This is the only time the token is shown.</strong> Canopy keeps only a hash of it: store it now, in a
          password manager or your script’s secrets. If you lose it, revoke it and create another.
        </p>
        <div class="secret">
          <input class="token-value" readOnly value={props.token ?? ''} aria-label="New token" onFocus={(event) => event.currentTarget.select()} />
          <CopyButton value={props.token ?? ''} label="Copy token" />
        </div>
      </div>
      <div class="dialog-actions">
        <Button variant="primary" onClick={props.onClose}>Done</Button>
      </div>
    </Dialog>
  );
}

function TokenRow(props: { token: AccessToken }) {
  const [confirming, setConfirming] = createSignal(false);
  const [, revoke] = createMutation(DELETE_TOKEN);
  const onRevoke = async () => {
    const result = await revoke({ id: props.token.id });
    if (result.error) return errorMessage(result.error);
    refreshLiveQueries();
  };
  const expires = () => (
    <Show when={props.token.expiresAt} fallback={<span class="muted">Never</span>}>
      <Show when={isPast(props.token.expiresAt)} fallback={formatDate(props.token.expiresAt)}>
        <Badge status="expired" />
      </Show>
    </Show>
  );
  const revokeButton = () => (
    <Button variant="ghost" class="danger-text" onClick={() => setConfirming(true)} aria-label={`Revoke token ${props.token.name}`}>
      Revoke
    </Button>
  );
  return (
    <tr>
      <td>
        <span>{props.token.name}</span>
        {/* On a phone the other columns fold in here; CSS shows this copy or the columns. */}
        <div class="narrow-only">
          <code>{props.token.tokenPrefix}…</code>
          <span class="muted account-detail">
            Last used {props.token.lastUsedAt ? formatDate(props.token.lastUsedAt) : 'never'} · expires {expires()}
          </span>
          {revokeButton()}
        </div>
        <ConfirmDialog
          open={confirming()}
          title={`Revoke “${props.token.name}”?`}
          action="Revoke token"
          onConfirm={onRevoke}
          onClose={() => setConfirming(false)}
        >
          <p>Scripts that use it are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      </td>
      <td class="wide-only">
        <code>{props.token.tokenPrefix}…</code>
      </td>
      <td class="wide-only">{formatDate(props.token.createdAt)}</td>
      <td class="wide-only">{props.token.lastUsedAt ? formatDate(props.token.lastUsedAt) : <span class="muted">Never</span>}</td>
      <td class="wide-only">{expires()}</td>
      <td class="actions wide-only">{revokeButton()}</td>
    </tr>
  );
}
