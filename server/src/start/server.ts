/** `npm run server`: the HTTP server alone (run any number behind a load balancer, with workers beside them). */
import { createApp } from '../app.ts';
import { boot, onShutdown } from './boot.ts';

const platform = await boot();
const app = await createApp({ ...platform, logger: true });
await app.listen({ host: platform.config.host, port: platform.config.port });
onShutdown(platform, () => app.close());
console.log(`Canopy server is running: ${platform.config.publicUrl}`);
