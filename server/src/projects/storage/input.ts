/** What storage accepts as bucket ids, object names, limits and MIME types. */
import { invalidInput } from './errors.ts';

const BUCKET_ID = /^[A-Za-z0-9_.-]{1,100}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function bucketId(value: unknown): string {
  if (typeof value !== 'string' || !BUCKET_ID.test(value) || value === '.' || value === '..') {
    throw invalidInput('A bucket name is 1 to 100 letters, digits, dots, dashes or underscores');
  }
  return value;
}

/** An object's path: 1 to 1,023 bytes of UTF-8, `/`-separated, no empty, `.` or `..` segment, no control character. */
export function objectName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput('The object name is missing');
  if (Buffer.byteLength(value) > 1023) throw invalidInput('The object name is longer than 1,023 bytes');
  if (CONTROL.test(value)) throw invalidInput('The object name contains a control character');
  if (!value.isWellFormed()) throw invalidInput('The object name is not valid Unicode');
  if (value.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw invalidInput('The object name has an empty, "." or ".." segment');
  }
  return value;
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A bucket's file size limit: bytes, or a string such as `"1MB"`; null or undefined for none. */
export function fileSizeLimit(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value) : null;
  const unit = match && UNITS[match[2]!.toLowerCase()];
  const bytes = match && unit ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw invalidInput('The file size limit must be a positive number of bytes');
  return bytes;
}

const MIME = /^[a-z0-9!#$&^_.+-]+\/(\*|[a-z0-9!#$&^_.+-]+)$/i;

export function mimeTypes(value: unknown): string[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value) || value.some((type) => typeof type !== 'string' || !MIME.test(type)) || value.length > 100) {
    throw invalidInput('The allowed MIME types must be a list such as ["image/png", "image/*"]');
  }
  return value.length === 0 ? null : (value as string[]);
}

/** The MIME type of an upload: its content type without parameters. */
export function contentType(header: string | undefined): string {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return MIME.test(type) && !type.endsWith('/*') ? type : 'application/octet-stream';
}

export function mimeAllowed(type: string, allowed: string[] | null): boolean {
  if (!allowed) return true;
  return allowed.some((pattern) => {
    const lower = pattern.toLowerCase();
    return lower === type || (lower.endsWith('/*') && type.startsWith(lower.slice(0, -1)));
  });
}

export function expiresIn(value: unknown): number {
  const seconds = typeof value === 'string' ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > 31_536_000) {
    throw invalidInput('expiresIn must be a number of seconds, 1 to a year');
  }
  return seconds;
}

const MAX_USER_METADATA_BYTES = 8_192;

/** An object's user metadata, from storage-js's JSON (sent base64 in `x-metadata`, or as a form field): an object. */
export function userMetadata(json: string | undefined): Record<string, unknown> | null {
  if (json === undefined) return null;
  if (Buffer.byteLength(json) > MAX_USER_METADATA_BYTES) {
    throw invalidInput(`metadata must be at most ${MAX_USER_METADATA_BYTES} bytes of JSON`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalidInput('metadata must be a JSON object');
  return value as Record<string, unknown>;
}
