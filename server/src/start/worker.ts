/** `npm run worker`: a graphile-worker runner alone. */
import { startWorker } from '../../../worker/src/runner.ts';
import { boot, onShutdown } from './boot.ts';

const platform = await boot();
const worker = await startWorker(platform);
onShutdown(platform, () => worker.stop());
console.log('Canopy worker is running');
