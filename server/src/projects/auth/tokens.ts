/**
 * The secrets the auth API hands out. Refresh tokens and mailed link tokens are random 256-bit values of which only
 * the SHA-256 is stored; mailed codes are 6 digits (their hash stored, their tries counted); access tokens are
 * HS256 JWTs signed with the project's secret, with GoTrue's claims plus `ref`, which the project APIs require.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { SignJWT } from 'jose';

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function sixDigitCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export interface AccessTokenSubject {
  ref: string;
  issuer: string;
  ttlSeconds: number;
  user: { id: string; email: string; app_metadata: object; user_metadata: object };
  session: { id: string; method: string; createdAt: Date };
}

export async function signAccessToken(secret: Uint8Array, subject: AccessTokenSubject) {
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + subject.ttlSeconds;
  const { user, session } = subject;
  const token = await new SignJWT({
    email: user.email,
    phone: '',
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: session.method, timestamp: Math.floor(session.createdAt.getTime() / 1000) }],
    session_id: session.id,
    is_anonymous: false,
    ref: subject.ref,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(subject.issuer)
    .setSubject(user.id)
    .setAudience('authenticated')
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(secret);
  return { token, expiresAt };
}
