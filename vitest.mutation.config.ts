// The tests StrykerJS runs against each mutant (`npm run test:mutation`): the fast unit and in-process
// HTTP tests of the modules it mutates (see stryker.config.mjs). `@flowdesk/engine` is aliased to the
// sources beside this file, so that in Stryker's sandbox the runtime imports the mutated engine, not the
// original one the workspace link points at.
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: [{ find: /^@flowdesk\/engine$/, replacement: resolve(import.meta.dirname, 'packages/engine/src/index.ts') }],
  },
  test: {
    include: [
      'packages/engine/src/**/*.test.ts',
      'apps/runtime/src/security/*.test.ts',
      'apps/runtime/src/store/lowdb/*.test.ts',
      'test/durability/ack-order.test.ts',
      'test/durability/failed-writes.test.ts',
      'test/reliability/security.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
