// copyStore: everything a store holds lands in PostgreSQL exactly (versions, active flags, histories,
// claims). The source here is the in-memory reference store; the CLI test copies a real lowdb dir.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { createMemoryStore } from '../memory/index.ts';
import { at, makeFlow, makeRun } from '../store.contract.ts';
import { expectSameStores, fill } from './fixtures.ts';
import { copyStore, isEmptyStore, snapshotOf } from './copy.ts';
import { pgHarness, type PgHarness } from './harness.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe('copyStore into postgres', () => {
  let h: PgHarness;
  afterEach(async () => {
    await h?.cleanup();
  });

  it('copies everything exactly, and live dedupe claims keep working', async () => {
    const src = createMemoryStore();
    await src.open();
    const { open, doneRun } = await fill(src);
    h = await pgHarness(server);
    expect(await isEmptyStore(h.store)).toBe(true);
    const counts = await copyStore(src, h.store, { now: at(100) });
    expect(counts).toMatchObject({ flows: 4, flowIds: 2, runs: 3, openRuns: 1, dedupe: 2, records: 2, timers: 2, rejected: 1 });
    expect(counts.docs).toEqual({ deadLetters: 1, reviews: 1, alerts: 1, tasks: 1, outbox: 1, settings: 1, kpiFacts: 1, connections: 1 });
    expect(await isEmptyStore(h.store)).toBe(false);
    await expectSameStores(src, h.store);
    expect((await h.store.getFlow('lead'))?.active).toBe(false);
    expect((await h.store.getFlow('lead', 2))?.active).toBe(true);
    // claims: live ones are still duplicates, the expired one is free
    const dupOpen = await h.store.createRun(makeRun(50, { idempotencyKey: 'ada' }), { flowId: 'f1', key: 'ada', now: at(50), expiresAt: at(150) });
    expect(dupOpen).toEqual({ run: open, duplicate: true });
    const dupDone = await h.store.createRun(makeRun(50, { idempotencyKey: 'bob' }), { flowId: 'f1', key: 'bob', now: at(50), expiresAt: at(150) });
    expect(dupDone).toEqual({ run: doneRun, duplicate: true });
    expect((await h.store.createRun(makeRun(50, { idempotencyKey: 'cyd' }), { flowId: 'f1', key: 'cyd', now: at(50), expiresAt: at(150) })).duplicate).toBe(false);
    // the next deploy continues the version numbers
    expect((await h.store.putFlow(makeFlow('lead'), at(60))).version).toBe(4);
  });

  it("runs: 'open' keeps open runs and finished ones holding a live claim", async () => {
    const src = createMemoryStore();
    await src.open();
    const { open, doneRun } = await fill(src);
    const snap = await snapshotOf(src, { runs: 'open', now: at(100) });
    expect(snap.runs?.map((r) => r.id).sort()).toEqual([open.id, doneRun.id].sort());
    h = await pgHarness(server);
    const counts = await copyStore(src, h.store, { runs: 'open', now: at(100) });
    expect(counts.runs).toBe(2);
  });

  it('large run histories are paged through', async () => {
    const src = createMemoryStore();
    await src.open();
    await Promise.all(Array.from({ length: 2500 }, (_, i) => src.createRun(makeRun(i + 1))));
    h = await pgHarness(server);
    const counts = await copyStore(src, h.store, { pageSize: 700 });
    expect(counts.runs).toBe(2500);
    expect(await h.store.countRuns()).toBe(2500);
  });
});
