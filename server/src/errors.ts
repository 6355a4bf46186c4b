/**
 * One error type for everything a client may be told, and the one place Postgres errors are translated into it.
 * Custom SQLSTATEs raised by db/migrations are listed here: a code not listed is an internal error, and its text
 * never reaches a client.
 */
export class CanopyError extends Error {
  constructor(
    /** Stable, documented, SCREAMING_SNAKE_CASE: what clients branch on. */
    readonly code: string,
    message: string,
    /** The HTTP status this error answers with where it decides the response (REST routes, refused requests). */
    readonly status: number = 400,
  ) {
    super(message);
    this.name = 'CanopyError';
  }
}

/** SQLSTATEs raised by our own SQL (`raise exception ... using errcode = 'XXXXX'`). Their messages are for people. */
const CUSTOM_SQLSTATES: Record<string, { code: string; status: number }> = {
  LOGIN: { code: 'UNAUTHENTICATED', status: 401 },
  DNIED: { code: 'FORBIDDEN', status: 403 },
  NTFND: { code: 'NOT_FOUND', status: 404 },
  LASTO: { code: 'LAST_OWNER', status: 409 },
  MEMBR: { code: 'ALREADY_MEMBER', status: 409 },
  INVEX: { code: 'INVITATION_EXPIRED', status: 410 },
  INVUS: { code: 'INVITATION_USED', status: 409 },
  INVEM: { code: 'INVITATION_FOR_ANOTHER_EMAIL', status: 403 },
  PASTX: { code: 'INVALID_EXPIRY', status: 400 },
  PLANL: { code: 'PLAN_LIMIT_REACHED', status: 403 },
  STATE: { code: 'INVALID_STATE', status: 409 },
};

/** Named constraints whose violation is a mistake a person can fix. */
const CONSTRAINTS: Record<string, [code: string, message: string]> = {
  users_email_key: ['EMAIL_TAKEN', 'An account with this email already exists'],
  users_email_valid: ['INVALID_EMAIL', 'That is not a valid email address'],
  organization_invitations_email_valid: ['INVALID_EMAIL', 'That is not a valid email address'],
  users_name_valid: ['INVALID_NAME', 'A name is 1 to 100 characters, without control characters'],
  organizations_name_valid: ['INVALID_NAME', 'A name is 1 to 100 characters, without control characters'],
  personal_access_tokens_name_valid: ['INVALID_NAME', 'A name is 1 to 100 characters, without control characters'],
  organizations_slug_key: ['SLUG_TAKEN', 'That slug is taken; choose another'],
  organizations_slug_valid: ['INVALID_SLUG', 'A slug is 3 to 40 characters: lowercase letters, digits and dashes'],
  projects_name_valid: ['INVALID_NAME', 'A name is 1 to 100 characters, without control characters'],
  project_sql_queries_name_valid: ['INVALID_NAME', 'A name is 1 to 100 characters, without control characters'],
  project_sql_queries_sql_valid: ['INVALID_INPUT', 'A saved query is at most 100 KiB'],
};

interface PostgresError {
  code?: string;
  constraint?: string;
  message?: string;
}

/** The client-facing error for a Postgres error, or undefined when it is ours to log and hide. */
export function fromPostgresError(error: PostgresError): CanopyError | undefined {
  const { code, constraint, message = '' } = error;
  if (!code) return undefined;
  const custom = CUSTOM_SQLSTATES[code];
  if (custom) return new CanopyError(custom.code, message, custom.status);
  const named = constraint ? CONSTRAINTS[constraint] : undefined;
  if (named && (code === '23505' || code === '23514')) {
    return new CanopyError(named[0], named[1], code === '23505' ? 409 : 400);
  }
  switch (code) {
    case '23505':
      return new CanopyError('ALREADY_EXISTS', 'That already exists', 409);
    case '23503':
      return new CanopyError('INVALID_REFERENCE', 'That refers to something that does not exist', 400);
    case '23502':
    case '23514':
    case '22001': // string too long for its column
    case '22007': // invalid date/time
    case '22008': // date/time out of range
    case '22P02': // invalid text representation (a malformed uuid, number, enum value)
    case '22P05': // untranslatable character (NUL)
    case '22021': // invalid byte sequence for the encoding
      return new CanopyError('INVALID_INPUT', 'Some of the input is not valid', 400);
    case '42501':
      return new CanopyError('FORBIDDEN', 'You are not allowed to do that', 403);
    case '57014':
      return new CanopyError('TIMEOUT', 'That took too long and was cancelled', 503);
    default:
      return undefined;
  }
}
