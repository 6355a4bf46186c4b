/**
 * Request bodies: JSON schemas for their shape (Fastify refuses the rest as `validation_failed`), and the checks a
 * schema cannot say as GoTrue says them.
 */
import { AuthError, validationFailed } from './errors.ts';

export const email = { type: 'string', maxLength: 254 } as const;
export const password = { type: 'string', maxLength: 1024 } as const;
export const metadata = { type: 'object' } as const;
export const token = { type: 'string', maxLength: 256 } as const;

// Like GoTrue's: something, an @, a domain with a dot; no spaces or control characters.
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;

/** The address, trimmed, or email_address_invalid. */
export function validEmail(value: string | undefined): string {
  const address = value?.trim() ?? '';
  if (!address) throw validationFailed('An email address is required');
  if (!EMAIL.test(address)) throw new AuthError(400, 'email_address_invalid', 'Unable to validate email address: invalid format');
  return address;
}

const MAX_METADATA_BYTES = 16_384;

/** user_metadata / app_metadata as given, within a size that keeps access tokens reasonable. */
export function validMetadata(value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_METADATA_BYTES) {
    throw validationFailed(`Metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`);
  }
  return value;
}

/** A PKCE challenge, as supabase-js sends it (both null outside the PKCE flow). */
export const codeChallenge = {
  code_challenge: { type: ['string', 'null'], maxLength: 128 },
  code_challenge_method: { type: ['string', 'null'], maxLength: 16 },
} as const;

export interface CodeChallengeBody {
  code_challenge?: string | null;
  code_challenge_method?: string | null;
}

export interface CodeChallenge {
  challenge: string;
  method: 's256' | 'plain';
}

/** The body's PKCE challenge, if it has one: 43 to 128 URL-safe characters, by `s256` or `plain` (RFC 7636). */
export function validCodeChallenge(body: CodeChallengeBody): CodeChallenge | undefined {
  const { code_challenge: challenge, code_challenge_method: method } = body;
  if (!challenge && !method) return undefined;
  const normalized = method?.toLowerCase();
  if (!challenge || (normalized !== 's256' && normalized !== 'plain')) {
    throw validationFailed('PKCE needs both code_challenge and code_challenge_method (s256 or plain)');
  }
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(challenge)) throw validationFailed('code_challenge must be 43 to 128 URL-safe characters');
  return { challenge, method: normalized };
}
