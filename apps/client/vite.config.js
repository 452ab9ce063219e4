import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = fileURLToPath(new URL('.', import.meta.url));

// `npm run dev` proxies the API to a running stack (VF_API_ORIGIN, default the local edge).
const apiOrigin = process.env.VF_API_ORIGIN || 'https://127.0.0.1:8443';

// Where each service's API lives behind the edge: the model's prefixes (the catalog's
// api_prefix per service), given as JSON by the Makefile (tools/api_prefixes.py) or the image
// build (a build argument). The client names no API path of its own.
function apiPrefixes() {
  const given = process.env.VF_API_PREFIXES;
  if (!given) {
    throw new Error('VF_API_PREFIXES is not set: build with `make` (it reads the model), or set it to the model\'s prefixes');
  }
  const prefixes = JSON.parse(given);
  for (const service of ['gallery', 'streaming']) {
    if (typeof prefixes[service] !== 'string') throw new Error(`VF_API_PREFIXES has no prefix for ${service}`);
  }
  return prefixes;
}
const prefixes = apiPrefixes();

export default defineConfig({
  plugins: [react()],
  define: { __VF_API_PREFIXES__: JSON.stringify(prefixes) },
  // Keep Vite's cache inside the client even though the tests run from the repository root.
  cacheDir: `${here}node_modules/.vite`,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: {
    host: '127.0.0.1',
    proxy: Object.fromEntries(
      Object.values(prefixes).map((prefix) => [prefix, { target: apiOrigin, changeOrigin: true, secure: false }]),
    ),
  },
  test: {
    // Unit tests live with the other unit tests of the repository.
    root: '../..',
    include: ['tests/unit/client/**/*.test.js'],
    environment: 'node',
  },
});
