/**
 * Code to call the project with: curl and supabase-js, filled in with the project's URL and the chosen key. The key
 * is dots on screen until revealed; the copy buttons always copy the real thing.
 */
import { createSignal, For, Show } from 'solid-js';
import { Button } from '../../../ui/button.tsx';
import { CopyButton, Section } from '../../../ui/misc.tsx';

interface ExamplesProps {
  apiUrl: string;
  apiKey: string;
  keyName: string;
  query: string;
  variables?: Record<string, unknown>;
  bucket: string;
}

const MASK = '•'.repeat(24);

/** 'it'\''s': a single-quoted shell word. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
/** The inside of a JS template literal. */
const templateText = (text: string) => text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');

interface Example {
  title: string;
  description: string;
  code: (key: string) => string;
}

function examples(props: ExamplesProps): Example[] {
  const url = props.apiUrl;
  const graphqlUrl = `${url}/graphql/v1`;
  // The explorer's comments are for the person in front of it, not for the code.
  const query = props.query.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n').trim();
  const body = JSON.stringify(props.variables ? { query, variables: props.variables } : { query });
  const variables = props.variables ? `, variables: ${JSON.stringify(props.variables)}` : '';
  const client = (key: string) => `import { createClient } from '@supabase/supabase-js';

const supabase = createClient('${url}', '${key}');
`;
  return [
    {
      title: 'curl: a GraphQL query',
      description: 'The query in the explorer, sent over HTTP. Every request carries the key twice: as apikey and as the bearer token.',
      code: (key) => `curl ${shellQuote(graphqlUrl)} \\
  -H ${shellQuote(`apikey: ${key}`)} \\
  -H ${shellQuote(`Authorization: Bearer ${key}`)} \\
  -H 'Content-Type: application/json' \\
  --data ${shellQuote(body)}`,
    },
    {
      title: 'supabase-js: sign up a user',
      description: 'supabase-js works unchanged: give it the API URL and a key. New users land in this project’s Authentication page.',
      code: (key) => `${client(key)}
const { data, error } = await supabase.auth.signUp({
  email: 'someone@example.com',
  password: 'a-long-secret-password',
});`,
    },
    {
      title: 'supabase-js: storage',
      description: `Upload a file to the bucket “${props.bucket}” and get a link to it. Who may upload is up to the bucket and its policies.`,
      code: (key) => `${client(key)}
// file: a File from an <input type="file">, or a Blob
const { data, error } = await supabase.storage.from('${props.bucket}').upload('folder/avatar.png', file);

const { data: files } = await supabase.storage.from('${props.bucket}').list('folder');
const { data: signed } = await supabase.storage.from('${props.bucket}').createSignedUrl('folder/avatar.png', 60);`,
    },
    {
      title: 'supabase-js: GraphQL as the signed-in user',
      description: 'With a user’s session token as the bearer, queries run as that user, under your row level security policies.',
      code: (key) => `${client(key)}
await supabase.auth.signInWithPassword({ email: 'someone@example.com', password: 'a-long-secret-password' });
const { data: { session } } = await supabase.auth.getSession();

const response = await fetch('${graphqlUrl}', {
  method: 'POST',
  headers: {
    apikey: '${key}',
    Authorization: \`Bearer \${session.access_token}\`,
    'Content-Type': 'application/json',
  },
  body: JSON.stringify({ query: \`${templateText(query)}\`${variables} }),
});
const { data, errors } = await response.json();`,
    },
  ];
}

export function Examples(props: ExamplesProps) {
  const [revealed, setRevealed] = createSignal(false);
  return (
    <Section
      title="Examples"
      description={`Calls to this project with the ${props.keyName} key.`}
      actions={
        <Button variant="ghost" aria-pressed={revealed()} onClick={() => setRevealed(!revealed())}>
          {revealed() ? 'Hide key' : 'Reveal key'}
        </Button>
      }
    >
      <Show when={props.keyName === 'service_role'}>
        <p class="form-error">The service_role key skips row level security: use it only on servers, never in a browser or an app.</p>
      </Show>
      <div class="stack">
        <For each={examples(props)}>
          {(example) => (
            <article class="api-example" aria-label={example.title}>
              <div class="api-example-header">
                <div>
                  <h3 class="api-subtitle">{example.title}</h3>
                  <p class="muted">{example.description}</p>
                </div>
                <CopyButton value={example.code(props.apiKey)} label={`Copy ${example.title}`} />
              </div>
              <pre class="api-code" tabindex="0">{example.code(revealed() ? props.apiKey : MASK)}</pre>
            </article>
          )}
        </For>
      </div>
    </Section>
  );
}
