/**
 * What organization databases announce to the servers over NOTIFY (live tables' row changes, schema changes),
 * opened. Any login of a database may LISTEN and NOTIFY on any channel, so announcements are sealed there
 * (db/tenant/org/0007): encrypted and authenticated with the database's announcement key, which only the superuser and
 * the organization's authenticator can read. A payload that does not open with the key or was sealed for another
 * channel is dropped: another project's DBA can neither read these announcements nor forge them.
 *
 * Replays: a subscription refuses an announcement it has heard before (nonces are remembered for REMEMBERED_MS, the
 * most recent REMEMBERED_NONCES of them), one older than that, and one sent before `since`. Live tables' feeds start
 * from their own start, so nothing sent before can be replayed to them; only the table's own project can send on its
 * channel, so only its own traffic can push nonces out (past 100,000 changes of one table in an hour, an older one
 * could be replayed once). `canopy:schema` is shared by every project of the database
 * (any of them can flood it), so it accepts what was sent before it started, and a payload replayed after its nonce
 * was pushed out makes a project rebuild once more: the schema watcher (databases.ts) rebuilds a project at most once
 * a second.
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How long nonces are remembered, so how old an announcement may be: it is sealed when the change is made and sent
 * when its transaction commits, so a transaction longer than this loses its announcements.
 */
const REMEMBERED_MS = 60 * 60_000;
/** Nonces remembered at most, per subscription; beyond, the oldest are forgotten. */
const REMEMBERED_NONCES = 100_000;
/** How far in the future an announcement may seem to be (the clocks of Postgres's and the server's hosts differ). */
const SKEW_MS = 10_000;
const MAC_BYTES = 32;
const IV_BYTES = 16;

interface Envelope {
  channel: string;
  at: number;
  nonce: string;
  message: string;
}

/** Opens a sealed payload heard on `channel`; undefined unless it was sealed with `key` for that channel. */
export function openAnnouncement(key: Buffer, channel: string, payload: string): Envelope | undefined {
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length < MAC_BYTES + 2 * IV_BYTES) return undefined;
  const mac = bytes.subarray(0, MAC_BYTES);
  const sealed = bytes.subarray(MAC_BYTES);
  const name = Buffer.from(channel);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  const expected = createHmac('sha256', key.subarray(32, 64)).update(length).update(name).update(sealed).digest();
  if (!timingSafeEqual(mac, expected)) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key.subarray(0, 32), sealed.subarray(0, IV_BYTES));
    const envelope = JSON.parse(Buffer.concat([decipher.update(sealed.subarray(IV_BYTES)), decipher.final()]).toString());
    return envelope.channel === channel ? (envelope as Envelope) : undefined;
  } catch {
    return undefined; // authentic, yet not ours to read: sealed by something else with this key
  }
}

/** From now, less the clocks' skew: for a subscription that must hear nothing sent before it started. */
export const fromNow = () => Date.now() - SKEW_MS;

/**
 * The messages of a channel's subscription that open, each once, sent since `since` (epoch ms). `key` is asked for
 * at each payload (it is read from the database once it can be: before the fleet migration brings 0007, nothing
 * opens).
 */
export function openedAnnouncements(
  channel: string,
  payloads: AsyncIterableIterator<unknown>,
  key: () => Promise<Buffer | undefined>,
  since = 0,
): AsyncIterableIterator<string> {
  /** Nonces heard, by when they were sent, in the order heard. */
  const heard = new Map<string, number>();
  const firstTime = ({ at, nonce }: Envelope): boolean => {
    const now = Date.now();
    const sentAt = at * 1000;
    if (sentAt < Math.max(since, now - REMEMBERED_MS) || sentAt > now + SKEW_MS || heard.has(nonce)) return false;
    heard.set(nonce, sentAt);
    for (const [old, oldAt] of heard) {
      if (heard.size <= REMEMBERED_NONCES && oldAt >= now - REMEMBERED_MS) break;
      heard.delete(old);
    }
    return true;
  };
  return {
    async next() {
      for (;;) {
        const payload = await payloads.next();
        if (payload.done) return payload;
        const secret = await key();
        const envelope = secret && openAnnouncement(secret, channel, String(payload.value));
        if (envelope && firstTime(envelope)) return { value: envelope.message, done: false };
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
