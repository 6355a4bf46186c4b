/**
 * Errors in Supabase Storage's shape, which storage-js reads into a StorageApiError: the HTTP status, and a body
 * `{ statusCode, error, message }` where `statusCode` repeats the status as a string and `error` is a stable code.
 * Errors the platform raised before the storage routes ran (a missing key, a bad JWT, a paused project) keep their
 * status; Postgres errors are mapped here; anything else is logged and answered as `internal`, with no detail.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CanopyError, fromPostgresError } from '../../errors.ts';

export class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export const invalidInput = (message: string) => new StorageError(400, 'invalid_input', message);
export const bucketNotFound = () => new StorageError(404, 'not_found', 'Bucket not found');
export const objectNotFound = () => new StorageError(404, 'not_found', 'Object not found');
export const tooLarge = () => new StorageError(413, 'payload_too_large', 'The object exceeded the maximum allowed size');

/** What the platform's own codes are called here. */
const CODES: Record<string, string> = {
  NO_API_KEY: 'unauthorized',
  INVALID_API_KEY: 'unauthorized',
  INVALID_JWT: 'invalid_jwt',
  JWT_EXPIRED: 'invalid_jwt',
  INVALID_JSON: 'invalid_input',
  INVALID_ENCODING: 'invalid_input',
  INVALID_INPUT: 'invalid_input',
  ALREADY_EXISTS: 'duplicate',
  FORBIDDEN: 'unauthorized',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
};

const MESSAGES: Record<string, string> = {
  ALREADY_EXISTS: 'The resource already exists',
  FORBIDDEN: 'new row violates row-level security policy',
};

export function toStorageError(error: unknown): StorageError | undefined {
  if (error instanceof StorageError) return error;
  const postgres = error as { code?: string };
  const canopy = error instanceof CanopyError ? error : typeof postgres.code === 'string' ? fromPostgresError(postgres) : undefined;
  if (canopy) {
    const message = MESSAGES[canopy.code] ?? canopy.message;
    return new StorageError(canopy.status, CODES[canopy.code] ?? canopy.code.toLowerCase(), message);
  }
  const fastify = error as FastifyError;
  if (fastify.validation) return invalidInput(`Invalid request: ${fastify.message.replace(/^body\/?/, '')}`);
  const status = fastify.statusCode ?? 500;
  if (status >= 500) return undefined;
  if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge();
  if (fastify.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError) {
    return new StorageError(status === 415 ? 415 : 400, 'invalid_input', 'The request body must be a JSON object');
  }
  return new StorageError(status, 'invalid_request', 'Invalid request');
}

export function sendStorageError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const known = toStorageError(error);
  if (!known) request.log.error(error);
  const { status, code, message } = known ?? new StorageError(500, 'internal', 'Something went wrong on our side');
  return reply.status(status).send({ statusCode: String(status), error: code, message });
}
