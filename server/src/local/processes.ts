/** Whether process `pid` runs: signal 0 is checked, not sent (EPERM: it runs as another user). Alone in this module
 * so that a benchmark's client process can ask without loading the embedded Postgres. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
