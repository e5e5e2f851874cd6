// The ~900 KB idempotency-key attack (issue 12, item 3): a flow keyed on an unbounded payload field,
// fed many distinct huge keys. Keys are claimed and indexed by their sha256, so what the store holds
// in memory per run stays bounded (a store counter), no key length is refused, a duplicate is still a
// duplicate, and a restart loads hashes, not keys.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { LowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { flowsDirWithDocs, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const dirs: string[] = [];
let rt: TestRuntime | undefined;
afterAll(async () => {
  await rt?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flow = {
  dsl: 1,
  id: 'keyed',
  name: 'Keyed on a long field',
  trigger: { type: 'webhook', path: 'keyed', auth: { type: 'none' }, idempotencyKey: { var: 'payload.ref' } },
  nodes: [{ id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'end' }],
};

describe('huge idempotency keys', () => {
  it('40 distinct 900 KB keys: accepted, deduped, held as hashes; a restart works', { timeout: 120_000 }, async () => {
    const dataDir = tempDir('flowdesk-bigkeys-');
    const flowsDir = flowsDirWithDocs([flow]);
    dirs.push(dataDir, flowsDir);
    rt = await startTestRuntime({ dataDir, flowsDir });
    const key = (i: number) => `${String(i).padStart(4, '0')}-${'x'.repeat(900 * 1024)}`;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await rt.post('/hooks/keyed', { ref: key(i) });
      expect(res.status).toBe(202);
      ids.push(res.body.runId);
    }
    await rt.settle();
    const stats = () => (rt!.store as LowdbStore).stats();
    expect(stats().claims).toBe(40);
    // 40 keys of 900 KB = 36 MB if held; hashes are 43 characters each
    expect(stats().keyChars).toBeLessThanOrEqual(40 * 43);
    expect(stats().cachedRunBytes).toBeLessThanOrEqual(16 << 20);
    const dup = await rt.post('/hooks/keyed', { ref: key(7) });
    expect(dup.body).toEqual({ runId: ids[7], duplicate: true });
    // the raw key is still in the run itself
    expect((await rt.get(`/api/runs/${ids[3]}`)).body.idempotencyKey).toBe(key(3));

    await rt.close();
    rt = await startTestRuntime({ dataDir, flowsDir });
    expect(stats().keyChars).toBeLessThanOrEqual(40 * 43);
    expect(stats().cachedRuns).toBe(0);
    expect((await rt.post('/hooks/keyed', { ref: key(39) })).body).toEqual({ runId: ids[39], duplicate: true });
    expect((await rt.post('/hooks/keyed', { ref: key(40) })).status).toBe(202);
  });
});
