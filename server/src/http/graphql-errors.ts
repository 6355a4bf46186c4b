/**
 * grafserv refuses some requests before GraphQL runs (unparseable documents, unknown fields, bodies that are not a
 * GraphQL request, unsupported content types) in GraphQL's error shape but without a code, and those errors never
 * pass through maskError. This hook gives every such error a stable `extensions.code` on its way out.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

interface ErrorBody {
  errors?: Array<{ message?: string; extensions?: Record<string, unknown> }>;
}

export async function codeRefusedGraphQLRequests(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (reply.statusCode < 400 || !(typeof payload === 'string' || Buffer.isBuffer(payload))) return payload;
  let body: ErrorBody;
  try {
    body = JSON.parse(payload.toString());
  } catch {
    return payload;
  }
  if (!Array.isArray(body.errors) || body.errors.every((error) => error.extensions?.code)) return payload;
  for (const error of body.errors) {
    if (error.extensions?.code) continue;
    const { statusCode: _status, ...extensions } = error.extensions ?? {};
    const code =
      reply.statusCode === 415
        ? 'UNSUPPORTED_MEDIA_TYPE'
        : error.message?.startsWith('Syntax Error')
          ? 'GRAPHQL_PARSE_FAILED'
          : 'GRAPHQL_VALIDATION_FAILED';
    error.extensions = { ...extensions, code };
  }
  return JSON.stringify(body);
}
