/**
 * When V8 starts a full garbage collection, tuned for a server that streams bodies.
 *
 * V8's default trigger adds every ArrayBuffer byte allocated since the last full collection to the old generation,
 * and starts marking the whole heap once the room left below its limit is less than the young generation. Node's HTTP
 * server receives every request body into new Buffers, which die at once; so on Canopy's heap (~66 MB, most of it
 * code and schemas) the whole heap was marked for every ~15 MB uploaded. bench/storage.ts measured 1 MB uploads at
 * ~10 ms of Canopy's CPU each, most of it marking.
 *
 * With the trigger in percent of the old generation's own growth since the last full collection (soft at 80 %, hard
 * at 95 %), the same uploads ran 6× fewer full collections and cost ~3 ms each. Dead Buffers wait a little longer,
 * within V8's own limit on external memory (64 MB above what survived the last collection).
 */
import v8 from 'node:v8';

export function startFullCollectionsByOldGenerationGrowth(): void {
  v8.setFlagsFromString('--incremental-marking-soft-trigger=80');
  v8.setFlagsFromString('--incremental-marking-hard-trigger=95');
}
