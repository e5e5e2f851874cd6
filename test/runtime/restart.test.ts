// Crash safety: SIGKILL the runtime right after a burst of 202s; on restart every acknowledged event
// has its run, and every run resumes to its end. And a corrupt store file stops the start, untouched.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startChildRuntime, runChildToExit, type ChildRuntime } from '../support/child.ts';
import { flowsDirWith, tempDir } from '../support/runtime.ts';
import { waitFor } from '../support/wait.ts';

const dirs: string[] = [];
let child: ChildRuntime | undefined;
afterAll(async () => {
  await child?.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('restart', () => {
  // a child start, 150 acks, a kill, a restart and the drain: slow on a loaded 2-core CI machine
  it('every acknowledged event has its run after a SIGKILL, finished or resumed to the end', { timeout: 180_000 }, async () => {
    const dataDir = tempDir();
    const flowsDir = flowsDirWith(['lead-qualification']);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir };
    child = await startChildRuntime(env);
    const acked: string[] = [];
    const post = async (i: number) => {
      try {
        const res = await fetch(`${child!.url}/hooks/lead`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `crash${i}@example.com`, source: 'other', budget: 10 }),
        });
        if (res.status === 202) acked.push(((await res.json()) as { runId: string }).runId);
      } catch {
        /* the kill cut this request: never acknowledged */
      }
    };
    const burst = Array.from({ length: 400 }, (_, i) => post(i));
    // kill while requests are still in flight
    await waitFor('150 events acknowledged', () => acked.length >= 150, 20_000, 100);
    await child.kill('SIGKILL');
    await Promise.all(burst);
    expect(acked.length).toBeGreaterThanOrEqual(150);

    child = await startChildRuntime(env);
    const url = child.url;
    const statuses = await waitFor('every acknowledged run succeeded', async () => {
      const all = await Promise.all(acked.map(async (id) => (await fetch(`${url}/api/runs/${id}`)).json() as Promise<{ status?: string }>));
      return all.every((r) => r.status === 'succeeded') ? all : undefined;
    }, 60_000, 100);
    expect(statuses).toHaveLength(acked.length);
    await child.kill('SIGTERM');
    child = undefined;
  });

  it('a corrupt store file stops the start naming the file, and is left untouched', async () => {
    const dataDir = tempDir();
    const flowsDir = flowsDirWith(['lead-qualification']);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir };
    const c = await startChildRuntime(env);
    await c.kill('SIGTERM');
    const candidates = readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.json') && !d.name.includes('lock'))
      .map((d) => join(d.parentPath, d.name));
    const victim = candidates.find((f) => f.includes('flows')) ?? candidates[0]!;
    const corrupt = readFileSync(victim, 'utf8').slice(0, 20) + '\u0000garbage';
    writeFileSync(victim, corrupt);
    const out = await runChildToExit(env);
    expect(out.code).not.toBe(0);
    expect(out.output).toContain(victim.split('/').pop()!);
    expect(readFileSync(victim, 'utf8')).toBe(corrupt);
  });
});
