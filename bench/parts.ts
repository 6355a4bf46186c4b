/**
 * A benchmark's parts in processes of their own, as production runs them, so that no client shares a server's
 * thread: the local S3 server (as MinIO would run beside Canopy), Canopy (server and worker, as `npm start` runs
 * them, with its embedded Postgres) and the storage benchmark's bare relay, each a child of the benchmark, whose own
 * process keeps only the clients.
 *
 * The children run bench/part-process.ts. Over IPC each says when it is ready, then answers: its CPU time so far,
 * its memory over a stretch of work (sampled in the child itself), and stop.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Settings } from '../server/src/config.ts';

export interface MemorySamples {
  /** RSS at the start, after a full GC and a pause. */
  idleRss: number;
  peakRss: number;
  peakHeapUsed: number;
  peakExternal: number;
  samples: number;
  /** The longest time between two samples: a blocked event loop shows here. */
  maxGapMs: number;
}

/** What each kind of part takes, and tells once it is ready. */
export interface Parts {
  s3: { options: { dir: string }; ready: { s3: S3Settings } };
  /** bench/relay.ts: the hop alone, for bench/storage.ts. */
  relay: { options: { s3: S3Settings }; ready: { url: string } };
  canopy: {
    options: { dataDir: string; env: Record<string, string> };
    ready: { url: string; ownerUrl: string; postgresVersion: string };
  };
}

export type Question = { ask: 'cpu' } | { ask: 'sample'; everyMs: number } | { ask: 'stopSampling' } | { ask: 'stop' };

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'part-process.ts');
/** How long a part may take to start (Canopy: Postgres, migrations), and to answer or stop (within stopAll's 30 s). */
const START_MS = 180_000;
const ANSWER_MS = 25_000;

export class PartProcess {
  private readonly waiting = new Map<number, { resolve(value: any): void; reject(error: Error): void }>();
  private asked = 0;
  private stopping?: Promise<void>;

  private constructor(
    readonly kind: keyof Parts,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: { id: number; answer?: unknown; error?: string }) => {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(`${kind}: ${message.error}`));
      else waiter?.resolve(message.answer);
    });
    child.on('exit', (code, signal) => this.failAll(new Error(`The ${kind} process exited (${signal ?? code})`)));
    child.on('error', (error) => this.failAll(error));
  }

  /** Forks the part (with this process's loader flags: tsx) and resolves once it is ready. */
  static async start<K extends keyof Parts>(kind: K, options: Parts[K]['options']): Promise<{ part: PartProcess; ready: Parts[K]['ready'] }> {
    const child = fork(CHILD, [kind, JSON.stringify(options)], {
      // Not a debugger's port: two processes cannot share it.
      execArgv: [...process.execArgv.filter((arg) => !arg.startsWith('--inspect')), '--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const part = new PartProcess(kind, child);
    // The child's first message (id 0) is its readiness, or why it could not start.
    try {
      return { part, ready: await part.answer<Parts[K]['ready']>(0, START_MS, `Starting the ${kind} process`) };
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  /** User and system CPU time of the whole child process (every thread), in ms. */
  cpuMs(): Promise<number> {
    return this.ask({ ask: 'cpu' });
  }

  /** Collects garbage, waits, notes RSS as idle, then samples memory every `everyMs` until stopSampling. */
  sample(everyMs: number): Promise<void> {
    return this.ask({ ask: 'sample', everyMs });
  }

  stopSampling(): Promise<MemorySamples> {
    return this.ask({ ask: 'stopSampling' });
  }

  /** Stops the part's services, and then the process ends; if it cannot within ANSWER_MS, it is killed (and the
   * error still thrown). Once, however often it is called. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return;
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      try {
        await this.ask({ ask: 'stop' }, ANSWER_MS);
      } catch (error) {
        this.child.kill('SIGKILL');
        throw error;
      } finally {
        await exited;
      }
    })();
    return this.stopping;
  }

  private ask<T>(question: Question, ms = ANSWER_MS): Promise<T> {
    const id = ++this.asked;
    const answered = this.answer<T>(id, ms, `The ${this.kind} process's answer to ${question.ask}`);
    if (!this.child.connected) this.failAll(new Error(`The ${this.kind} process is gone`));
    else this.child.send({ id, ...question }, (error) => error && this.failAll(error));
    return answered;
  }

  /** The answer to question `id`, or a failure after `ms`. */
  private answer<T>(id: number, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${what} took more than ${ms / 1000} s`));
      }, ms);
      this.waiting.set(id, {
        resolve(value) {
          clearTimeout(timer);
          resolve(value);
        },
        reject(error) {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
