/**
 * How to reach the project: API URL, keys, JWT secret and connection string, with key rotation and a new database
 * password. Both are jobs that finish a moment after the mutation; the organization announces
 * `project.credentials_changed` when they have, and the page reads the credentials again then (another member's
 * change included).
 */
import { createMutation, useClient } from '@urql/solid';
import { createSignal, Match, onMount, Show, Switch } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { onOrganizationEvent } from '../../../graphql/live.ts';
import { canManage, canWrite } from '../../../layout/organization.tsx';
import { useProject } from '../../../layout/project.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { Secret, Section, Value } from '../../../ui/misc.tsx';
import { ErrorState, Loading } from '../../../ui/states.tsx';
import { type Credentials, fetchCredentials } from '../common/credentials.ts';

const ROTATE = `mutation RotateKeys($projectId: UUID!) { rotateProjectJwtSecret(input: { projectId: $projectId }) { result } }`;
const RESET = `mutation ResetPassword($projectId: UUID!) { resetProjectDatabasePassword(input: { projectId: $projectId }) { result } }`;

type Change = 'keys' | 'password';

const DONE: Record<Change, string> = {
  keys: 'New keys are ready. The old ones no longer work.',
  password: 'The database password was reset; the connection string below has the new one.',
};

export function KeysSection() {
  const { project, role } = useProject();
  const client = useClient();
  const [credentials, setCredentials] = createSignal<Credentials>();
  const [loadError, setLoadError] = createSignal<string>();
  const [waiting, setWaiting] = createSignal<Change>();
  const [notice, setNotice] = createSignal<string>();
  const [confirm, setConfirm] = createSignal<Change>();
  const [, rotate] = createMutation(ROTATE);
  const [, reset] = createMutation(RESET);

  const load = async () => {
    setLoadError(undefined);
    try {
      setCredentials(await fetchCredentials(client, project().id));
    } catch (error) {
      setLoadError((error as Error).message);
    }
  };
  onMount(load);

  onOrganizationEvent(['project.credentials_changed'], async () => {
    const change = waiting();
    await load();
    setWaiting(undefined);
    if (change) setNotice(DONE[change]);
  });

  const onConfirm = async () => {
    const change = confirm()!;
    // Waiting before asking: the worker can be done (and say so) before the mutation's answer is back.
    setNotice(undefined);
    setWaiting(change);
    const result = await (change === 'keys' ? rotate : reset)({ projectId: project().id });
    if (!result.error) return undefined;
    setWaiting(undefined);
    return errorMessage(result.error);
  };

  return (
    <Section
      title="API keys"
      description="Use the URL and the anon key in apps; keep the service_role key, the JWT secret and the connection string on servers."
    >
      <Switch>
        <Match when={credentials()}>
          {(values) => (
            <>
              <dl class="kv">
                <dt>API URL</dt>
                <dd><Value label="API URL" value={values().apiUrl} /></dd>
                <dt>anon key</dt>
                <dd><Value label="anon key" value={values().anonKey} /></dd>
                <Show when={values().serviceRoleKey}>
                  <dt>service_role key</dt>
                  <dd><Secret label="service_role key" value={values().serviceRoleKey!} /></dd>
                </Show>
                <Show when={values().jwtSecret}>
                  <dt>JWT secret</dt>
                  <dd><Secret label="JWT secret" value={values().jwtSecret!} /></dd>
                </Show>
                <Show when={values().databaseUrl}>
                  <dt>Connection string</dt>
                  <dd><Secret label="Connection string" value={values().databaseUrl!} /></dd>
                </Show>
              </dl>
              <Show when={!values().serviceRoleKey}>
                <p class="notice" style={{ 'margin-top': '12px' }}>
                  Your role ({role()?.replace('_', '-') ?? 'not a member'}) cannot see the service_role key, the JWT secret or the
                  connection string. Ask an owner or administrator of the organization for the developer role or higher.
                </p>
              </Show>
            </>
          )}
        </Match>
        <Match when={loadError()}>
          <ErrorState message={loadError()!} onRetry={load} />
        </Match>
        <Match when={!credentials()}>
          <Loading label="Loading the keys…" />
        </Match>
      </Switch>
      <Show when={waiting()}>
        <p class="notice notice-busy row" role="status" style={{ 'margin-top': '12px' }}>
          <span class="spinner" aria-hidden="true" />
          {waiting() === 'keys' ? 'Rotating the keys…' : 'Resetting the database password…'}
        </p>
      </Show>
      <Show when={notice()}>
        <p class="notice notice-good" role="status" style={{ 'margin-top': '12px' }}>
          {notice()}
        </p>
      </Show>
      <div class="row" style={{ 'margin-top': '12px' }}>
        <Button
          onClick={() => setConfirm('keys')}
          disabled={!canManage(role()) || !!waiting()}
          aria-describedby={canManage(role()) ? undefined : 'credentials-why-not'}
        >
          Rotate keys
        </Button>
        <Show when={canWrite(role())}>
          <Button
            onClick={() => setConfirm('password')}
            disabled={!canManage(role()) || !!waiting()}
            aria-describedby={canManage(role()) ? undefined : 'credentials-why-not'}
          >
            Reset database password
          </Button>
        </Show>
        <Show when={!canManage(role())}>
          <span class="muted" id="credentials-why-not">Only owners and administrators can rotate keys or reset the password.</span>
        </Show>
      </div>
      <ConfirmDialog
        open={confirm() === 'keys'}
        title="Rotate the API keys?"
        action="Rotate keys"
        onConfirm={onConfirm}
        onClose={() => setConfirm(undefined)}
      >
        <p>
          The project gets a new JWT secret and new anon and service_role keys. The old keys stop working at once, and
          every signed-in end user's token is invalidated: apps need the new keys, and their users sign in again.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm() === 'password'}
        title="Reset the database password?"
        action="Reset password"
        onConfirm={onConfirm}
        onClose={() => setConfirm(undefined)}
      >
        <p>
          The project's owner login gets a new password. Tools and sessions using the old connection string stop
          connecting until they use the new one.
        </p>
      </ConfirmDialog>
    </Section>
  );
}
