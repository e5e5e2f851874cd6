// `npm start` builds the editor and the runtime bundle only when their sources changed: a restart
// with unchanged sources runs no build and serves at once. Runs the real `npm start` in a copy of the
// repo (its node_modules linked), so the repo's own dist/ is never touched.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/runtime.ts';

const copy = mkdtempSync(join(tmpdir(), 'flowdesk-start-'));

function copyRepo(): void {
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of tracked) if (existsSync(join(REPO, f))) cpSync(join(REPO, f), join(copy, f), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
}

/** Runs `npm start` until it prints its URL; returns everything it printed and stops it. */
function startOnce(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start'], {
      cwd: copy,
      env: { ...process.env, PORT: '0', FLOWDESK_DATA_DIR: join(copy, 'data'), FLOWDESK_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /Flowdesk is running at (http:\/\/\S+)/.exec(out);
      if (!m) return;
      fetch(`${m[1]}/healthz`)
        .then((r) => {
          out += `\nhealthz ${r.status}\n`;
        })
        .catch((e: Error) => (out += `\nhealthz failed: ${e.message}\n`))
        .finally(() => process.kill(-child.pid!, 'SIGTERM'));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => resolve(out));
    child.on('error', reject);
  });
}

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('npm start', () => {
  it('builds on the first start, not on a restart with the same sources, and only what changed after an edit', { timeout: 240_000 }, async () => {
    copyRepo();
    const first = await startOnce();
    expect(first).toContain('build: editor sources changed; building');
    expect(first).toContain('build: runtime sources changed; building');
    expect(first).toContain('healthz 200');

    const second = await startOnce();
    expect(second).toContain('build: editor is up to date');
    expect(second).toContain('build: runtime is up to date');
    expect(second).not.toContain('building');
    expect(second).toContain('healthz 200');

    appendFileSync(join(copy, 'apps/runtime/src/main.ts'), '\n// an edit\n');
    const third = await startOnce();
    expect(third).toContain('build: editor is up to date');
    expect(third).toContain('build: runtime sources changed; building');
    expect(third).toContain('healthz 200');
  });
});
