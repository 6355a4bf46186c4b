/**
 * The project's API page (/project/:ref/api): its GraphQL endpoint and keys, an explorer that runs queries with the
 * chosen key, the schema as that key sees it, and code to call it with curl and supabase-js.
 */
import { createQuery } from '@urql/solid';
import { createEffect, createSignal, Match, on, Show, Switch } from 'solid-js';
import { onOrganizationEvent } from '../../graphql/live.ts';
import { useProject } from '../../layout/project.tsx';
import { Select } from '../../ui/field.tsx';
import { PageHeader, Secret, Section, Value } from '../../ui/misc.tsx';
import { Empty, Loading, QueryState } from '../../ui/states.tsx';
import { Examples } from './api/examples.tsx';
import { Explorer, parseVariables } from './api/explorer.tsx';
import { SchemaBrowser } from './api/schema.tsx';
import './api/api.css';

/*
 * Not a live query: each reveal of the secrets is audited, so they are read once, and again only when they changed.
 */
const CREDENTIALS = `query ProjectApiCredentials($projectId: UUID!) {
  projectCredentials(projectId: $projectId) { apiUrl anonKey serviceRoleKey }
}`;
const BUCKETS = `query ProjectApiBuckets($projectId: UUID!) { projectStorageUsage(projectId: $projectId) { buckets { bucket } } }`;

interface Credentials {
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string | null;
}

type KeyName = 'anon' | 'service_role';

const DEFAULT_QUERY = `# Your project's GraphQL API. Write a query and Run it;
# the schema below shows what the chosen key can reach.
query Hello {
  __typename
}
`;

export function ProjectApi() {
  const { project } = useProject();
  const ready = () => !['provisioning', 'failed', 'deleting', 'deleted'].includes(project().status);
  const [credentials, refetchCredentials] = createQuery<{ projectCredentials: Credentials | null }>({
    query: CREDENTIALS,
    variables: () => ({ projectId: project().id }),
    pause: () => !ready(),
    requestPolicy: 'network-only',
  });
  const reloadKeys = () => refetchCredentials({ requestPolicy: 'network-only' });
  onOrganizationEvent(['project.credentials_changed'], reloadKeys);

  return (
    <>
      <PageHeader title="API" description="Your project's GraphQL endpoint, an explorer to try it with a key, and code to call it from apps." />
      <Switch>
        <Match when={project().status === 'provisioning'}>
          <Loading label="The project is being set up; its API is ready in a moment." />
        </Match>
        <Match when={project().status === 'failed'}>
          <Empty title="The project has no API">
            Setting it up failed{project().statusReason ? `: ${project().statusReason}` : ''}. Retry from the project’s home page.
          </Empty>
        </Match>
        <Match when={!ready()}>
          <Empty title="The project is being deleted">Its API no longer answers.</Empty>
        </Match>
        <Match when={ready()}>
          <QueryState result={credentials} retry={reloadKeys} empty={(data) => !data.projectCredentials} whenEmpty={<Empty title="No keys">This project has no API keys.</Empty>}>
            {(data) => <ApiPage credentials={data().projectCredentials!} onReloadKeys={reloadKeys} />}
          </QueryState>
        </Match>
      </Switch>
    </>
  );
}

function ApiPage(props: { credentials: Credentials; onReloadKeys: () => void }) {
  const { project } = useProject();
  const [keyName, setKeyName] = createSignal<KeyName>('anon');
  const apiKey = () => (keyName() === 'service_role' && props.credentials.serviceRoleKey) || props.credentials.anonKey;
  // A read-only member has no service_role key; keys reloaded after a rotation keep the choice when they can.
  createEffect(on(() => props.credentials.serviceRoleKey, (secret) => !secret && setKeyName('anon')));
  const document = createExplorerDocument(project().ref);
  // Same origin, whatever host the public API URL names: the console's CSP allows only its own origin.
  const endpoint = () => `/p/${project().ref}/graphql/v1`;
  const unavailable = () =>
    ({
      paused: 'The project is paused: resume it on its home page to use its API.',
      pausing: 'The project is pausing: its API does not answer.',
      resuming: 'The project is resuming: its API answers again in a moment.',
    })[project().status as string];
  const [buckets] = createQuery<{ projectStorageUsage: { buckets: { bucket: string }[] } | null }>({
    query: BUCKETS,
    variables: () => ({ projectId: project().id }),
  });
  const bucket = () => buckets.data?.projectStorageUsage?.buckets[0]?.bucket ?? 'avatars';
  const keyOptions = () => [
    { value: 'anon', label: 'anon (public)' },
    ...(props.credentials.serviceRoleKey ? [{ value: 'service_role', label: 'service_role (secret)' }] : []),
  ];

  return (
    <>
      <Section title="Connect" description="The endpoint, and the key every request carries.">
        <div class="api-connect">
          <div class="field api-wide">
            <span class="api-label">GraphQL endpoint</span>
            <Value value={`${props.credentials.apiUrl}/graphql/v1`} label="GraphQL endpoint" />
          </div>
          <div class="field api-wide">
            <span class="api-label">API URL (for supabase-js)</span>
            <Value value={props.credentials.apiUrl} label="API URL" />
          </div>
          <Select
            label="API key"
            value={keyName()}
            onValue={(value) => setKeyName(value as KeyName)}
            options={keyOptions()}
          />
          <div class="field">
            <span class="api-label">{keyName()} key</span>
            <Secret value={apiKey()} label={`${keyName()} key`} />
            <p class="field-hint">
              <Show
                when={keyName() === 'service_role'}
                fallback={
                  <>
                    Safe in browsers and apps: requests run as <code>anon</code>, or as the signed-in user, under row level security.
                    {!props.credentials.serviceRoleKey && ' Read-only members see only this key.'}
                  </>
                }
              >
                Skips row level security. Keep it on servers; never ship it in a browser or app.
              </Show>
            </p>
          </div>
        </div>
      </Section>
      <Section
        title="Explorer"
        description="Runs against the endpoint above with the chosen key, exactly as an app would."
        actions={
          // The key travels in the fragment, which browsers never send: Ruru's page moves it into its headers.
          <a class="button button-secondary" href={`/p/${project().ref}/graphiql#apikey=${encodeURIComponent(apiKey())}`} target="_blank" rel="noopener">
            Open in Ruru (GraphiQL)
          </a>
        }
      >
        <Explorer
          endpoint={endpoint()}
          apiKey={apiKey()}
          keyName={keyName()}
          document={document}
          unavailable={unavailable()}
          onKeyRefused={props.onReloadKeys}
        />
      </Section>
      <Section title="Schema" description={`What the ${keyName()} key can query, change and subscribe to.`}>
        <Show when={!unavailable()} fallback={<p class="muted">{unavailable()}</p>}>
          <SchemaBrowser endpoint={endpoint()} apiKey={apiKey()} keyName={keyName()} />
        </Show>
      </Section>
      <Examples
        apiUrl={props.credentials.apiUrl}
        apiKey={apiKey()}
        keyName={keyName()}
        query={document.query()}
        variables={parseVariables(document.variables()).value}
        bucket={bucket()}
      />
    </>
  );
}

/** The explorer's query and variables, kept per project in this browser so that they survive leaving the page. */
function createExplorerDocument(ref: string) {
  const storageKey = `canopy:api-explorer:${ref}`;
  let saved: { query?: string; variables?: string } = {};
  try {
    saved = JSON.parse(localStorage.getItem(storageKey) ?? '{}');
  } catch {
    // A broken entry is replaced by the next edit.
  }
  const [query, setQuery] = createSignal(saved.query ?? DEFAULT_QUERY);
  const [variables, setVariables] = createSignal(saved.variables ?? '');
  createEffect(() => {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ query: query(), variables: variables() }));
    } catch {
      // Storage full or disabled: the document just is not kept.
    }
  });
  return { query, setQuery, variables, setVariables };
}
