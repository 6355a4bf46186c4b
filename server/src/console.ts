/**
 * The web console (web/, built into web/dist by `npm run build`) at `/`. Any other GET for a page (not an API path,
 * not a file) answers the console's index.html, so links into the console work from a new tab. Built assets carry a
 * content hash in their names and are cached for good; index.html is always revalidated.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { CanopyError } from './errors.ts';

const DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));
const API_PATHS = /^\/(p\/|graphql|graphiql|health)/;

export async function registerConsole(app: FastifyInstance, dist = DIST) {
  if (!existsSync(`${dist}index.html`)) {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain').status(503).send('The console is not built: run `npm run build`, then start Canopy again.'),
    );
    return;
  }
  // In a scope of its own: its files are compressed (the APIs' answers are not, here), and two routes, not a
  // catch-all, which would also answer unknown paths of the project APIs that have their own not-found answers.
  await app.register(async (scope) => {
    await scope.register(compress);
    await scope.register(fastifyStatic, {
      root: dist,
      serve: false,
      setHeaders: (reply, path) =>
        reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
    scope.get('/assets/*', (request, reply) => reply.sendFile(`assets/${(request.params as { '*': string })['*']}`));
    scope.get('/', (_request, reply) => reply.sendFile('index.html'));
    scope.setNotFoundHandler((request, reply) => {
      const page = request.method === 'GET' && !API_PATHS.test(request.url) && !/\.\w+$/.test(request.url.split('?')[0]!);
      if (page) return reply.sendFile('index.html');
      throw new CanopyError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`, 404);
    });
  });
}
