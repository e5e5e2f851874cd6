// Builds the editor with vite once per test run, when apps/editor/dist is missing or older than its
// sources (the editor's own and the shared packages it bundles). A lock directory keeps parallel test
// files from building at the same time.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const EDITOR_DIR = join(ROOT, 'apps/editor');
export const DIST = join(EDITOR_DIR, 'dist');

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of readdirSync(path)) {
    if (e === 'node_modules' || e === 'dist' || e.endsWith('.test.ts')) continue;
    m = Math.max(m, newest(join(path, e)));
  }
  return m;
}

export function editorIsStale(): boolean {
  const index = join(DIST, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = Math.max(
    newest(join(EDITOR_DIR, 'src')),
    newest(join(EDITOR_DIR, 'index.html')),
    newest(join(EDITOR_DIR, 'vite.config.ts')),
    newest(join(ROOT, 'packages/schema/src')),
    newest(join(ROOT, 'packages/engine/src')),
  );
  return sources > built;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function ensureEditorBuilt(): Promise<void> {
  const lock = join(ROOT, 'test-results', '.editor-build.lock');
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  for (let i = 0; i < 600; i++) {
    if (!editorIsStale()) return;
    try {
      mkdirSync(lock);
    } catch {
      // someone else builds; a lock older than 3 minutes is a leftover
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone already */
      }
      await sleep(500);
      continue;
    }
    try {
      if (editorIsStale()) {
        // build beside dist, then copy in with index.html last: a runtime serving dist meanwhile
        // (another test file) keeps finding the hashed assets its pages were loaded with
        const staging = join(ROOT, 'test-results', `.editor-dist-staging-${process.pid}`); // ignored by git
        try {
          execFileSync(
            process.execPath,
            [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(EDITOR_DIR, 'vite.config.ts'), '--logLevel', 'warn', '--outDir', staging, '--emptyOutDir'],
            // production, as users get it: under vitest NODE_ENV is "test", and Vite then bundled React's
            // development build (slower, bigger) — which the editor bench then measured too
            { cwd: EDITOR_DIR, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
          );
          mkdirSync(DIST, { recursive: true });
          cpSync(staging, DIST, { recursive: true, filter: (src) => src !== join(staging, 'index.html') });
          copyFileSync(join(staging, 'index.html'), join(DIST, 'index.html'));
        } finally {
          rmSync(staging, { recursive: true, force: true });
        }
      }
      return;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  throw new Error('timed out waiting for the editor build');
}
