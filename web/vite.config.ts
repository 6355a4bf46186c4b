/**
 * The console's build. `npm run build` writes web/dist, which the server serves at `/`; `npm run web:dev` serves the
 * sources with hot reload and forwards the APIs to a running `npm start`.
 */
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

const api = process.env.CANOPY_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [solid()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true },
      '/p/': { target: api, ws: true },
    },
  },
});
