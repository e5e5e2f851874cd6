// StrykerJS over the modules that carry Flowdesk's guarantees: `npm run test:mutation` (not part of
// `npm test`: it is slow). Add a module to `mutate` and the tests that guard it to
// vitest.mutation.config.ts; the per-module scores go in the README ("Mutation testing").
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: [
    'packages/engine/src/retry.ts', // the retry schedule
    'packages/engine/src/interpreter.ts', // stepping a run: advance, results, replay, cancel
    'packages/engine/src/steps.ts', // … what each node type does
    'packages/engine/src/run-state.ts', // … ports, edges, the run's context
    'apps/runtime/src/security/webhook-auth.ts', // webhook signatures
    'packages/engine/src/admit.ts', // admission: the idempotency key, the record, the contract
    'apps/runtime/src/store/lowdb/append-log.ts', // the store's write path: group commit, fdatasync, rollback
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  thresholds: { high: 90, low: 80, break: 80 },
  // reruns test only what changed since reports/stryker-incremental.json
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
