/**
 * Ruru (the GraphiQL of PostGraphile) for a project's GraphQL API at `/p/<ref>/graphiql`, opened from the console's
 * API page with the key to use in the URL's fragment (`#apikey=…`): the fragment never reaches a server or its logs,
 * and the page moves it into Ruru's request headers (and the subscriptions' URL) before Ruru starts, then drops it
 * from the address bar. The page itself holds no data; without a key, the API answers as it would to anyone.
 */
import type { FastifyInstance } from 'fastify';
import { ruruHTML } from 'ruru/server';
import { CanopyError } from '../errors.ts';
import type { ProjectRegistry } from './registry.ts';

/**
 * Reads the key from the fragment into RURU_CONFIG (declared by the script before this one): shown in Ruru's headers
 * editor, and added to its requests that carry no key of their own (its schema introspection ignores the editor).
 */
const TAKE_KEY_FROM_FRAGMENT = `<script>
  (() => {
    const key = new URLSearchParams(location.hash.slice(1)).get('apikey');
    if (!key) return;
    history.replaceState(null, '', location.pathname + location.search);
    RURU_CONFIG.initialHeaders = JSON.stringify({ apikey: key, Authorization: 'Bearer ' + key }, null, 2);
    const send = window.fetch;
    window.fetch = (input, init = {}) => {
      const headers = new Headers(init.headers);
      if (String(input).includes(RURU_CONFIG.endpoint) && !headers.has('apikey')) {
        headers.set('apikey', key);
        headers.set('authorization', 'Bearer ' + key);
      }
      return send(input, { ...init, headers });
    };
    const socket = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + RURU_CONFIG.endpoint;
    RURU_CONFIG.subscriptionEndpoint = socket + '?apikey=' + encodeURIComponent(key);
  })();
</script>`;

export function registerProjectExplorer(app: FastifyInstance, registry: ProjectRegistry) {
  app.get('/p/:ref/graphiql', async (request, reply) => {
    const { ref } = request.params as { ref: string };
    const entry = await registry.get(ref);
    if (!entry || entry.status === 'deleted' || entry.status === 'deleting') {
      throw new CanopyError('PROJECT_NOT_FOUND', 'There is no such project', 404);
    }
    const html = ruruHTML({
      endpoint: `/p/${ref}/graphql/v1`,
      // Served by the control API's grafserv (the control API's own explorer is at /graphiql).
      staticPath: '/ruru-static/',
      htmlParts: { configScript: (base: string) => base + TAKE_KEY_FROM_FRAGMENT },
    });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  });
}
