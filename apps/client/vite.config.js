import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = fileURLToPath(new URL('.', import.meta.url));

// `npm run dev` proxies the API to a running stack (VF_API_ORIGIN, default the local edge).
const apiOrigin = process.env.VF_API_ORIGIN || 'https://127.0.0.1:8443';

export default defineConfig({
  plugins: [react()],
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
    proxy: {
      '/api': { target: apiOrigin, changeOrigin: true, secure: false },
    },
  },
  test: {
    // Unit tests live with the other unit tests of the repository.
    root: '../..',
    include: ['tests/unit/client/**/*.test.js'],
    environment: 'node',
  },
});
