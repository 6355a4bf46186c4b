/**
 * A schema browser from introspection, as the chosen key sees the API (anon may see less than service_role): the root
 * operation types, every type by name, and a type's fields, arguments and values. Types load one at a time, which
 * keeps each introspection query far under the API's depth and cost limits.
 */
import { createMemo, createResource, createSignal, For, Match, Show, Switch } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { Field } from '../../../ui/field.tsx';
import { ErrorState, Loading } from '../../../ui/states.tsx';
import { postGraphQL } from './request.ts';

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }';
const ROOTS = `query CanopySchemaRoots {
  __schema { queryType { name } mutationType { name } subscriptionType { name } types { name kind } }
}`;
const TYPE = `query CanopySchemaType($name: String!) {
  __type(name: $name) {
    name kind description
    fields { name description args { name description defaultValue type { ${TYPE_REF} } } type { ${TYPE_REF} } }
    inputFields { name description defaultValue type { ${TYPE_REF} } }
    enumValues { name description }
    possibleTypes { name }
  }
}`;

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}

interface InputValue {
  name: string;
  description: string | null;
  defaultValue: string | null;
  type: TypeRef;
}

interface FieldInfo {
  name: string;
  description: string | null;
  args: InputValue[];
  type: TypeRef;
}

interface TypeInfo {
  name: string;
  kind: string;
  description: string | null;
  fields: FieldInfo[] | null;
  inputFields: InputValue[] | null;
  enumValues: { name: string; description: string | null }[] | null;
  possibleTypes: { name: string }[] | null;
}

interface Roots {
  queryType: { name: string } | null;
  mutationType: { name: string } | null;
  subscriptionType: { name: string } | null;
  types: { name: string; kind: string }[];
}

/** The data of a GraphQL answer, or an error in words. */
async function introspect<Data>(endpoint: string, key: string, query: string, variables?: Record<string, unknown>): Promise<Data> {
  const response = await postGraphQL(endpoint, key, query, variables);
  const body = response.body as { data?: Data; errors?: { message: string }[] } | string;
  if (typeof body === 'string') throw new Error(response.status === 0 ? body : `The API answered HTTP ${response.status}`);
  if (body.errors?.length) throw new Error(body.errors.map((error) => error.message).join('; '));
  if (!body.data) throw new Error(`The API answered HTTP ${response.status} without data`);
  return body.data;
}

export function SchemaBrowser(props: { endpoint: string; apiKey: string; keyName: string }) {
  const [roots, { refetch }] = createResource(
    () => ({ endpoint: props.endpoint, key: props.apiKey }),
    ({ endpoint, key }) => introspect<{ __schema: Roots }>(endpoint, key, ROOTS).then((data) => data.__schema),
  );
  // The types opened, in order: the last one is on screen; none is the overview.
  const [trail, setTrail] = createSignal<string[]>([]);
  const open = (name: string) => setTrail([...trail(), name]);
  const back = () => setTrail(trail().slice(0, -1));
  const current = () => trail().at(-1);
  return (
    <div class="api-schema">
      <Switch>
        <Match when={roots.error}>
          <ErrorState message={`Could not read the schema: ${(roots.error as Error).message}`} onRetry={refetch} />
        </Match>
        <Match when={roots.loading && !roots.latest}>
          <Loading label="Reading the schema…" />
        </Match>
        <Match when={roots.latest}>
          {(schema) => (
            <Show when={current()} fallback={<Overview roots={schema()} keyName={props.keyName} onOpen={open} />} keyed>
              {(name) => (
                <div class="stack">
                  <nav class="row" aria-label="Schema trail">
                    <Button variant="ghost" onClick={() => setTrail([])}>All types</Button>
                    <Show when={trail().length > 1}>
                      <Button variant="ghost" onClick={back}>Back to {trail().at(-2)}</Button>
                    </Show>
                  </nav>
                  <TypeView endpoint={props.endpoint} apiKey={props.apiKey} name={name} onOpen={open} />
                </div>
              )}
            </Show>
          )}
        </Match>
      </Switch>
    </div>
  );
}

/** The root operation types first, then every other type, narrowed by a search. */
function Overview(props: { roots: Roots; keyName: string; onOpen: (name: string) => void }) {
  const [search, setSearch] = createSignal('');
  const rootNames = () =>
    [
      { label: 'Query', type: props.roots.queryType },
      { label: 'Mutation', type: props.roots.mutationType },
      { label: 'Subscription', type: props.roots.subscriptionType },
    ].filter((root) => root.type);
  const types = createMemo(() =>
    props.roots.types
      .filter((type) => !type.name.startsWith('__'))
      .filter((type) => type.name.toLowerCase().includes(search().trim().toLowerCase()))
      .sort((a, b) => a.name.localeCompare(b.name)),
  );
  return (
    <div class="stack">
      <div>
        <h3 class="api-subtitle">Root types</h3>
        <p class="muted">What the {props.keyName} key can reach. Open a type to see its fields.</p>
        <ul class="api-roots" aria-label="Root types">
          <For each={rootNames()}>
            {(root) => (
              <li>
                <button type="button" class="api-type-link" onClick={() => props.onOpen(root.type!.name)}>
                  {root.label}
                </button>
                <Show when={root.type!.name !== root.label}>
                  <span class="muted"> ({root.type!.name})</span>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </div>
      <div>
        <h3 class="api-subtitle">All types</h3>
        <Field label="Find a type" type="search" value={search()} onValue={setSearch} autocomplete="off" />
        <Show when={types().length > 0} fallback={<p class="muted">No type is called anything like “{search()}”.</p>}>
          <ul class="api-type-list" aria-label="Types">
            <For each={types()}>
              {(type) => (
                <li>
                  <button type="button" class="api-type-link" onClick={() => props.onOpen(type.name)}>{type.name}</button>{' '}
                  <span class="muted">{kindWord(type.kind)}</span>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </div>
    </div>
  );
}

function TypeView(props: { endpoint: string; apiKey: string; name: string; onOpen: (name: string) => void }) {
  const [type, { refetch }] = createResource(
    () => ({ endpoint: props.endpoint, key: props.apiKey, name: props.name }),
    ({ endpoint, key, name }) => introspect<{ __type: TypeInfo | null }>(endpoint, key, TYPE, { name }).then((data) => data.__type),
  );
  return (
    <Switch>
      <Match when={type.error}>
        <ErrorState message={`Could not read ${props.name}: ${(type.error as Error).message}`} onRetry={refetch} />
      </Match>
      <Match when={type.loading}>
        <Loading label={`Reading ${props.name}…`} />
      </Match>
      <Match when={type() === null}>
        <p class="muted">This key cannot see a type called {props.name}.</p>
      </Match>
      <Match when={type()}>
        {(info) => (
          <article class="stack api-type" aria-label={`Type ${info().name}`}>
            <div>
              <h3 class="api-subtitle">
                {info().name} <span class="muted">{kindWord(info().kind)}</span>
              </h3>
              <Show when={info().description}>
                <p class="muted api-description">{info().description}</p>
              </Show>
            </div>
            <Show when={info().fields?.length}>
              <FieldList fields={info().fields!} onOpen={props.onOpen} />
            </Show>
            <Show when={info().inputFields?.length}>
              <ul class="api-fields" aria-label="Input fields">
                <For each={info().inputFields!}>{(input) => <li><InputValueView value={input} onOpen={props.onOpen} /></li>}</For>
              </ul>
            </Show>
            <Show when={info().enumValues?.length}>
              <ul class="api-fields" aria-label="Values">
                <For each={info().enumValues!}>
                  {(value) => (
                    <li>
                      <code>{value.name}</code>
                      <Show when={value.description}><p class="muted api-description">{value.description}</p></Show>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
            <Show when={info().possibleTypes?.length}>
              <p>
                One of:{' '}
                <For each={info().possibleTypes!}>
                  {(possible, index) => (
                    <>
                      {index() > 0 && ', '}
                      <button type="button" class="api-type-link" onClick={() => props.onOpen(possible.name)}>{possible.name}</button>
                    </>
                  )}
                </For>
              </p>
            </Show>
            <Show when={info().kind === 'SCALAR'}>
              <p class="muted">A scalar: a single value, sent and received as JSON.</p>
            </Show>
          </article>
        )}
      </Match>
    </Switch>
  );
}

function FieldList(props: { fields: FieldInfo[]; onOpen: (name: string) => void }) {
  return (
    <ul class="api-fields" aria-label="Fields">
      <For each={props.fields}>
        {(field) => (
          <li>
            <code class="api-field-name">{field.name}</code>
            <Show when={field.args.length > 0}>
              <span class="muted">(</span>
              <ul class="api-args" aria-label={`Arguments of ${field.name}`}>
                <For each={field.args}>{(arg) => <li><InputValueView value={arg} onOpen={props.onOpen} /></li>}</For>
              </ul>
              <span class="muted">)</span>
            </Show>
            <span class="muted">: </span>
            <TypeLink type={field.type} onOpen={props.onOpen} />
            <Show when={field.description}>
              <p class="muted api-description">{field.description}</p>
            </Show>
          </li>
        )}
      </For>
    </ul>
  );
}

function InputValueView(props: { value: InputValue; onOpen: (name: string) => void }) {
  return (
    <>
      <code>{props.value.name}</code>
      <span class="muted">: </span>
      <TypeLink type={props.value.type} onOpen={props.onOpen} />
      <Show when={props.value.defaultValue !== null}>
        <span class="muted"> = </span>
        <code>{props.value.defaultValue}</code>
      </Show>
    </>
  );
}

/** `[Todo!]!`, with the named type as a button that opens it. */
function TypeLink(props: { type: TypeRef; onOpen: (name: string) => void }) {
  return (
    <Switch>
      <Match when={props.type.kind === 'NON_NULL' && props.type.ofType}>
        {(inner) => (
          <>
            <TypeLink type={inner()} onOpen={props.onOpen} />!
          </>
        )}
      </Match>
      <Match when={props.type.kind === 'LIST' && props.type.ofType}>
        {(inner) => (
          <>
            [<TypeLink type={inner()} onOpen={props.onOpen} />]
          </>
        )}
      </Match>
      <Match when={props.type.name}>
        {(name) => (
          <button type="button" class="api-type-link" onClick={() => props.onOpen(name())}>
            {name()}
          </button>
        )}
      </Match>
    </Switch>
  );
}

const KINDS: Record<string, string> = {
  OBJECT: 'type',
  INPUT_OBJECT: 'input',
  ENUM: 'enum',
  SCALAR: 'scalar',
  INTERFACE: 'interface',
  UNION: 'union',
};
const kindWord = (kind: string) => KINDS[kind] ?? kind.toLowerCase();
