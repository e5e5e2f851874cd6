#!/usr/bin/env node
// Bundles the runtime's TypeScript (with the workspace packages) into apps/runtime/dist/main.mjs, so
// `npm start` and the benchmarks run plain JavaScript: no transpiler in the process, ~50 MB less RSS.
// main.mjs carries its npm dependencies too: resolving and loading ~900 files under node_modules took
// ~0.4 s of every start (a restart after a crash, issue 18). Each bundle's source map is thinned
// (lean-source-map.mjs): Flowdesk's code mapped line by line, the dependencies' code unmapped, no source
// texts — Node reads the map at every start under --enable-source-maps and, at the first formatted error
// stack, turns each mapping into an array it keeps: 72 MiB of heap for esbuild's map, 2 MiB for this one. The sandbox worker keeps its
// dependencies external: QuickJS loads its WebAssembly file from beside its own module. The
// PostgreSQL migrations are copied beside the bundle. main.mjs is whitespace-minified: its comments held
// non-ASCII characters, which made V8 keep the whole 7.5 MB source as a two-byte string (~15 MB); now
// ~5 MB, one byte per character (bench:memory: ~15 MiB less RSS); names are kept, the map gives lines.
// The egress worker (security/egress-worker.ts) is a bundle of its own, whitespace-minified too. Both carry
// undici (main.mjs for the exchanges the loop thread runs itself while traffic is light), whose license
// notices are not ASCII: they go to main.mjs.LEGAL.txt and egress-worker.mjs.LEGAL.txt beside the bundles.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leanSourceMap } from './lean-source-map.mjs';
import { schemaChecksModuleSource } from './schema-checks-standalone.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const deps = ['apps/runtime', 'packages/schema', 'packages/engine'].flatMap((d) =>
  Object.keys(JSON.parse(readFileSync(join(root, d, 'package.json'), 'utf8')).dependencies ?? {}),
);
// another output folder as the first argument (the bundle's own test builds into a temporary one)
const outdir = process.argv[2] ? resolve(process.argv[2]) : join(root, 'apps/runtime/dist');
mkdirSync(outdir, { recursive: true });
// optional native addons a dependency asks for only when told to (pg's `native` getter)
const optionalNative = ['pg-native'];
const common = {
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // the schema checks precompiled (a start does not pay for compiling them)
  plugins: [
    {
      name: 'schema-checks',
      setup(b) {
        b.onLoad({ filter: /packages[\\/]schema[\\/]src[\\/]schema-checks\.ts$/ }, () => ({ contents: schemaChecksModuleSource(root), loader: 'js', resolveDir: join(root, 'packages/schema') }));
      },
    },
  ],
  banner: { js: "import { createRequire as __fdCreateRequire } from 'node:module'; const require = __fdCreateRequire(import.meta.url);" },
};
await build({ ...common, entryPoints: { main: join(root, 'apps/runtime/src/main.ts') }, external: optionalNative, sourcesContent: false, minifyWhitespace: true, legalComments: 'external' });
await build({ ...common, entryPoints: { 'sandbox-worker': join(root, 'apps/runtime/src/sandbox/worker.ts') }, external: deps.filter((n) => !n.startsWith('@flowdesk/')) });
await build({ ...common, entryPoints: { 'egress-worker': join(root, 'apps/runtime/src/security/egress-worker.ts') }, sourcesContent: false, minifyWhitespace: true, legalComments: 'external' });
for (const name of ['main', 'sandbox-worker', 'egress-worker']) {
  const file = join(outdir, `${name}.mjs.map`);
  writeFileSync(file, JSON.stringify(leanSourceMap(JSON.parse(readFileSync(file, 'utf8'))).map));
}
cpSync(join(root, 'apps/runtime/src/store/postgres/migrations'), join(outdir, 'migrations'), { recursive: true });
console.log(`runtime bundled: ${join(outdir, 'main.mjs')}`);
