/** Secrets at rest: sealed with the master key, unreadable and unforgeable without it. */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { SecretBox } from '../server/src/secrets.ts';

const box = new SecretBox(randomBytes(32).toString('base64'));

test('a sealed secret opens to what was sealed, and never looks the same twice', (t) => {
  const a = box.seal('jwt-secret');
  t.not(a, box.seal('jwt-secret'));
  t.false(a.includes('jwt-secret'));
  t.is(box.open(a), 'jwt-secret');
});

test('a secret sealed under another master key does not open', (t) => {
  const other = new SecretBox(randomBytes(32).toString('base64'));
  t.throws(() => box.open(other.seal('x')));
});

test('a tampered secret does not open', (t) => {
  const [version, iv, tag, ciphertext] = box.seal('database password').split(':');
  const flipped = Buffer.from(ciphertext, 'base64url');
  flipped[0] ^= 1;
  t.throws(() => box.open([version, iv, tag, flipped.toString('base64url')].join(':')));
  t.throws(() => box.open('not sealed'));
});

test('a master key of the wrong size is refused', (t) => {
  t.throws(() => new SecretBox(randomBytes(16).toString('base64')), { message: /32 bytes/ });
});
