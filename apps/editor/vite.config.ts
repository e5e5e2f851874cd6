import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { schemaChecksModuleSource } from '../../scripts/schema-checks-standalone.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The flow schema's checks precompiled (the runtime's bundle does the same): compiling them with AJV in
 * the page costs 0.5–1.2 s of main-thread CPU right when the canvas first renders.
 */
function precompiledSchemaChecks(): Plugin {
  return {
    name: 'flowdesk-schema-checks',
    enforce: 'pre',
    load(id) {
      if (!/packages[\\/]schema[\\/]src[\\/]schema-checks\.ts$/.test(id)) return null;
      // Ajv's standalone code is CommonJS-flavoured in one place: its string-length helper
      const source = schemaChecksModuleSource(repo).replaceAll('require("ajv/dist/runtime/ucs2length")', '__ucs2length');
      return `import * as __ucs2 from 'ajv/dist/runtime/ucs2length.js';\nconst __ucs2length = { default: typeof __ucs2.default === 'function' ? __ucs2.default : __ucs2.default.default };\n${source}`;
    },
  };
}

// The built app runs under the runtime's CSP (script-src 'self' 'unsafe-eval'): no inline scripts.
export default defineConfig({
  root,
  base: '/',
  plugins: [precompiledSchemaChecks(), react()],
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
