// TypeScript strict everywhere: the whole repo type-checks (tsc --noEmit) as part of npm test.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './support/runtime.ts';

describe('typecheck', () => {
  it('tsc --noEmit -p tsconfig.json reports no error', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(REPO, 'tsconfig.json')], { cwd: REPO, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 240_000);
});
