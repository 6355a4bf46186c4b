/**
 * JSON bodies must be valid UTF-8. Fastify would quietly replace bad bytes with U+FFFD and store the result; Canopy
 * refuses them instead, then parses with Fastify's own (prototype-poisoning-safe) parser.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { CanopyError } from '../errors.ts';

export function requireUtf8Json(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new CanopyError('INVALID_ENCODING', 'The request body is not valid UTF-8', 400), undefined);
      return;
    }
    parseJson(request, bytes.toString('utf8'), done);
  });
}
