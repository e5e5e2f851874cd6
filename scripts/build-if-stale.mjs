#!/usr/bin/env node
// `npm start`'s build step: rebuilds the editor and the runtime bundle only when their sources changed
// since the last build (a content hash stored beside each build), so a restart after a crash serves
// again in about a second instead of waiting ~15 s for vite and esbuild.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');

/** Every file under `paths` (skipping tests, builds and dependencies), in a stable order. */
function filesUnder(paths) {
  const out = [];
  const walk = (p) => {
    if (!existsSync(p)) return;
    if (!statSync(p).isDirectory()) return void out.push(p);
    for (const e of readdirSync(p).sort()) {
      if (e === 'node_modules' || e === 'dist' || /\.test\.tsx?$/.test(e)) continue;
      walk(join(p, e));
    }
  };
  for (const p of paths) walk(join(root, p));
  return out;
}

function hashOf(paths) {
  const h = createHash('sha256');
  for (const f of filesUnder(paths)) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

const shared = ['packages/schema/src', 'packages/schema/package.json', 'packages/engine/src', 'packages/engine/package.json', 'package-lock.json'];
const targets = [
  {
    name: 'editor',
    stamp: 'apps/editor/dist/.build-hash',
    output: 'apps/editor/dist/index.html',
    sources: ['apps/editor/src', 'apps/editor/index.html', 'apps/editor/vite.config.ts', 'apps/editor/package.json', ...shared],
    build: () => execFileSync('npm', ['run', 'build', '-w', '@flowdesk/editor'], { cwd: root, stdio: 'inherit' }),
  },
  {
    name: 'runtime',
    stamp: 'apps/runtime/dist/.build-hash',
    output: 'apps/runtime/dist/main.mjs',
    sources: ['apps/runtime/src', 'apps/runtime/package.json', 'scripts/build-runtime.mjs', 'scripts/lean-source-map.mjs', 'scripts/schema-checks-standalone.mjs', 'packages/schema/flow.schema.json', 'packages/schema/state-map.schema.json', ...shared],
    build: () => execFileSync(process.execPath, [join(root, 'scripts/build-runtime.mjs')], { cwd: root, stdio: 'inherit' }),
  },
];

for (const t of targets) {
  const hash = hashOf(t.sources);
  const stamp = join(root, t.stamp);
  const current = existsSync(join(root, t.output)) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash;
  if (current) {
    console.log(`build: ${t.name} is up to date`);
    continue;
  }
  console.log(`build: ${t.name} sources changed; building`);
  t.build();
  writeFileSync(stamp, `${hash}\n`);
}
