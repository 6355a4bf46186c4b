/**
 * What organization databases announce to the servers over NOTIFY (live tables' row changes, schema changes),
 * opened. Any login of a database may LISTEN and NOTIFY on any channel, so announcements are sealed there
 * (db/tenant/org/0007): encrypted and authenticated with the database's announcement key, which only the superuser and
 * the organization's authenticator can read. A payload that does not open with the key, was sealed for another
 * channel, is older than FRESH_MS or was heard before on this subscription is dropped: another project's DBA can
 * neither read these announcements nor forge or replay them. (What can be replayed is an announcement sent in the
 * FRESH_MS before a subscription began, once: a real change, just before its subscriber came.)
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

/** How far an announcement's time may be from ours (the clocks of Postgres's and the server's hosts included). */
const FRESH_MS = 10_000;
const MAC_BYTES = 32;
const IV_BYTES = 16;

interface Envelope {
  at: number;
  nonce: string;
  message: string;
}

/** Opens a sealed payload heard on `channel`; undefined if it was not sealed with `key` for that channel. */
export function openAnnouncement(key: Buffer, channel: string, payload: string): Envelope | undefined {
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length < MAC_BYTES + 2 * IV_BYTES) return undefined;
  const mac = bytes.subarray(0, MAC_BYTES);
  const sealed = bytes.subarray(MAC_BYTES);
  const expected = createHmac('sha256', key.subarray(32, 64)).update(channel).update(sealed).digest();
  if (!timingSafeEqual(mac, expected)) return undefined;
  const decipher = createDecipheriv('aes-256-cbc', key.subarray(0, 32), sealed.subarray(0, IV_BYTES));
  const envelope = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES)), decipher.final()]).toString('utf8');
  return JSON.parse(envelope) as Envelope;
}

/**
 * The messages of a channel's subscription that open and are fresh, each once. `key` is asked for at each payload
 * (it is read from the database once it can be: before the fleet migration brings 0007, nothing opens).
 */
export function openedAnnouncements(
  channel: string,
  payloads: AsyncIterableIterator<unknown>,
  key: () => Promise<Buffer | undefined>,
): AsyncIterableIterator<string> {
  /** Nonces heard within FRESH_MS, by when they were sent, oldest first. */
  const heard = new Map<string, number>();
  const fresh = ({ at, nonce }: Envelope): boolean => {
    const now = Date.now();
    for (const [old, sentAt] of heard) {
      if (sentAt >= now - FRESH_MS) break;
      heard.delete(old);
    }
    if (Math.abs(now - at * 1000) > FRESH_MS || heard.has(nonce)) return false;
    heard.set(nonce, at * 1000);
    return true;
  };
  return {
    async next() {
      for (;;) {
        const payload = await payloads.next();
        if (payload.done) return payload;
        const secret = await key();
        const envelope = secret && openAnnouncement(secret, channel, String(payload.value));
        if (envelope && fresh(envelope)) return { value: envelope.message, done: false };
      }
    },
    // Ends the subscription at once (an async generator would wait for the next payload to notice).
    return: async () => {
      await payloads.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
