// Housekeeping that runs: retention at start when it is overdue (a process restarted every day still
// prunes), every growing journal compacts once superseded versions pile up (records with two versions
// included), and each compaction says what it did. And a 10,000-level JSON body is refused 400 naming
// the depth limit before anything recursive runs, with nothing stored.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createLowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { at } from '../../apps/runtime/src/store/store.contract.ts';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { flowsDirWith, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const dirs: string[] = [];
let rt: TestRuntime | undefined;
afterAll(async () => {
  await rt?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const DAY = 86_400_000;

describe('retention', () => {
  it('runs at start when overdue, without waiting a day, and not again within the day', { timeout: 60_000 }, async () => {
    const dataDir = tempDir('flowdesk-retention-');
    const flowsDir = flowsDirWith(['lead-qualification']);
    dirs.push(dataDir, flowsDir);
    const t0 = Date.parse('2026-03-02T09:00:00.000Z');
    const env = { FLOWDESK_RETENTION_DAYS: '30' };
    rt = await startTestRuntime({ dataDir, flowsDir, env, clock: new ManualClock(t0) });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await rt.post('/hooks/lead', { email: `r${i}@example.com`, budget: 12000, company: 'Co', source: 'referral' })).body.runId);
    await rt.settle();
    await rt.close();
    // the process is restarted every day; 31 days later the runs are past retention
    rt = await startTestRuntime({ dataDir, flowsDir, env, clock: new ManualClock(t0 + 31 * DAY) });
    await rt.settle(); // the timers due at start, nothing more: no day passes
    for (const id of ids) expect((await rt.get(`/api/runs/${id}`)).status).toBe(404);
    const last = await rt.store.getDoc('settings', 'retention-last-run');
    expect(last).toMatchObject({ at: new Date(t0 + 31 * DAY).toISOString(), pruned: 5 });
    expect((await rt.store.getTimer('retention'))?.dueAt).toBe(new Date(t0 + 32 * DAY).toISOString());
    await rt.close();
    // restarted an hour later: not overdue, not run again; the next one stays a day after the last
    rt = await startTestRuntime({ dataDir, flowsDir, env, clock: new ManualClock(t0 + 31 * DAY + 3_600_000) });
    await rt.settle();
    expect((await rt.store.getDoc('settings', 'retention-last-run'))?.at).toBe(new Date(t0 + 31 * DAY).toISOString());
    expect((await rt.store.getTimer('retention'))?.dueAt).toBe(new Date(t0 + 32 * DAY).toISOString());
  });
});

describe('compaction', () => {
  it('every growing journal compacts superseded versions, records with two versions included, and logs what it did', async () => {
    const dataDir = tempDir('flowdesk-compact-');
    dirs.push(dataDir);
    const info: string[] = [];
    const s = createLowdbStore({ dataDir, fsync: false, compactBytes: 16 * 1024, segmentBytes: 64 * 1024, log: { warn: () => {}, info: (m) => info.push(m) } });
    await s.open();
    try {
      for (let i = 0; i < 300; i++) {
        await s.transitionRecord({ entity: 'account', key: `k${i}`, to: 'captured', at: at(i), cause: {} });
        await s.transitionRecord({ entity: 'account', key: `k${i}`, to: 'qualified', at: at(i + 1), cause: {} });
      }
      for (const c of ['outbox', 'kpiFacts', 'reviews', 'deadLetters', 'tasks'] as const) {
        for (let v = 0; v < 2; v++) for (let i = 0; i < 200; i++) await s.putDoc(c, { id: `${c}-${i}`, v, pad: 'p'.repeat(100) } as never);
      }
      await s.idle();
      for (const j of ['records', 'outbox', 'kpiFacts', 'reviews', 'deadLetters', 'tasks']) {
        expect(info.some((m) => m.startsWith(`store: compacted the ${j} journal:`) && /dropped/.test(m)), `no compaction logged for ${j}`).toBe(true);
      }
      expect((await s.listRecords({ state: 'qualified' })).length).toBe(300);
      expect(await s.getDoc('outbox', 'outbox-3')).toMatchObject({ v: 1 });
    } finally {
      await s.close();
    }
  });
});

describe('deep JSON', () => {
  it('a 10,000-level body is refused 400 naming the limit; nothing is stored; 64 levels pass', async () => {
    const flowsDir = flowsDirWith(['lead-qualification']);
    dirs.push(flowsDir);
    const r = await startTestRuntime({ flowsDir });
    try {
      const deep = `{"email":"deep@example.com","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
      const res = await r.post('/hooks/lead', deep);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/nested deeper than 64 levels/);
      expect((await r.get('/api/runs')).body).toHaveLength(0);
      const ok = `{"email":"ok@example.com","extra":${'['.repeat(62)}${']'.repeat(62)}}`;
      expect((await r.post('/hooks/lead', ok)).status).toBe(202);
    } finally {
      await r.dispose();
    }
  });
});
