/**
 * A project's API keys are JWTs signed (HS256) with the project's own JWT secret, like Supabase's `anon` and
 * `service_role` keys. They are derived, not stored: the same secret and issue time always give the same key, and
 * rotating the secret changes every key.
 */
import { SignJWT } from 'jose';

export type ApiKeyRole = 'anon' | 'service_role';

const TEN_YEARS_SECONDS = 10 * 365 * 24 * 60 * 60;

export async function signApiKey(jwtSecret: string, ref: string, role: ApiKeyRole, issuedAt: Date): Promise<string> {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  return new SignJWT({ role, ref })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('canopy')
    .setIssuedAt(iat)
    .setExpirationTime(iat + TEN_YEARS_SECONDS)
    .sign(new TextEncoder().encode(jwtSecret));
}
