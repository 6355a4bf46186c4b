/** `npm start`: the whole platform in one process (server and worker), on embedded services unless told otherwise. */
import { startWorker } from '../../../worker/src/runner.ts';
import { createApp } from '../app.ts';
import { boot, onShutdown } from './boot.ts';

const platform = await boot();
const app = await createApp({ ...platform, logger: false });
await app.listen({ host: platform.config.host, port: platform.config.port });
const worker = await startWorker(platform);
onShutdown(platform, async () => {
  await app.close();
  await worker.stop();
});
console.log(`Canopy is running: ${platform.config.publicUrl}`);
