/**
 * Calls a project's own APIs (`/p/<ref>/…`: storage, auth) from the console with one of its keys, as Supabase clients
 * do: the key as `apikey` and as the bearer token. Whatever shape the API answers an error in — the platform's
 * `{ code, message }`, storage's `{ statusCode, error, message }`, auth's `{ msg }` — it becomes a ProjectApiError
 * whose message is for people.
 */

export class ProjectApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the API could not be reached. */
    readonly status: number,
    /** The API's stable code (`quota_exceeded`, `invalid_mime_type`, `PROJECT_PAUSED`, …), when it gave one. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ProjectApiError';
  }
}

interface ErrorBody {
  code?: unknown;
  error?: unknown;
  error_code?: unknown;
  message?: unknown;
  msg?: unknown;
  error_description?: unknown;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The error an API answered (its parsed JSON body, or undefined when the body was not JSON). */
export function projectApiError(status: number, body: unknown): ProjectApiError {
  const fields = (body && typeof body === 'object' ? body : {}) as ErrorBody;
  const code = text(fields.error_code) ?? text(fields.code) ?? text(fields.error);
  const message =
    text(fields.message) ?? text(fields.msg) ?? text(fields.error_description) ?? `The project's API answered ${status}`;
  return new ProjectApiError(status, code, message);
}

/** A project API's URL path: `/p/<ref>` and `path` (which starts with `/`). */
export const projectApiPath = (ref: string, path: string) => `/p/${ref}${path}`;

/** Each `/`-separated part of an object name escaped for a URL path (names may hold spaces, `?`, `#`, …). */
export const encodeObjectPath = (name: string) => name.split('/').map(encodeURIComponent).join('/');

/**
 * Sends a request to the project's API with `key` and answers the JSON body (undefined for an empty one).
 * A plain object body is sent as JSON.
 */
export async function projectFetch<T>(
  ref: string,
  key: string,
  path: string,
  init: { method?: string; body?: object; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { apikey: key, authorization: `Bearer ${key}`, ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(projectApiPath(ref, path), {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'omit',
    });
  } catch {
    throw new ProjectApiError(0, undefined, "Could not reach the project's API. Check your connection and try again.");
  }
  const raw = await response.text();
  let body: unknown;
  try {
    body = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    body = undefined;
  }
  if (!response.ok) throw projectApiError(response.status, body);
  return body as T;
}
