/** End users' passwords: argon2id, as platform accounts; the minimum length is the project's setting. */
import { hash, verify } from '@node-rs/argon2';
import { AuthError } from './errors.ts';

// Algorithm.Argon2id (a const enum, which cannot be imported under verbatimModuleSyntax).
const ARGON2 = { algorithm: 2 } as const;
/** Keeps hashing cheap for the server; GoTrue's own cap is lower (72, bcrypt's). */
const MAX_PASSWORD_LENGTH = 256;
// Verified when there is no user or no password, so that a wrong email costs as long as a wrong password.
const DUMMY_HASH = await hash('canopy-dummy-password', ARGON2);

export function checkPassword(password: string, minLength: number): void {
  if (password.length < minLength) {
    throw new AuthError(422, 'weak_password', `Password should be at least ${minLength} characters.`, {
      weak_password: { reasons: ['length'] },
    });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AuthError(422, 'weak_password', `Password should be at most ${MAX_PASSWORD_LENGTH} characters.`, {
      weak_password: { reasons: ['length'] },
    });
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export async function passwordMatches(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  const valid = await verify(passwordHash ?? DUMMY_HASH, password);
  return valid && !!passwordHash;
}
