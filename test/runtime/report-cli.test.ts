// npm run report writes the weekly review file from a data dir.
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, flowsDirWith, startTestRuntime, tempDir } from '../support/runtime.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('npm run report', () => {
  it('writes the week as Markdown and HTML', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const rt = await startTestRuntime({ dataDir, flowsDir: flowsDirWith(['lead-qualification']) });
    rt.clock.set('2026-11-17T10:00:00.000Z');
    await rt.post('/hooks/lead', { email: 'w@example.com', budget: 10 });
    await rt.settle();
    await rt.close();
    const out = join(dataDir, 'r.md');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'apps/runtime/src/cli/report.ts'), '--week', '2026-W47', '--data-dir', dataDir, '--out', out], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('2026-W47');
    expect(md).toMatch(/lead-qualification|Lead qualification/);
    const html = join(dataDir, 'r.html');
    const h = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'apps/runtime/src/cli/report.ts'), '--week', '2026-W47', '--format', 'html', '--data-dir', dataDir, '--out', html], { cwd: REPO, encoding: 'utf8' });
    expect(h.status, h.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'apps/runtime/src/cli/report.ts'), '--week', '2026-48', '--data-dir', dataDir], { cwd: REPO, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--week');
  });
});
