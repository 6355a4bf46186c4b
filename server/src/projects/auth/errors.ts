/**
 * Errors in GoTrue's shape, which supabase-js reads: the HTTP status, and a body `{ code, error_code, msg }` where
 * `code` repeats the status and `error_code` is the stable, documented code (GoTrue's names where GoTrue has one).
 * Errors the platform raised before the auth routes ran (a missing key, a bad JWT, a paused project) keep their
 * status and get the nearest GoTrue code; unexpected errors are logged and answered as `unexpected_failure`.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CanopyError } from '../../errors.ts';

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    /** Extra fields GoTrue sends with some errors (weak_password's reasons). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export const invalidCredentials = () => new AuthError(400, 'invalid_credentials', 'Invalid login credentials');
export const validationFailed = (message: string) => new AuthError(400, 'validation_failed', message);
export const notAdmin = () => new AuthError(403, 'not_admin', 'User not allowed');
export const userNotFound = () => new AuthError(404, 'user_not_found', 'User not found');
export const otpExpired = () => new AuthError(403, 'otp_expired', 'Token has expired or is invalid');
export const signupDisabled = () => new AuthError(422, 'signup_disabled', 'Signups not allowed for this instance');
export const emailExists = () =>
  new AuthError(422, 'email_exists', 'A user with this email address has already been registered');

/** Platform codes whose GoTrue counterpart has another name. */
const GOTRUE_CODES: Record<string, string> = {
  NO_API_KEY: 'no_authorization',
  INVALID_JWT: 'bad_jwt',
  JWT_EXPIRED: 'bad_jwt',
  INVALID_JSON: 'bad_json',
  INVALID_ENCODING: 'bad_json',
  INVALID_INPUT: 'validation_failed',
  EMAIL_TAKEN: 'email_exists',
  TIMEOUT: 'request_timeout',
  INTERNAL_ERROR: 'unexpected_failure',
};

function toAuthError(error: FastifyError | Error): AuthError | undefined {
  if (error instanceof AuthError) return error;
  if (error instanceof CanopyError) {
    return new AuthError(error.status, GOTRUE_CODES[error.code] ?? error.code.toLowerCase(), error.message);
  }
  const fastify = error as FastifyError;
  if (fastify.validation) return validationFailed(`Invalid request: ${fastify.message.replace(/^body\/?/, '')}`);
  const status = fastify.statusCode ?? 500;
  if (status >= 500) return undefined;
  if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AuthError(413, 'request_too_large', 'The request body is too large');
  if (fastify.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError) {
    return new AuthError(status === 415 ? 415 : 400, 'bad_json', 'The request body must be a JSON object');
  }
  return new AuthError(status, 'validation_failed', 'Invalid request');
}

export function sendAuthError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const known = toAuthError(error);
  if (!known) request.log.error(error);
  const { status, errorCode, message, extra } = known ?? new AuthError(500, 'unexpected_failure', 'Something went wrong on our side');
  return reply.status(status).send({ code: status, error_code: errorCode, msg: message, ...extra });
}
