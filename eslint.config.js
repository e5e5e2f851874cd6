// ESLint (flat config): typescript-eslint's recommended rules, React's hook rules in the editor, and
// the architecture's boundaries as import rules, so they are enforced rather than hoped for:
// - packages/schema and packages/engine import no Node module and nothing from apps/ (they run in the
//   browser too), and the engine reads no clock and draws no random numbers (its steps must replay);
// - apps/editor/src/core is framework-free: no React;
// - no source file imports the test tree.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const NODE_BUILTINS = ['assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib'];

/** Test support that lives beside the code it tests (it is a test, not a source, whatever its name). */
const TEST_SUPPORT = ['apps/runtime/src/store/store.contract.ts', 'apps/runtime/src/store/postgres/harness.ts', 'apps/runtime/src/store/postgres/fixtures.ts', 'packages/schema/src/json-schema-suite.ts'];
const TESTS = ['**/*.test.ts', '**/*.test.tsx', ...TEST_SUPPORT];

const noTestImports = { group: ['**/test/**', '**/*.test', '**/*.test.ts', '**/*.test.tsx'], message: 'source files do not import tests or test support' };
const pureCore = [
  { group: ['node:*', ...NODE_BUILTINS], message: 'packages/schema and packages/engine run in the browser too: no Node modules' },
  // the repo's apps by name: packages/schema has an apps/ folder of its own (the connection app specs)
  { group: ['**/apps/runtime', '**/apps/runtime/**', '**/apps/editor', '**/apps/editor/**', '@flowdesk/runtime', '@flowdesk/runtime/*', '@flowdesk/editor', '@flowdesk/editor/*'], message: 'packages/ import nothing from apps/' },
  noTestImports,
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'apps/runtime/dist-*/**', 'apps/runtime/.bundle-test-*/**', '.tmp/**', '.stryker-tmp/**', 'reports/**', 'test-results/**', 'data/**', '**/*.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `(a, b)` loop bodies and `x && f()` are written on purpose in the stores and the editor
      '@typescript-eslint/no-unused-expressions': 'off',
      // names starting with _ are deliberately unused (destructuring a field away)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // a rethrow that names what failed is the point of the message; the cause is logged where it is caught
      'preserve-caught-error': 'off',
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: TESTS,
    rules: { 'no-restricted-imports': ['error', { patterns: pureCore }] },
  },
  {
    files: ['packages/engine/src/**/*.ts'],
    ignores: TESTS,
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'the engine gets `now` from its caller' },
        { object: 'Math', property: 'random', message: 'the engine must replay identically: derive from a seed' },
        { object: 'performance', property: 'now', message: 'the engine gets `now` from its caller' },
      ],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'the engine has no timers' }, { name: 'setInterval', message: 'the engine has no timers' }, { name: 'process', message: 'the engine reads no environment' }],
    },
  },
  {
    files: ['apps/*/src/**/*.ts', 'apps/*/src/**/*.tsx'],
    ignores: [...TESTS, 'apps/editor/src/core/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noTestImports] }] },
  },
  {
    files: ['apps/editor/src/core/**/*.ts'],
    ignores: TESTS,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // react-querybuilder's formatQuery and parseJsonLogic entries are plain functions; type imports are erased
          paths: ['react', 'react-dom', '@xyflow/react', 'react-querybuilder', 'recharts'].map((name) => ({ name, allowTypeImports: true, message: 'apps/editor/src/core is framework-free: no React' })),
          patterns: [{ group: ['react/*', 'react-dom/*', '@xyflow/*', 'recharts/*', '*.tsx'], message: 'apps/editor/src/core is framework-free: no React' }, noTestImports],
        },
      ],
    },
  },
  {
    files: ['apps/editor/src/**/*.tsx', 'apps/editor/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // the build scripts run on Node, as plain ES modules
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
  {
    // tests and benchmarks may be loose with types where a fixture is deliberately malformed
    files: [...TESTS, 'test/**/*.ts', 'bench/**/*.ts'],
    // (a reopen whose result is dropped, a collector reset before a poll, are deliberate there)
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off', 'no-useless-assignment': 'off' },
  },
);
