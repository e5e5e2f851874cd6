import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// The built app runs under the runtime's CSP (script-src 'self' 'unsafe-eval'): no inline scripts.
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 4000,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': process.env.FLOWDESK_URL ?? 'http://127.0.0.1:3000',
      '/hooks': process.env.FLOWDESK_URL ?? 'http://127.0.0.1:3000',
    },
  },
});
