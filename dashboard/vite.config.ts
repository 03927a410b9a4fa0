import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

/** The dashboard is a static bundle in dashboard/dist, served by the gateway; nothing loads from a CDN. */
export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite dashboard` for development against a running gateway on :8080.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/reports': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
