// A restart with 10,000 queued runs (the data dir a crash under load leaves) drains under a small heap:
// the queued runs are read a page at a time, never all at once. The runtime runs in a child process
// (under tsx) with --max-old-space-size=64; the code before issue 11 ran out of heap here even at 256.
// (The bound was raised to 80 when the sandboxed languages landed: acorn and jsonata were loaded at
// start, ~2 MB, and the drain then peaked just over 64. A heap snapshot at the limit showed 16 MB of
// it was the open-run cache. Now the parsers load on first use and the cache takes at most a sixteenth
// of the heap limit: the drain peaks at ~59 MB sampled under 64, and drains even under 56.)
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newRun } from '@flowdesk/engine';
import type { Flow } from '@flowdesk/schema';
import { createLowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { flowsDirWith, FLOWS_DIR, tempDir } from '../support/runtime.ts';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';

const dirs: string[] = [];
let child: ChildRuntime | undefined;
afterAll(async () => {
  await child?.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const middleFit = (i: number) => ({ email: `parked${i}@example.com`, name: `P ${i}`, company: `Parked ${i}`, source: 'form', budget: 6000 });

describe('restart with a deep backlog', () => {
  it('10,000 queued runs drain after a restart under a 64 MB heap', { timeout: 300_000 }, async () => {
    const dataDir = tempDir('flowdesk-backlog-');
    const flow = JSON.parse(readFileSync(join(FLOWS_DIR, 'lead-qualification.json'), 'utf8')) as Flow;
    const flowsDir = flowsDirWith(['lead-qualification']);
    dirs.push(dataDir, flowsDir);
    // the data dir a crash under load leaves: 10,000 accepted runs, none started
    const store = createLowdbStore({ dataDir, fsync: false, log: { warn: () => {} } });
    await store.open();
    const stored = await store.putFlow({ ...flow, active: true }, new Date().toISOString());
    const t0 = Date.now() - 60_000;
    const N = 10_000;
    for (let i = 0; i < N; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, N - i) }, (_, k) => {
          const n = i + k;
          const payload = { ...middleFit(n), email: `backlog${n}@example.com`, message: `${'We need our onboarding rebuilt. '.repeat(40)}${n}` };
          const run = newRun(stored.doc, {
            id: `backlog-${String(n).padStart(6, '0')}`,
            payload,
            headers: { 'content-type': 'application/json', 'user-agent': 'load-test' },
            now: new Date(t0 + n).toISOString(),
            idempotencyKey: payload.email,
            trigger: { type: 'webhook', path: 'lead' },
            record: { entity: 'account', key: payload.email },
          });
          return store.createRun(run, { flowId: flow.id, key: payload.email, now: run.createdAt, expiresAt: new Date(t0 + 86_400_000).toISOString() });
        }),
      );
    }
    expect((await store.listOpenRuns({ limit: 1 }))[0]?.status).toBe('queued');
    await store.close();

    child = await startChildRuntime({ FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_FSYNC: '0' }, 90_000, undefined, ['--max-old-space-size=64']);
    const url = child.url;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const queued = (await (await fetch(`${url}/api/runs?status=queued&limit=1`)).json()) as unknown[];
      const running = (await (await fetch(`${url}/api/runs?status=running&limit=1`)).json()) as unknown[];
      if (queued.length === 0 && running.length === 0) break;
      if (child.proc.exitCode !== null) throw new Error(`the runtime died draining the backlog:\n${child.output().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('the backlog did not drain in 240 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    // every one of them reached the review queue (middle-fit leads)
    const reviews = (await (await fetch(`${url}/api/runs?status=needs_review&limit=1`)).json()) as { id: string }[];
    expect(reviews).toHaveLength(1);
    const last = (await (await fetch(`${url}/api/runs/backlog-009999`)).json()) as { status: string };
    expect(last.status).toBe('needs_review');
    expect(child.proc.exitCode).toBeNull();
  });
});
