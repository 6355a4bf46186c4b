/**
 * A compact GraphQL explorer: a query and its variables, Run (Ctrl+Enter) against the project's endpoint with the
 * chosen key, and the answer as JSON. A subscription listens over a WebSocket until stopped. Every mistake one can
 * make here is said beside the box it is in; what the API answers is shown as it came.
 */
import { createSignal, onCleanup, Show, type Accessor, type Setter } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { TextArea } from '../../../ui/field.tsx';
import { CopyButton } from '../../../ui/misc.tsx';
import { operationKinds, postGraphQL, subscribeGraphQL, type GraphQLResponse } from './request.ts';

export interface ExplorerDocument {
  query: Accessor<string>;
  setQuery: Setter<string>;
  variables: Accessor<string>;
  setVariables: Setter<string>;
}

interface ExplorerProps {
  /** The endpoint as this page reaches it (same origin: /p/<ref>/graphql/v1). */
  endpoint: string;
  apiKey: string;
  keyName: string;
  document: ExplorerDocument;
  /** Why nothing can run now (a paused project), said instead of running. */
  unavailable?: string;
  /** The key was refused: perhaps the keys were rotated. */
  onKeyRefused: () => void;
}

/** The variables box as an object, or what is wrong with it. */
export function parseVariables(text: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `Variables are not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'Variables must be a JSON object, like {"first": 10}' };
  return { value: value as Record<string, unknown> };
}

async function hasSubscriptions(endpoint: string, key: string): Promise<boolean> {
  const answer = await postGraphQL(endpoint, key, '{ __schema { subscriptionType { name } } }');
  const body = answer.body as { data?: { __schema?: { subscriptionType: { name: string } | null } } } | undefined;
  // When unsure (no answer), try anyway: the subscription's own error will say what is wrong.
  return body?.data?.__schema ? body.data.__schema.subscriptionType !== null : true;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export function Explorer(props: ExplorerProps) {
  const [errors, setErrors] = createSignal<{ query?: string; variables?: string }>({});
  const [response, setResponse] = createSignal<GraphQLResponse>();
  const [running, setRunning] = createSignal(false);
  const [events, setEvents] = createSignal<unknown[]>([]);
  const [listening, setListening] = createSignal<{ stop: () => void }>();
  /** How the last subscription ended: stopped, completed, or an error. */
  const [ended, setEnded] = createSignal('');
  onCleanup(() => listening()?.stop());

  const stop = () => listening()?.stop();

  const run = async (event?: SubmitEvent) => {
    event?.preventDefault();
    if (running() || props.unavailable) return;
    const query = props.document.query();
    const kinds = operationKinds(query);
    const found: { query?: string; variables?: string } = {};
    if (!query.trim()) found.query = 'Write a query first, like { __typename }';
    else if (kinds.length === 0) found.query = 'This has no operation to run: start with {, query, mutation or subscription';
    else if (kinds.length > 1) found.query = `Run one operation at a time: this defines ${kinds.length}`;
    const variables = parseVariables(props.document.variables());
    if (variables.error) found.variables = variables.error;
    setErrors(found);
    if (found.query || found.variables) return;

    listening()?.stop();
    setListening(undefined);
    if (kinds[0] === 'subscription') {
      // Without live tables the schema has no Subscription type, and the server's answer to one would say nothing useful.
      setRunning(true);
      const available = await hasSubscriptions(props.endpoint, props.apiKey);
      setRunning(false);
      if (!available) {
        setErrors({ query: 'This API has no subscriptions yet: make a table live in the SQL editor with select canopy.enable_live(\'my_table\');' });
        return;
      }
      return listen(query, variables.value);
    }
    setRunning(true);
    setEvents([]);
    setEnded('');
    const answer = await postGraphQL(props.endpoint, props.apiKey, query, variables.value);
    setRunning(false);
    setResponse(answer);
  };

  const listen = (query: string, variables?: Record<string, unknown>) => {
    setResponse(undefined);
    setEvents([]);
    setEnded('');
    // Once stopped (or ended), late callbacks of this subscription change nothing on screen.
    let active = true;
    const end = (how: string) => {
      if (!active) return;
      active = false;
      setListening(undefined);
      setEnded(how);
    };
    const stopListening = subscribeGraphQL(props.endpoint, props.apiKey, query, variables, {
      event: (payload) => active && setEvents([payload, ...events()].slice(0, 50)),
      error: (error) => {
        if (active) setEvents([{ error }, ...events()]);
        end('Ended with an error');
      },
      done: () => end('Ended'),
    });
    setListening({
      stop: () => {
        end('Stopped');
        stopListening();
      },
    });
  };

  const refused = () => response()?.status === 401;
  const responseText = () => {
    if (listening() || ended()) return JSON.stringify(events(), null, 2);
    const body = response()?.body;
    return body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  };
  const summary = () => {
    if (listening()) return `Listening · ${plural(events().length, 'event')}, newest first`;
    if (ended()) return `${ended()} · ${plural(events().length, 'event')}, newest first`;
    const answer = response();
    if (!answer) return '';
    return answer.status === 0 ? 'No answer' : `HTTP ${answer.status} · ${answer.milliseconds} ms`;
  };

  return (
    <form class="api-explorer" onSubmit={run} novalidate>
      <Show when={props.unavailable}>
        <p class="form-error api-wide" role="alert">{props.unavailable}</p>
      </Show>
      <div class="api-editor">
        <TextArea
          label="Query"
          class="code api-query"
          rows={14}
          spellcheck={false}
          autocomplete="off"
          value={props.document.query()}
          onValue={(value) => {
            props.document.setQuery(value);
            setErrors({ ...errors(), query: undefined });
          }}
          error={errors().query}
          hint="GraphQL. Ctrl+Enter (⌘+Enter) runs it."
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              void run();
            }
          }}
        />
        <TextArea
          label="Variables"
          class="code"
          rows={4}
          spellcheck={false}
          autocomplete="off"
          value={props.document.variables()}
          onValue={(value) => {
            props.document.setVariables(value);
            setErrors({ ...errors(), variables: undefined });
          }}
          error={errors().variables}
          hint='A JSON object, like {"first": 10}; may be empty.'
        />
        <div class="row">
          <Button type="submit" variant="primary" pending={running()} disabled={!!props.unavailable}>Run</Button>
          <Show when={listening()}>
            <Button onClick={stop}>Stop</Button>
          </Show>
          <span class="muted">as the {props.keyName} key</span>
        </div>
      </div>
      <div class="api-response-pane">
        <div class="api-response-header">
          <h3 class="api-subtitle" id="api-response-title">Response</h3>
          <span class="muted" role="status">{summary()}</span>
          <Show when={responseText()}>
            <CopyButton value={responseText()} label="Copy response" />
          </Show>
        </div>
        <Show when={refused()}>
          <div class="api-refused row" role="alert">
            <span>The API refused the key. If the project’s keys were rotated, load the new ones.</span>
            <Button onClick={props.onKeyRefused}>Reload keys</Button>
          </div>
        </Show>
        <pre class="api-response" role="region" aria-labelledby="api-response-title" tabindex="0">
          {responseText() || (listening() ? 'Waiting for the first event…' : 'Run a query to see its answer here.')}
        </pre>
      </div>
    </form>
  );
}
