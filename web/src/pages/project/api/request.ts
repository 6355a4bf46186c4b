/**
 * Talking to a project's GraphQL API from the console, as an app would: the chosen key in `apikey` and in
 * `Authorization: Bearer` over HTTP, and in the URL for a subscription's WebSocket (browsers cannot set its headers).
 */
import { createClient } from 'graphql-ws';

export interface GraphQLResponse {
  /** HTTP status, or 0 when the request never got an answer. */
  status: number;
  milliseconds: number;
  body: unknown;
}

export async function postGraphQL(endpoint: string, key: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
  const started = performance.now();
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { apikey: key, authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page, say): shown as it came.
    }
    return { status: response.status, milliseconds: Math.round(performance.now() - started), body };
  } catch {
    return { status: 0, milliseconds: Math.round(performance.now() - started), body: 'Could not reach the project’s API. Check your connection and try again.' };
  }
}

/** Runs a subscription until `stop` is called; every event and the end go to the callbacks. */
export function subscribeGraphQL(
  endpoint: string,
  key: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  on: { event: (payload: unknown) => void; error: (error: unknown) => void; done: () => void },
): () => void {
  const url = new URL(endpoint, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('apikey', key);
  const client = createClient({ url: url.href, lazy: true, retryAttempts: 0, connectionParams: { authorization: `Bearer ${key}` } });
  const unsubscribe = client.subscribe({ query, variables }, {
    next: on.event,
    error: (error) => {
      on.error(error instanceof Error ? error.message : error instanceof CloseEvent ? `The connection closed (${error.code}${error.reason ? `: ${error.reason}` : ''})` : error);
      void client.dispose();
    },
    complete: () => {
      on.done();
      void client.dispose();
    },
  });
  return () => {
    unsubscribe();
    void client.dispose();
  };
}

export type OperationKind = 'query' | 'mutation' | 'subscription';

/**
 * The operations a document defines, in order, without a GraphQL parser: top-level words outside braces, strings
 * and comments. `{ … }` alone is a query; fragments are not operations.
 */
export function operationKinds(document: string): OperationKind[] {
  const kinds: OperationKind[] = [];
  let depth = 0;
  // Braces inside parentheses are object values (a variable's default), not selections.
  let parens = 0;
  let expectingDefinition = true;
  for (let i = 0; i < document.length; i++) {
    const char = document[i];
    if (char === '#') {
      while (i < document.length && document[i] !== '\n') i++;
    } else if (char === '"') {
      const block = document.startsWith('"""', i);
      const end = block ? document.indexOf('"""', i + 3) : findStringEnd(document, i + 1);
      i = end < 0 ? document.length : end + (block ? 2 : 0);
    } else if (char === '(') {
      parens++;
    } else if (char === ')') {
      parens = Math.max(0, parens - 1);
    } else if (parens > 0) {
      continue;
    } else if (char === '{') {
      if (depth === 0 && expectingDefinition) kinds.push('query');
      depth++;
      expectingDefinition = false;
    } else if (char === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) expectingDefinition = true;
    } else if (depth === 0 && expectingDefinition && /[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(document.slice(i))![0];
      if (word === 'query' || word === 'mutation' || word === 'subscription') kinds.push(word);
      expectingDefinition = false;
      i += word.length - 1;
    }
  }
  return kinds;
}

function findStringEnd(document: string, from: number): number {
  for (let i = from; i < document.length; i++) {
    if (document[i] === '\\') i++;
    else if (document[i] === '"' || document[i] === '\n') return i;
  }
  return -1;
}
