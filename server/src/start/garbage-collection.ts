/**
 * When V8 starts a full garbage collection, tuned for a server that streams bodies. Set once, where a Canopy process
 * starts (boot), for the whole process.
 *
 * By default V8 adds every ArrayBuffer byte allocated since the last full collection to the old generation, and
 * starts marking the whole heap once the room left below the old generation's limit is less than the young
 * generation. Node's HTTP server receives every request body into new Buffers, which die at once; so on Canopy's heap
 * (~66 MB, most of it code and schemas) the whole heap was marked every 10–15 uploads of 1 MB: with --trace-gc, 53
 * full collections for 600 uploads, ~10 ms of Canopy's CPU per upload.
 *
 * With these triggers, marking starts once 80 % of the room between the heap's size after the last full collection
 * and its limit is used (at once past 95 %), counting the heap's own objects only: the same uploads ran 9 full
 * collections, ~3 ms each. V8 then skips its other early starts (near --max-old-space-size it collects at the same
 * 80 %, not sooner), and dead Buffers are reclaimed by V8's external-memory limit: marking starts once they pass
 * 64 MB above what survived the last full collection (their peak during a 1 GiB upload: 57 MB).
 *
 * A flag this V8 does not know is ignored, with a line on stderr.
 */
import v8 from 'node:v8';

export function startFullCollectionsByOldGenerationGrowth(): void {
  v8.setFlagsFromString('--incremental-marking-soft-trigger=80');
  v8.setFlagsFromString('--incremental-marking-hard-trigger=95');
}
