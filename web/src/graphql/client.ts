/**
 * The console's one GraphQL client for the control API: HTTP with the session cookie, subscriptions over graphql-ws
 * on the same path. Queries are POSTed (grafserv refuses GET).
 */
import { Client, cacheExchange, fetchExchange, subscriptionExchange, type CombinedError } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import { refreshLiveQueries } from './live.ts';

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
let connections = 0;
const ws = createWsClient({
  url: wsUrl,
  lazy: true,
  retryAttempts: Infinity,
  // The first retry at once (a reconnect() for a new session should not wait), then backing off up to 10 s.
  retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, retries === 0 ? 0 : Math.min(1000 * 2 ** retries, 10_000))),
  // Events sent while the socket was down are lost: after a reconnect, read everything on screen again.
  on: { connected: () => connections++ > 0 && refreshLiveQueries() },
});

export const client = new Client({
  url: '/graphql',
  preferGetMethod: false,
  fetchOptions: { credentials: 'same-origin' },
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
      }),
    }),
  ],
});

/** Another person signed in (or nobody is): the socket carries the session it was opened with, so open a new one. */
export function reconnect() {
  ws.terminate();
}

/** The server's words for what went wrong, or that it could not be reached. */
export function errorMessage(error: CombinedError | undefined): string | undefined {
  if (!error) return undefined;
  if (error.graphQLErrors.length > 0) return error.graphQLErrors.map((e) => e.message).join('; ');
  return 'Could not reach Canopy. Check your connection and try again.';
}

/** The stable code of the first GraphQL error (UNAUTHENTICATED, SLUG_TAKEN, …). */
export function errorCode(error: CombinedError | undefined): string | undefined {
  return error?.graphQLErrors[0]?.extensions?.code as string | undefined;
}
