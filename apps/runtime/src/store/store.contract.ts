// The one Store contract suite: every adapter (lowdb+journal, PostgreSQL) runs it and must pass it.
//
//   runStoreContract('lowdb', async () => { … return { store, reopen, cleanup } })
//
// The factory is called once per test and must give:
//   - `store`:   an OPENED store over fresh, empty, isolated data (no other test sees it);
//   - `reopen`:  closes the instance last handed out (the first `store` or the last reopened one),
//                opens a NEW instance over the same data and returns it, opened;
//   - `cleanup`: closes the instance last handed out (if still open) and removes the data.
// The suite itself never calls close().
//
// Semantics pinned down here (the interface comments in types.ts are the short form):
//   - Values are copies: mutating an object after handing it to the store, or an object the store
//     returned, never changes what the store holds.
//   - putFlow assigns version latest+1 (1, 2, 3… per flow id), sets doc.version, active unless
//     doc.active === false. getFlow(id) = latest version, getFlow(id, v) = that version.
//     listFlows = the latest version of each flow; listFlowVersions = every version, ascending.
//     setFlowActive changes the latest version's `active` (what getFlow(id)/listFlows answer); with
//     hold (only when active is false) the flow carries `hold: true` until the next setFlowActive.
//   - createRun with a DedupeClaim {flowId, key, expiresAt, now}: when a claim for (flowId, key)
//     exists whose expiresAt > claim.now, nothing is written and the FIRST run (its current stored
//     state) is returned with duplicate: true. Otherwise the run is created and its claim replaces
//     any expired one. Claims survive reopen.
//   - listRuns: newest first = createdAt descending, ties by id descending. limit default 50.
//     `before` = a run id: only runs strictly after it in that order. `key` = idempotencyKey equals;
//     `record` = "<entity>:<key>" matching run.record, or a bare key matching run.record.key.
//   - listOpenRuns: every run whose status is not terminal, oldest first (createdAt asc, id asc); with
//     a page {limit, after}: at most limit of them, strictly after run `after`.
//   - listOpenRunsOfRecord(entity, key): the open runs whose record is exactly (entity, key), oldest first.
//   - Idempotency keys of any length are claimed and found (adapters keep their sha256, not the key).
//   - pruneRuns(before): deletes runs in a terminal status whose endedAt < before; returns how many.
//     Open runs are never pruned. countRuns = number of runs stored.
//   - listRejected: newest first by `at`; `since` inclusive (at >= since); `flowId` equals; limit
//     default 100.
//   - transitionRecord: creates the record when absent (from: null, data = t.data ?? {}), otherwise
//     shallow-merges t.data into record.data; appends {id (unique), from, to, at, cause} to history;
//     state = to, updatedAt = at. expectFrom undefined: no check; null: the record must not exist;
//     a string: the record's state must equal it. A mismatch throws StoreConflictError (current = the
//     actual state or null) and writes nothing.
//   - putTimer upserts by id. claimDueTimers(now, limit): timers with dueAt <= now, earliest due first,
//     at most `limit`, each removed (or leased) so no other claimer ever gets it; not-yet-due stay.
//   - putDoc upserts by id; updateDoc(c, id, fn) is an atomic compare-and-set: fn sees the current
//     value (undefined when absent); returning undefined writes nothing and resolves undefined.
//   - Every write resolves only once durable: after reopen(), all of it is there.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Flow, RejectedEvent, Run, RunStatus } from '@flowdesk/schema';
import { StoreConflictError, type DedupeClaim, type Store, type Timer } from './types.ts';

export interface StoreHarness {
  store: Store;
  reopen: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
/** ISO time `s` seconds after a fixed origin. */
export const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

let uniq = 0;
const tag = Math.random().toString(36).slice(2, 8);
const pad = (n: number) => String(n).padStart(6, '0');

export function makeFlow(id: string, over: Partial<Flow> = {}): Flow {
  return {
    dsl: 1,
    id,
    name: `Flow ${id}`,
    trigger: { type: 'manual' },
    nodes: [{ id: 'done', type: 'end' }],
    edges: [{ from: 'trigger', to: 'done' }],
    ...over,
  } as Flow;
}

/** A run; `n` orders createdAt (and the id) so tests can predict newest-first order. */
export function makeRun(n: number, over: Partial<Run> = {}): Run {
  const created = at(n);
  return {
    id: `run-${tag}-${pad(n)}-${pad(++uniq)}`,
    flowId: 'f1',
    flowVersion: 1,
    status: 'running',
    idempotencyKey: null,
    trigger: { type: 'webhook', path: 'lead' },
    payload: { email: `user${n}@example.com`, nested: { list: [1, 2, 3], text: 'ünïcødé ✓ "quoted" \n line' } },
    headers: { 'content-type': 'application/json' },
    vars: {},
    cursor: 'done',
    steps: [],
    createdAt: created,
    startedAt: created,
    updatedAt: created,
    ...over,
  };
}

function finish(run: Run, status: RunStatus, endedAtS: number): Run {
  return {
    ...run,
    status,
    cursor: null,
    endedAt: at(endedAtS),
    updatedAt: at(endedAtS),
    steps: [
      ...run.steps,
      { nodeId: 'done', status: 'succeeded', attempts: [], output: { ok: true }, startedAt: at(endedAtS), endedAt: at(endedAtS) },
    ],
  };
}

function claim(flowId: string, key: string, nowS: number, windowS = 3600): DedupeClaim {
  return { flowId, key, now: at(nowS), expiresAt: at(nowS + windowS) };
}

const ids = (runs: { id: string }[]) => runs.map((r) => r.id);

/** `durable: false` (the test-only memory store): the cases that need a real reopen are left out, not faked. */
/**
 * Holds `name` on `store` with a task that waits: resolves once the task has begun (the name is held),
 * with release() ending it.
 */
export async function holdExclusive(store: Pick<Store, 'exclusive'>, name: string): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  let begun!: () => void;
  const holding = new Promise<void>((r) => (begun = r));
  const held = store.exclusive(name, () => {
    begun();
    return new Promise<void>((r) => (release = r));
  });
  await holding;
  return {
    release: async () => {
      release();
      await held;
    },
  };
}

export function runStoreContract(name: string, factory: () => Promise<StoreHarness>, opts: { durable?: boolean } = {}): void {
  const durable = opts.durable !== false;
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });
    /** runs 1…n created one after another (creation order is listing order) */
    const createRuns = async (n: number): Promise<Run[]> => {
      const runs: Run[] = [];
      for (let i = 1; i <= n; i++) {
        runs.push(makeRun(i));
        await store.createRun(runs[i - 1]!);
      }
      return runs;
    };

    // ───────────────────────────── flows ─────────────────────────────
    describe('flows', () => {
      it('putFlow assigns versions 1, 2, 3 per flow id and sets doc.version', async () => {
        const a1 = await store.putFlow(makeFlow('a', { name: 'A one' }), at(1));
        const a2 = await store.putFlow(makeFlow('a', { name: 'A two' }), at(2));
        const b1 = await store.putFlow(makeFlow('b'), at(3));
        const a3 = await store.putFlow(makeFlow('a', { name: 'A three' }), at(4));
        expect([a1.version, a2.version, a3.version, b1.version]).toEqual([1, 2, 3, 1]);
        expect(a3.id).toBe('a');
        expect(a3.doc.version).toBe(3);
        expect(a3.doc.name).toBe('A three');
        expect(a3.active).toBe(true);
        expect(a3.deployedAt).toBe(at(4));
      });

      it('getFlow gives the latest version, or the asked one; undefined when unknown', async () => {
        await store.putFlow(makeFlow('a', { name: 'v1' }), at(1));
        await store.putFlow(makeFlow('a', { name: 'v2' }), at(2));
        const latest = await store.getFlow('a');
        expect(latest?.version).toBe(2);
        expect(latest?.doc.name).toBe('v2');
        const v1 = await store.getFlow('a', 1);
        expect(v1?.version).toBe(1);
        expect(v1?.doc.name).toBe('v1');
        expect(v1?.doc.version).toBe(1);
        expect(await store.getFlow('a', 3)).toBeUndefined();
        expect(await store.getFlow('nope')).toBeUndefined();
      });

      it('a doc with active:false is stored inactive', async () => {
        const s = await store.putFlow(makeFlow('off', { active: false }), at(1));
        expect(s.active).toBe(false);
        expect((await store.getFlow('off'))?.active).toBe(false);
      });

      it('listFlows gives only the latest version of each flow (inactive included)', async () => {
        await store.putFlow(makeFlow('a'), at(1));
        await store.putFlow(makeFlow('a'), at(2));
        await store.putFlow(makeFlow('b'), at(3));
        await store.putFlow(makeFlow('c', { active: false }), at(4));
        const list = await store.listFlows();
        const byId = Object.fromEntries(list.map((f) => [f.id, f]));
        expect(list).toHaveLength(3);
        expect(byId.a.version).toBe(2);
        expect(byId.b.version).toBe(1);
        expect(byId.c.active).toBe(false);
      });

      it('listFlowVersions gives every version, ascending', async () => {
        for (let i = 1; i <= 4; i++) await store.putFlow(makeFlow('a', { name: `n${i}` }), at(i));
        const versions = await store.listFlowVersions('a');
        expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
        expect(versions.map((v) => v.doc.name)).toEqual(['n1', 'n2', 'n3', 'n4']);
        expect(await store.listFlowVersions('nope')).toEqual([]);
      });

      it('setFlowActive switches the latest version off and on, keeping history', async () => {
        await store.putFlow(makeFlow('a'), at(1));
        await store.putFlow(makeFlow('a'), at(2));
        await store.setFlowActive('a', false);
        expect((await store.getFlow('a'))?.active).toBe(false);
        expect((await store.listFlows()).find((f) => f.id === 'a')?.active).toBe(false);
        expect(await store.listFlowVersions('a')).toHaveLength(2);
        await store.setFlowActive('a', true);
        expect((await store.getFlow('a'))?.active).toBe(true);
        // a new deploy after deactivation is active again unless it says otherwise
        await store.setFlowActive('a', false);
        const v3 = await store.putFlow(makeFlow('a'), at(3));
        expect(v3.active).toBe(true);
      });

      it('setFlowActive with hold marks a paused flow held until it is switched again (issue 15)', async () => {
        await store.putFlow(makeFlow('h'), at(1));
        await store.setFlowActive('h', false, true);
        expect(await store.getFlow('h')).toMatchObject({ active: false, hold: true });
        expect((await store.listFlows()).find((f) => f.id === 'h')?.hold).toBe(true);
        if (durable) {
          store = await h.reopen();
          expect(await store.getFlow('h')).toMatchObject({ active: false, hold: true });
        }
        await store.setFlowActive('h', true);
        expect((await store.getFlow('h'))?.hold).toBeUndefined();
        await store.setFlowActive('h', true, true); // hold means nothing while active
        expect((await store.getFlow('h'))?.hold).toBeUndefined();
        await store.setFlowActive('h', false, true);
        await store.setFlowActive('h', false);
        expect(await store.getFlow('h')).toMatchObject({ active: false });
        expect((await store.getFlow('h'))?.hold).toBeUndefined();
      });

      it('concurrent putFlow calls for one id get distinct consecutive versions', async () => {
        const res = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putFlow(makeFlow('a', { name: `c${i}` }), at(i))));
        expect(res.map((r) => r.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });

      it('stored flows are copies', async () => {
        const doc = makeFlow('a', { name: 'original' });
        const stored = await store.putFlow(doc, at(1));
        doc.name = 'mutated input';
        stored.doc.name = 'mutated output';
        expect((await store.getFlow('a'))?.doc.name).toBe('original');
      });
    });

    // ───────────────────────────── runs ─────────────────────────────
    describe('runs', () => {
      it('createRun without a claim creates the run; getRun round-trips it', async () => {
        const run = makeRun(1, { idempotencyKey: 'k', record: { entity: 'account', key: 'a@x.io' } });
        const res = await store.createRun(run);
        expect(res.duplicate).toBe(false);
        expect(res.run.id).toBe(run.id);
        expect(await store.getRun(run.id)).toEqual(run);
        expect(await store.getRun('missing')).toBeUndefined();
        expect(await store.countRuns()).toBe(1);
      });

      it('runs without a claim never dedupe, even with the same idempotency key', async () => {
        const a = await store.createRun(makeRun(1, { idempotencyKey: 'same' }));
        const b = await store.createRun(makeRun(2, { idempotencyKey: 'same' }));
        expect(a.duplicate).toBe(false);
        expect(b.duplicate).toBe(false);
        expect(await store.countRuns()).toBe(2);
      });

      it('a duplicate claim within the window returns the first run and writes nothing', async () => {
        const first = makeRun(1, { idempotencyKey: 'k1' });
        const r1 = await store.createRun(first, claim('f1', 'k1', 1));
        expect(r1).toEqual({ run: first, duplicate: false });
        // the first run moves on; the duplicate sees its current stored state
        const moved = { ...first, status: 'succeeded' as const, cursor: null, endedAt: at(2), updatedAt: at(2) };
        await store.saveRun(moved);
        const second = makeRun(3, { idempotencyKey: 'k1' });
        const r2 = await store.createRun(second, claim('f1', 'k1', 3));
        expect(r2.duplicate).toBe(true);
        expect(r2.run).toEqual(moved);
        expect(await store.getRun(second.id)).toBeUndefined();
        expect(await store.countRuns()).toBe(1);
        expect(ids(await store.listRuns({}))).toEqual([first.id]);
      });

      it('claims are per (flowId, key)', async () => {
        const a = await store.createRun(makeRun(1, { flowId: 'f1', idempotencyKey: 'k' }), claim('f1', 'k', 1));
        const b = await store.createRun(makeRun(2, { flowId: 'f2', idempotencyKey: 'k' }), claim('f2', 'k', 2));
        const c = await store.createRun(makeRun(3, { flowId: 'f1', idempotencyKey: 'other' }), claim('f1', 'other', 3));
        expect([a.duplicate, b.duplicate, c.duplicate]).toEqual([false, false, false]);
        expect(await store.countRuns()).toBe(3);
      });

      it('an expired claim starts a new run, which then holds the key', async () => {
        const first = makeRun(1, { idempotencyKey: 'k' });
        await store.createRun(first, claim('f1', 'k', 1, 60)); // expires at 61
        const second = makeRun(100, { idempotencyKey: 'k' });
        const r2 = await store.createRun(second, claim('f1', 'k', 100, 60)); // expires at 160
        expect(r2.duplicate).toBe(false);
        expect(r2.run.id).toBe(second.id);
        const third = makeRun(120, { idempotencyKey: 'k' });
        const r3 = await store.createRun(third, claim('f1', 'k', 120, 60));
        expect(r3.duplicate).toBe(true);
        expect(r3.run.id).toBe(second.id);
        expect(await store.countRuns()).toBe(2);
      });

      it('50 concurrent createRun calls with one key give exactly one run', async () => {
        const runs = Array.from({ length: 50 }, () => makeRun(10, { idempotencyKey: 'burst' }));
        const res = await Promise.all(runs.map((r) => store.createRun(r, claim('f1', 'burst', 10))));
        const winners = res.filter((r) => !r.duplicate);
        expect(winners).toHaveLength(1);
        const winnerId = winners[0].run.id;
        for (const r of res) expect(r.run.id).toBe(winnerId);
        expect(await store.countRuns()).toBe(1);
        expect(await store.getRun(winnerId)).toEqual(winners[0].run);
      });

      it('concurrent createRun calls with distinct keys all create runs', async () => {
        const runs = Array.from({ length: 100 }, (_, i) => makeRun(i + 1, { idempotencyKey: `k${i}` }));
        const res = await Promise.all(runs.map((r, i) => store.createRun(r, claim('f1', `k${i}`, i + 1))));
        expect(res.every((r) => !r.duplicate)).toBe(true);
        expect(await store.countRuns()).toBe(100);
        for (const r of runs.slice(0, 5)) expect(await store.getRun(r.id)).toEqual(r);
      });

      it('saveRun stores the latest snapshot; getRun round-trips it', async () => {
        const run = makeRun(1);
        await store.createRun(run);
        const step1 = {
          ...run,
          vars: { fit: 80 },
          cursor: 'welcome',
          steps: [{ nodeId: 'score', status: 'succeeded' as const, attempts: [], input: { a: 1 }, output: { fit: 80 }, startedAt: at(1), endedAt: at(1) }],
          updatedAt: at(2),
        };
        await store.saveRun(step1);
        expect(await store.getRun(run.id)).toEqual(step1);
        const done = finish(step1, 'succeeded', 3);
        await store.saveRun(done);
        expect(await store.getRun(run.id)).toEqual(done);
        expect(await store.countRuns()).toBe(1);
      });

      it('saveRunFrom writes only while the stored status is the one given: of concurrent callers one wins', async () => {
        const run = makeRun(1, { status: 'held' });
        await store.createRun(run);
        const queued: Run = { ...run, status: 'queued', updatedAt: at(2) };
        expect(await store.saveRunFrom(queued, 'running')).toBe(false);
        expect(await store.getRun(run.id)).toEqual(run);
        const results = await Promise.all([0, 1, 2, 3, 4].map((i) => store.saveRunFrom({ ...queued, vars: { by: i } }, 'held')));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.getRun(run.id)).toEqual({ ...queued, vars: { by: results.indexOf(true) } });
        expect(await store.saveRunFrom(finish(queued, 'cancelled', 3), 'held')).toBe(false);
        const never = makeRun(2, { status: 'queued' });
        expect(await store.saveRunFrom(never, 'held')).toBe(false);
        expect(await store.getRun(never.id)).toBeUndefined();
        expect(await store.countRuns()).toBe(1);
      });

      it('runs are copies: mutations after saving or reading do not reach the store', async () => {
        const run = makeRun(1);
        await store.createRun(run);
        run.status = 'dead';
        (run.vars as Record<string, unknown>).x = 1;
        const got = await store.getRun(run.id);
        expect(got?.status).toBe('running');
        expect(got?.vars).toEqual({});
        got!.status = 'failed';
        expect((await store.getRun(run.id))?.status).toBe('running');
      });

      it('listRuns: newest first, with limit and the before cursor', async () => {
        const runs = await createRuns(7);
        const newestFirst = ids([...runs].reverse());
        expect(ids(await store.listRuns({}))).toEqual(newestFirst);
        expect(ids(await store.listRuns({ limit: 3 }))).toEqual(newestFirst.slice(0, 3));
        expect(ids(await store.listRuns({ limit: 3, before: newestFirst[2] }))).toEqual(newestFirst.slice(3, 6));
        expect(ids(await store.listRuns({ limit: 3, before: newestFirst[5] }))).toEqual(newestFirst.slice(6));
        expect(ids(await store.listRuns({ before: newestFirst[6] }))).toEqual([]);
        // listRuns gives whole runs
        expect((await store.listRuns({ limit: 1 }))[0]).toEqual(runs[6]);
      });

      it('listRuns filters by creation time: from (inclusive) and to (exclusive), with the cursor', async () => {
        const runs = await createRuns(6);
        const [, r2, r3, r4, r5] = runs;
        expect(ids(await store.listRuns({ from: r2!.createdAt, to: r5!.createdAt }))).toEqual([r4!.id, r3!.id, r2!.id]);
        expect(ids(await store.listRuns({ from: r5!.createdAt }))).toEqual(ids([runs[5]!, r5!]));
        expect(ids(await store.listRuns({ to: r3!.createdAt }))).toEqual(ids([r2!, runs[0]!]));
        expect(ids(await store.listRuns({ from: r2!.createdAt, to: r5!.createdAt, limit: 2 }))).toEqual([r4!.id, r3!.id]);
        expect(ids(await store.listRuns({ from: r2!.createdAt, to: r5!.createdAt, before: r4!.id }))).toEqual([r3!.id, r2!.id]);
        expect(await store.listRuns({ from: r5!.createdAt, to: r2!.createdAt })).toEqual([]);
      });

      it('listRuns filters by end time: endedFrom (inclusive) matches finished runs only, with the cursor', async () => {
        const runs = await createRuns(5);
        const [r1, r2, r3, r4] = runs;
        // ended out of creation order: r3 first, then r1, r4, r2; the fifth stays open
        await store.saveRun(finish(r3!, 'succeeded', 10));
        await store.saveRun(finish(r1!, 'dead', 11));
        await store.saveRun(finish(r4!, 'failed', 12));
        await store.saveRun(finish(r2!, 'cancelled', 13));
        expect(ids(await store.listRuns({ endedFrom: at(11) }))).toEqual([r4!.id, r2!.id, r1!.id]);
        expect(ids(await store.listRuns({ endedFrom: at(13) }))).toEqual([r2!.id]);
        expect(ids(await store.listRuns({ endedFrom: at(10) }))).toEqual(ids([r4!, r3!, r2!, r1!]));
        expect(await store.listRuns({ endedFrom: at(14) })).toEqual([]);
        expect(ids(await store.listRuns({ endedFrom: at(11), before: r4!.id, limit: 1 }))).toEqual([r2!.id]);
        expect(ids(await store.listRuns({ endedFrom: at(11), status: 'dead' }))).toEqual([r1!.id]);
      });

      it('listRuns default limit is 50', async () => {
        await Promise.all(Array.from({ length: 60 }, (_, i) => store.createRun(makeRun(i + 1))));
        const page = await store.listRuns({});
        expect(page).toHaveLength(50);
        expect(page[0].createdAt).toBe(at(60));
      });

      it('listRuns filters by flowId, status, key and record, with the cursor', async () => {
        const a = makeRun(1, { flowId: 'fa', idempotencyKey: 'x', record: { entity: 'account', key: 'ada@x.io' } });
        const b = makeRun(2, { flowId: 'fb', idempotencyKey: 'y', record: { entity: 'invoice', key: 'INV-1' } });
        const c = makeRun(3, { flowId: 'fa', idempotencyKey: 'y', record: { entity: 'account', key: 'bob@x.io' } });
        const d = makeRun(4, { flowId: 'fa', idempotencyKey: 'x', record: { entity: 'invoice', key: 'ada@x.io' } });
        for (const r of [a, b, c, d]) await store.createRun(r);
        await store.saveRun(finish(c, 'succeeded', 5));
        await store.saveRun(finish(a, 'dead', 6));

        expect(ids(await store.listRuns({ flowId: 'fa' }))).toEqual([d.id, c.id, a.id]);
        expect(ids(await store.listRuns({ flowId: 'fb' }))).toEqual([b.id]);
        expect(ids(await store.listRuns({ status: 'running' }))).toEqual([d.id, b.id]);
        expect(ids(await store.listRuns({ status: 'dead' }))).toEqual([a.id]);
        expect(ids(await store.listRuns({ key: 'x' }))).toEqual([d.id, a.id]);
        expect(ids(await store.listRuns({ key: 'y', flowId: 'fa' }))).toEqual([c.id]);
        expect(ids(await store.listRuns({ record: 'account:ada@x.io' }))).toEqual([a.id]);
        expect(ids(await store.listRuns({ record: 'ada@x.io' }))).toEqual([d.id, a.id]);
        expect(ids(await store.listRuns({ record: 'invoice:INV-1' }))).toEqual([b.id]);
        expect(ids(await store.listRuns({ flowId: 'fa', limit: 1 }))).toEqual([d.id]);
        expect(ids(await store.listRuns({ flowId: 'fa', before: d.id }))).toEqual([c.id, a.id]);
        expect(ids(await store.listRuns({ flowId: 'fa', before: c.id, limit: 5 }))).toEqual([a.id]);
        expect(await store.listRuns({ flowId: 'nope' })).toEqual([]);
        expect((await store.listRuns({ status: 'dead' }))[0]).toEqual(finish(a, 'dead', 6));
      });

      it('listOpenRuns gives every non-terminal run, oldest first', async () => {
        const statuses: RunStatus[] = ['queued', 'running', 'waiting', 'needs_review', 'held', 'succeeded', 'dead', 'failed', 'cancelled'];
        const runs = statuses.map((s, i) => makeRun(i + 1));
        for (const r of runs) await store.createRun(r);
        for (let i = 0; i < runs.length; i++) {
          const s = statuses[i];
          const next = ['succeeded', 'dead', 'failed', 'cancelled'].includes(s) ? finish(runs[i], s, 20 + i) : { ...runs[i], status: s };
          await store.saveRun(next);
        }
        const open = await store.listOpenRuns();
        expect(ids(open)).toEqual(ids(runs.slice(0, 5)));
        expect(open.map((r) => r.status)).toEqual(['queued', 'running', 'waiting', 'needs_review', 'held']);
        expect(ids(await store.listRuns({ status: 'held' }))).toEqual([runs[4].id]);
      });

      it('claimResumableRuns gives the queued, running and waiting runs, oldest first; a sweep (includeOwn: false) none of its own', async () => {
        const statuses: RunStatus[] = ['waiting', 'needs_review', 'queued', 'succeeded', 'running', 'cancelled'];
        const runs = statuses.map((s, i) => makeRun(i + 1));
        for (const r of runs) await store.createRun(r);
        for (let i = 0; i < runs.length; i++) {
          const s = statuses[i];
          await store.saveRun(['succeeded', 'cancelled'].includes(s) ? finish(runs[i], s, 20 + i) : { ...runs[i], status: s });
        }
        const mine = await store.claimResumableRuns();
        expect(ids(mine)).toEqual([runs[0].id, runs[2].id, runs[4].id]);
        expect(mine.map((r) => r.status)).toEqual(['waiting', 'queued', 'running']);
        expect(ids(await store.claimResumableRuns({ limit: 2 }))).toEqual([runs[0].id, runs[2].id]);
        expect(await store.claimResumableRuns({ includeOwn: false })).toEqual([]);
        if (!durable) return;
        // a restart resumes them all
        const again = await h.reopen();
        expect(ids(await again.claimResumableRuns())).toEqual([runs[0].id, runs[2].id, runs[4].id]);
      });

      it('claimResumableRuns in pages: at most limit, strictly after the cursor, parked and finished runs skipped', async () => {
        const statuses: RunStatus[] = ['queued', 'needs_review', 'waiting', 'succeeded', 'running', 'queued', 'needs_review', 'queued'];
        const runs = statuses.map((st, i) => makeRun(i + 1, st === 'succeeded' ? { status: st, endedAt: at(20) } : { status: st }));
        for (const r of [...runs].reverse()) await store.createRun(r);
        const resumable = runs.filter((r) => ['queued', 'running', 'waiting'].includes(r.status));
        const first = await store.claimResumableRuns({ limit: 2 });
        expect(ids(first)).toEqual(ids(resumable.slice(0, 2)));
        const second = await store.claimResumableRuns({ limit: 2, after: first[1].id });
        expect(ids(second)).toEqual(ids(resumable.slice(2, 4)));
        const rest = await store.claimResumableRuns({ limit: 2, after: second[1].id });
        expect(ids(rest)).toEqual(ids(resumable.slice(4)));
        expect(await store.claimResumableRuns({ limit: 2, after: rest[rest.length - 1].id })).toEqual([]);
      });

      it('listOpenRuns in pages: oldest first, at most limit, strictly after the cursor', async () => {
        const runs = [];
        for (let i = 1; i <= 7; i++) runs.push(makeRun(i, { status: i % 3 === 0 ? 'succeeded' : 'queued' }));
        for (const r of [...runs].reverse()) await store.createRun(r);
        const open = runs.filter((r) => r.status !== 'succeeded');
        const first = await store.listOpenRuns({ limit: 2 });
        expect(ids(first)).toEqual(ids(open.slice(0, 2)));
        const second = await store.listOpenRuns({ limit: 2, after: first[1].id });
        expect(ids(second)).toEqual(ids(open.slice(2, 4)));
        const rest = await store.listOpenRuns({ limit: 10, after: second[1].id });
        expect(ids(rest)).toEqual(ids(open.slice(4)));
        expect(await store.listOpenRuns({ limit: 10, after: rest[rest.length - 1].id })).toEqual([]);
      });

      it('listOpenRunsOfRecord gives the open runs of that record only, oldest first', async () => {
        const a1 = makeRun(1, { status: 'waiting', record: { entity: 'invoice', key: 'INV-1' } });
        const a2 = makeRun(2, { status: 'needs_review', record: { entity: 'invoice', key: 'INV-1' } });
        const done = makeRun(3, { status: 'succeeded', endedAt: at(3), record: { entity: 'invoice', key: 'INV-1' } });
        const otherKey = makeRun(4, { status: 'waiting', record: { entity: 'invoice', key: 'INV-2' } });
        const otherEntity = makeRun(5, { status: 'waiting', record: { entity: 'account', key: 'INV-1' } });
        for (const r of [a2, done, otherKey, a1, otherEntity]) await store.createRun(r);
        expect(ids(await store.listOpenRunsOfRecord('invoice', 'INV-1'))).toEqual([a1.id, a2.id]);
        await store.saveRun(finish(a1, 'cancelled', 10));
        expect(ids(await store.listOpenRunsOfRecord('invoice', 'INV-1'))).toEqual([a2.id]);
        expect(await store.listOpenRunsOfRecord('invoice', 'INV-9')).toEqual([]);
        if (!durable) return;
        store = await h.reopen();
        expect(ids(await store.listOpenRunsOfRecord('invoice', 'INV-1'))).toEqual([a2.id]);
      });

      it('an idempotency key of any length claims and dedupes (keys are kept as hashes), across reopen', async () => {
        const long = `k${'€'.repeat(50_000)}`;
        const first = makeRun(1, { idempotencyKey: long });
        expect((await store.createRun(first, claim('f1', long, 1))).duplicate).toBe(false);
        expect((await store.createRun(makeRun(2), claim('f1', `${long}x`, 2))).duplicate).toBe(false);
        if (durable) store = await h.reopen();
        const dup = await store.createRun(makeRun(3), claim('f1', long, 3));
        expect(dup.duplicate).toBe(true);
        expect(dup.run.id).toBe(first.id);
        expect(dup.run.idempotencyKey).toBe(long);
        expect(ids(await store.listRuns({ key: long }))).toEqual([first.id]);
      });

      it('a working store reports itself healthy', async () => {
        await store.createRun(makeRun(1));
        expect(store.health()).toEqual({ ok: true });
      });

      it('pruneRuns removes finished runs that ended before the cutoff, never open ones', async () => {
        const old1 = makeRun(1);
        const old2 = makeRun(2);
        const recent = makeRun(3);
        const openOld = makeRun(4);
        for (const r of [old1, old2, recent, openOld]) await store.createRun(r);
        await store.saveRun(finish(old1, 'succeeded', 10));
        await store.saveRun(finish(old2, 'dead', 20));
        await store.saveRun(finish(recent, 'succeeded', 100));
        await store.saveRun({ ...openOld, status: 'waiting', wakeAt: at(1000) });
        expect(await store.countRuns()).toBe(4);

        expect(await store.pruneRuns(at(50))).toBe(2);
        expect(await store.countRuns()).toBe(2);
        expect(await store.getRun(old1.id)).toBeUndefined();
        expect(await store.getRun(old2.id)).toBeUndefined();
        expect((await store.getRun(recent.id))?.status).toBe('succeeded');
        expect((await store.getRun(openOld.id))?.status).toBe('waiting');
        expect(ids(await store.listRuns({}))).toEqual([openOld.id, recent.id]);
        expect(await store.pruneRuns(at(50))).toBe(0);

        if (!durable) return;
        const s2 = await h.reopen();
        expect(await s2.countRuns()).toBe(2);
        expect(await s2.getRun(old1.id)).toBeUndefined();
        expect(ids(await s2.listRuns({}))).toEqual([openOld.id, recent.id]);
      });

      it('countRuns counts every stored run', async () => {
        expect(await store.countRuns()).toBe(0);
        await Promise.all(Array.from({ length: 25 }, (_, i) => store.createRun(makeRun(i + 1))));
        expect(await store.countRuns()).toBe(25);
      });

      it('interleaved saveRun calls on many runs keep each run its own latest snapshot', async () => {
        const runs = Array.from({ length: 40 }, (_, i) => makeRun(i + 1));
        await Promise.all(runs.map((r) => store.createRun(r)));
        for (let step = 1; step <= 3; step++) {
          await Promise.all(runs.map((r) => store.saveRun({ ...r, vars: { step }, updatedAt: at(100 + step) })));
        }
        for (const r of runs) expect((await store.getRun(r.id))?.vars).toEqual({ step: 3 });
      });
    });

    // ───────────────────────────── rejected events ─────────────────────────────
    describe('rejected events', () => {
      const rej = (n: number, over: Partial<RejectedEvent> = {}): RejectedEvent => ({
        id: `rej-${tag}-${pad(n)}`,
        at: at(n),
        flowId: 'f1',
        path: 'lead',
        status: 422,
        reason: 'payload schema',
        errors: [{ path: '/email', message: 'must be string' }],
        ...over,
      });

      it('addRejected / listRejected: newest first, filters, limit, since', async () => {
        const events = [rej(1), rej(2, { flowId: 'f2', status: 401, reason: 'signature', errors: undefined }), rej(3), rej(4)];
        for (const e of events) await store.addRejected(e);
        const all = await store.listRejected({});
        expect(all.map((e) => e.id)).toEqual([events[3].id, events[2].id, events[1].id, events[0].id]);
        expect(all[3]).toEqual(events[0]);
        expect((await store.listRejected({ flowId: 'f2' })).map((e) => e.id)).toEqual([events[1].id]);
        expect((await store.listRejected({ limit: 2 })).map((e) => e.id)).toEqual([events[3].id, events[2].id]);
        expect((await store.listRejected({ since: at(2) })).map((e) => e.id)).toEqual([events[3].id, events[2].id, events[1].id]);
        expect((await store.listRejected({ since: at(2), flowId: 'f1' })).map((e) => e.id)).toEqual([events[3].id, events[2].id]);
      });

      it('concurrent addRejected calls all land', async () => {
        await Promise.all(Array.from({ length: 60 }, (_, i) => store.addRejected(rej(i + 1))));
        expect(await store.listRejected({ limit: 1000 })).toHaveLength(60);
      });
    });

    // ───────────────────────────── records ─────────────────────────────
    describe('records', () => {
      it('the first transition creates the record; later ones append history', async () => {
        expect(await store.getRecord('account', 'ada')).toBeUndefined();
        const r1 = await store.transitionRecord({ entity: 'account', key: 'ada', to: 'captured', at: at(1), cause: { runId: 'r1', nodeId: 'n' }, data: { a: 1 } });
        expect(r1.state).toBe('captured');
        expect(r1.createdAt).toBe(at(1));
        expect(r1.history).toHaveLength(1);
        expect(r1.history[0]).toMatchObject({ from: null, to: 'captured', at: at(1), cause: { runId: 'r1', nodeId: 'n' } });
        const r2 = await store.transitionRecord({ entity: 'account', key: 'ada', to: 'qualified', at: at(2), cause: { manual: true }, expectFrom: 'captured', data: { b: 2 } });
        expect(r2.state).toBe('qualified');
        expect(r2.updatedAt).toBe(at(2));
        expect(r2.createdAt).toBe(at(1));
        expect(r2.data).toEqual({ a: 1, b: 2 });
        expect(r2.history.map((t) => [t.from, t.to])).toEqual([
          [null, 'captured'],
          ['captured', 'qualified'],
        ]);
        expect(new Set(r2.history.map((t) => t.id)).size).toBe(2);
        expect(await store.getRecord('account', 'ada')).toEqual(r2);
      });

      it('a wrong expectFrom throws StoreConflictError naming the current state and writes nothing', async () => {
        await store.transitionRecord({ entity: 'account', key: 'k', to: 'captured', at: at(1), cause: {} });
        const err = await store
          .transitionRecord({ entity: 'account', key: 'k', to: 'won', at: at(2), cause: {}, expectFrom: 'qualified' })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConflictError);
        expect((err as StoreConflictError).current).toBe('captured');
        const errNull = await store
          .transitionRecord({ entity: 'account', key: 'k', to: 'won', at: at(2), cause: {}, expectFrom: null })
          .catch((e: unknown) => e);
        expect(errNull).toBeInstanceOf(StoreConflictError);
        const errAbsent = await store
          .transitionRecord({ entity: 'account', key: 'absent', to: 'won', at: at(2), cause: {}, expectFrom: 'captured' })
          .catch((e: unknown) => e);
        expect(errAbsent).toBeInstanceOf(StoreConflictError);
        expect((errAbsent as StoreConflictError).current).toBeNull();
        expect(await store.getRecord('account', 'absent')).toBeUndefined();
        const rec = await store.getRecord('account', 'k');
        expect(rec?.state).toBe('captured');
        expect(rec?.history).toHaveLength(1);
        // expectFrom null on an absent record succeeds
        const created = await store.transitionRecord({ entity: 'invoice', key: 'i1', to: 'issued', at: at(3), cause: {}, expectFrom: null });
        expect(created.state).toBe('issued');
      });

      it('concurrent transitions with the same expectFrom: exactly one wins', async () => {
        await store.transitionRecord({ entity: 'account', key: 'race', to: 'captured', at: at(1), cause: {} });
        const res = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            store.transitionRecord({ entity: 'account', key: 'race', to: `s${i}`, at: at(2), cause: {}, expectFrom: 'captured' }),
          ),
        );
        const ok = res.filter((r) => r.status === 'fulfilled');
        expect(ok).toHaveLength(1);
        for (const r of res) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StoreConflictError);
        expect((await store.getRecord('account', 'race'))?.history).toHaveLength(2);
      });

      it('concurrent unchecked transitions all land in history', async () => {
        await Promise.all(Array.from({ length: 30 }, (_, i) => store.transitionRecord({ entity: 'account', key: 'many', to: `s${i}`, at: at(i), cause: {} })));
        const rec = await store.getRecord('account', 'many');
        expect(rec?.history).toHaveLength(30);
        // each transition's from is the previous one's to
        for (let i = 1; i < rec!.history.length; i++) expect(rec!.history[i].from).toBe(rec!.history[i - 1].to);
      });

      it('listRecords filters by entity and state', async () => {
        await store.transitionRecord({ entity: 'account', key: 'a', to: 'captured', at: at(1), cause: {} });
        await store.transitionRecord({ entity: 'account', key: 'b', to: 'qualified', at: at(2), cause: {} });
        await store.transitionRecord({ entity: 'invoice', key: 'a', to: 'issued', at: at(3), cause: {} });
        const keys = (rs: { entity: string; key: string }[]) => rs.map((r) => `${r.entity}:${r.key}`).sort();
        expect(keys(await store.listRecords({}))).toEqual(['account:a', 'account:b', 'invoice:a']);
        expect(keys(await store.listRecords({ entity: 'account' }))).toEqual(['account:a', 'account:b']);
        expect(keys(await store.listRecords({ entity: 'account', state: 'qualified' }))).toEqual(['account:b']);
        expect(keys(await store.listRecords({ state: 'issued' }))).toEqual(['invoice:a']);
        expect(await store.listRecords({ entity: 'nope' })).toEqual([]);
      });

      it('countRecords counts the records of each entity per state, through moves and reopen', async () => {
        expect(await store.countRecords()).toEqual([]);
        for (const k of ['a', 'b', 'c']) await store.transitionRecord({ entity: 'account', key: k, to: 'captured', at: at(1), cause: {} });
        await store.transitionRecord({ entity: 'invoice', key: 'a', to: 'issued', at: at(2), cause: {} });
        await store.transitionRecord({ entity: 'account', key: 'b', to: 'won', at: at(3), cause: {} });
        await store.transitionRecord({ entity: 'account', key: 'c', to: 'won', at: at(4), cause: {} });
        await store.transitionRecord({ entity: 'account', key: 'c', to: 'lost', at: at(5), cause: {} });
        const expected = [
          { entity: 'account', state: 'captured', count: 1 },
          { entity: 'account', state: 'lost', count: 1 },
          { entity: 'account', state: 'won', count: 1 },
          { entity: 'invoice', state: 'issued', count: 1 },
        ];
        expect(await store.countRecords()).toEqual(expected);
        if (durable) store = await h.reopen();
        expect(await store.countRecords()).toEqual(expected);
      });

      it('records are copies', async () => {
        const r = await store.transitionRecord({ entity: 'account', key: 'c', to: 'captured', at: at(1), cause: {}, data: { x: 1 } });
        r.state = 'mutated';
        r.data.x = 2;
        r.history.push({ id: 'fake', from: null, to: 'x', at: at(1), cause: {} });
        const got = await store.getRecord('account', 'c');
        expect(got?.state).toBe('captured');
        expect(got?.data).toEqual({ x: 1 });
        expect(got?.history).toHaveLength(1);
      });
    });

    // ───────────────────────────── timers ─────────────────────────────
    describe('timers', () => {
      const timer = (id: string, dueS: number, over: Partial<Timer> = {}): Timer => ({ id, kind: 'run', dueAt: at(dueS), runId: `r-${id}`, ...over });

      it('putTimer upserts; getTimer, listTimers, deleteTimer', async () => {
        await store.putTimer(timer('t1', 10, { data: { attempt: 2 } }));
        await store.putTimer(timer('t2', 20, { kind: 'schedule', flowId: 'f1', runId: undefined }));
        expect(await store.getTimer('t1')).toEqual(timer('t1', 10, { data: { attempt: 2 } }));
        await store.putTimer(timer('t1', 15));
        expect((await store.getTimer('t1'))?.dueAt).toBe(at(15));
        expect((await store.listTimers()).map((t) => t.id).sort()).toEqual(['t1', 't2']);
        await store.deleteTimer('t1');
        await store.deleteTimer('never-existed');
        expect(await store.getTimer('t1')).toBeUndefined();
        expect((await store.listTimers()).map((t) => t.id)).toEqual(['t2']);
      });

      it('claimDueTimers gives due timers earliest first, up to the limit, once; not-yet-due stay', async () => {
        await store.putTimer(timer('late', 100));
        await store.putTimer(timer('b', 20));
        await store.putTimer(timer('a', 10));
        await store.putTimer(timer('c', 30));
        await store.putTimer(timer('exact', 50));
        const first = await store.claimDueTimers(at(50), 2);
        expect(first.map((t) => t.id)).toEqual(['a', 'b']);
        expect(first[0]).toEqual(timer('a', 10));
        const second = await store.claimDueTimers(at(50), 10);
        expect(second.map((t) => t.id)).toEqual(['c', 'exact']);
        expect(await store.claimDueTimers(at(50), 10)).toEqual([]);
        expect((await store.listTimers()).map((t) => t.id)).toEqual(['late']);
        expect(await store.getTimer('a')).toBeUndefined();
        expect((await store.claimDueTimers(at(100), 10)).map((t) => t.id)).toEqual(['late']);
      });

      it('countTimers counts set timers (claimed and deleted ones gone), also after reopen', async () => {
        expect(await store.countTimers()).toBe(0);
        for (let i = 0; i < 5; i++) await store.putTimer(timer(`t${i}`, i * 10));
        await store.putTimer(timer('t0', 5)); // an upsert, not a new timer
        expect(await store.countTimers()).toBe(5);
        await store.deleteTimer('t4');
        expect((await store.claimDueTimers(at(15), 10)).map((t) => t.id)).toEqual(['t0', 't1']);
        expect(await store.countTimers()).toBe(2);
        if (durable) store = await h.reopen();
        expect(await store.countTimers()).toBe(2);
      });

      it('concurrent claimers each get a due timer at most once, and all due timers are given', async () => {
        const n = 60;
        await Promise.all(Array.from({ length: n }, (_, i) => store.putTimer(timer(`t${i}`, i))));
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.putTimer(timer(`future${i}`, 10_000 + i))));
        const claims = await Promise.all(Array.from({ length: 12 }, () => store.claimDueTimers(at(5000), 7)));
        const got = claims.flat().map((t) => t.id);
        expect(got).toHaveLength(new Set(got).size);
        // 12 claimers × 7 ≥ 60: every due timer is given exactly once
        expect(got.sort()).toEqual(Array.from({ length: n }, (_, i) => `t${i}`).sort());
        expect((await store.listTimers()).map((t) => t.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `future${i}`).sort());
      });
    });

    // ───────────────────────────── doc collections ─────────────────────────────
    describe('doc collections', () => {
      const collections = ['deadLetters', 'reviews', 'alerts', 'tasks', 'outbox', 'settings', 'kpiFacts', 'connections'] as const;

      it.each(collections)('%s: putDoc upserts, getDoc, listDocs, deleteDoc', async (c) => {
        const d1 = { id: 'd1', value: 1, nested: { list: ['a'] } } as never;
        const d2 = { id: 'd2', value: 2 } as never;
        await store.putDoc(c, d1);
        await store.putDoc(c, d2);
        expect(await store.getDoc(c, 'd1')).toEqual(d1);
        expect(((await store.listDocs(c)) as { id: string }[]).map((d) => d.id).sort()).toEqual(['d1', 'd2']);
        await store.putDoc(c, { id: 'd1', value: 10 } as never);
        expect(await store.getDoc(c, 'd1')).toEqual({ id: 'd1', value: 10 });
        await store.deleteDoc(c, 'd1');
        await store.deleteDoc(c, 'never-existed');
        expect(await store.getDoc(c, 'd1')).toBeUndefined();
        expect(((await store.listDocs(c)) as { id: string }[]).map((d) => d.id)).toEqual(['d2']);
      });

      it.each(['reviews', 'deadLetters', 'tasks', 'alerts'] as const)('%s: countDocs counts the documents with a status, through updates, deletes and reopen', async (c) => {
        const put = (id: string, status?: string) => store.putDoc(c, { id, status, createdAt: at(1) } as never);
        for (let i = 0; i < 6; i++) await put(`o${i}`, 'open');
        await put('r1', 'resolved');
        await put('none');
        expect(await store.countDocs(c, 'open')).toBe(6);
        expect(await store.countDocs(c, 'resolved')).toBe(1);
        expect(await store.countDocs(c, 'cancelled')).toBe(0);
        await put('o0', 'resolved');
        await store.updateDoc(c, 'o1', (cur) => ({ ...(cur as object), status: 'cancelled' }) as never);
        await store.updateDoc(c, 'none', (cur) => ({ ...(cur as object), status: 'open' }) as never);
        await store.deleteDoc(c, 'o2');
        expect(await store.countDocs(c, 'open')).toBe(4);
        expect(await store.countDocs(c, 'resolved')).toBe(2);
        expect(await store.countDocs(c, 'cancelled')).toBe(1);
        if (durable) store = await h.reopen();
        expect(await store.countDocs(c, 'open')).toBe(4);
        expect(await store.countDocs(c, 'resolved')).toBe(2);
        expect(((await store.listDocs(c)) as { status?: string }[]).filter((d) => d.status === 'open')).toHaveLength(4);
      });

      it('collections are separate namespaces', async () => {
        await store.putDoc('tasks', { id: 'same', from: 'tasks' });
        await store.putDoc('outbox', { id: 'same', from: 'outbox' });
        expect(await store.getDoc('tasks', 'same')).toEqual({ id: 'same', from: 'tasks' });
        expect(await store.getDoc('outbox', 'same')).toEqual({ id: 'same', from: 'outbox' });
        expect(await store.listDocs('settings')).toEqual([]);
      });

      it('updateDoc: creates, updates, and writes nothing when the updater returns undefined', async () => {
        const created = await store.updateDoc('settings', 'counter', (cur) => {
          expect(cur).toBeUndefined();
          return { id: 'counter', n: 1 };
        });
        expect(created).toEqual({ id: 'counter', n: 1 });
        const next = await store.updateDoc('settings', 'counter', (cur) => ({ id: 'counter', n: (cur!.n as number) + 1 }));
        expect(next).toEqual({ id: 'counter', n: 2 });
        const none = await store.updateDoc('settings', 'counter', () => undefined);
        expect(none).toBeUndefined();
        expect(await store.getDoc('settings', 'counter')).toEqual({ id: 'counter', n: 2 });
        expect(await store.updateDoc('settings', 'absent', () => undefined)).toBeUndefined();
        expect(await store.getDoc('settings', 'absent')).toBeUndefined();
      });

      it('updateDoc hands the updater a copy', async () => {
        await store.putDoc('tasks', { id: 't', list: [1] });
        await store.updateDoc('tasks', 't', (cur) => {
          (cur!.list as number[]).push(2);
          return undefined;
        });
        expect(await store.getDoc('tasks', 't')).toEqual({ id: 't', list: [1] });
      });

      it.each(['settings', 'kpiFacts', 'connections'] as const)('%s: 100 concurrent updateDoc increments give 100', async (c) => {
        await Promise.all(
          Array.from({ length: 100 }, () =>
            store.updateDoc(c, 'ctr', (cur) => ({ id: 'ctr', n: ((cur?.n as number | undefined) ?? 0) + 1 })),
          ),
        );
        expect(await store.getDoc(c, 'ctr')).toEqual({ id: 'ctr', n: 100 });
      });

      it('dead letters and reviews keep their typed fields', async () => {
        const dl = {
          id: 'run-1', runId: 'run-1', flowId: 'f1', flowVersion: 2, nodeId: 'welcome', payload: { email: 'a@b.c' },
          attempts: [{ at: at(1), status: 503, errorClass: '5xx' as const, durationMs: 12 }], error: 'HTTP 503', sop: ['call them'],
          severity: 'P1' as const, status: 'open' as const, createdAt: at(1), updatedAt: at(1),
        };
        await store.putDoc('deadLetters', dl);
        expect(await store.getDoc('deadLetters', 'run-1')).toEqual(dl);
        const updated = await store.updateDoc('deadLetters', 'run-1', (cur) => (cur ? { ...cur, status: 'replaying', updatedAt: at(2) } : undefined));
        expect(updated?.status).toBe('replaying');
      });
    });

    describe('exclusive', () => {
      it('runs the tasks of one name one at a time, passes on their results and errors, and lets other names through', async () => {
        let inside = 0;
        let most = 0;
        const task = (n: number) => async () => {
          inside++;
          most = Math.max(most, inside);
          await store.getDoc('settings', 'x'); // a store call while holding it
          await new Promise((r) => setImmediate(r));
          inside--;
          if (n === 2) throw new Error('task 2');
          return n;
        };
        const out = await Promise.allSettled([1, 2, 3, 4].map((n) => store.exclusive('config', task(n))));
        expect(out.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([1, 'task 2', 3, 4]);
        expect(most).toBe(1);
        const held = await holdExclusive(store, 'config');
        expect(await store.exclusive('other', async () => 'beside')).toBe('beside');
        await held.release();
      });
    });

    // ───────────────────────────── durability ─────────────────────────────
    if (durable) describe('durability across reopen', () => {
      it('everything written is there after reopen', async () => {
        // flows
        await store.putFlow(makeFlow('a', { name: 'a1' }), at(1));
        await store.putFlow(makeFlow('a', { name: 'a2' }), at(2));
        await store.putFlow(makeFlow('b'), at(3));
        await store.setFlowActive('b', false);
        // runs: open, finished, several snapshots, a dedupe claim
        const open = makeRun(10, { idempotencyKey: 'k-open', record: { entity: 'account', key: 'ada' } });
        const fin = makeRun(11, { idempotencyKey: 'k-fin' });
        const plain = makeRun(12);
        await store.createRun(open, claim('f1', 'k-open', 10));
        await store.createRun(fin, claim('f1', 'k-fin', 11));
        await store.createRun(plain);
        const openWaiting = { ...open, status: 'waiting' as const, wakeAt: at(500), vars: { fit: 80 }, updatedAt: at(13) };
        await store.saveRun(openWaiting);
        const finDone = finish({ ...fin, vars: { x: 1 } }, 'succeeded', 14);
        await store.saveRun(finDone);
        const plainDead = finish(plain, 'dead', 15);
        await store.saveRun(plainDead);
        // rejected
        const rej: RejectedEvent = { id: `rej-${tag}-dur`, at: at(16), flowId: 'a', path: 'lead', status: 401, reason: 'bad signature' };
        await store.addRejected(rej);
        // records
        await store.transitionRecord({ entity: 'account', key: 'ada', to: 'captured', at: at(17), cause: { runId: open.id } });
        const rec = await store.transitionRecord({ entity: 'account', key: 'ada', to: 'qualified', at: at(18), cause: { manual: true }, data: { score: 9 } });
        // timers: one stays, one deleted, one claimed
        await store.putTimer({ id: 'stay', kind: 'run', dueAt: at(500), runId: open.id });
        await store.putTimer({ id: 'gone', kind: 'sla', dueAt: at(600) });
        await store.putTimer({ id: 'claimed', kind: 'schedule', dueAt: at(5), flowId: 'a' });
        await store.deleteTimer('gone');
        expect((await store.claimDueTimers(at(20), 10)).map((t) => t.id)).toEqual(['claimed']);
        // docs in every collection, one deleted, one updated
        const docs = {
          deadLetters: { id: 'dl', runId: plain.id, flowId: 'f1', flowVersion: 1, nodeId: 'done', payload: {}, attempts: [], error: 'x', sop: [], severity: 'P2' as const, status: 'open' as const, createdAt: at(15), updatedAt: at(15) },
          reviews: { id: 'rv', runId: open.id, flowId: 'f1', nodeId: 'manual', queue: 'leads', title: 'Review', decisions: ['approved', 'rejected'], sop: [], context: { a: 1 }, status: 'open' as const, createdAt: at(13) },
          alerts: { id: 'al', flowId: 'f1', kind: 'dead_letter', severity: 'P1' as const, message: 'm', at: at(15) },
          tasks: { id: 'tk', title: 't' },
          outbox: { id: 'ob', to: 'a@b.c' },
          settings: { id: 'st', n: 1 },
          kpiFacts: { id: 'kf', minutes: 5 },
        };
        for (const [c, d] of Object.entries(docs)) await store.putDoc(c as keyof typeof docs, d as never);
        await store.putDoc('tasks', { id: 'tk-deleted' });
        await store.deleteDoc('tasks', 'tk-deleted');
        await store.updateDoc('settings', 'st', (cur) => ({ id: 'st', n: (cur!.n as number) + 41 }));
        await store.updateDoc('kpiFacts', 'kf', (cur) => ({ ...cur!, minutes: 7 }));

        const s = await h.reopen();

        expect((await s.getFlow('a'))?.version).toBe(2);
        expect((await s.getFlow('a', 1))?.doc.name).toBe('a1');
        expect((await s.getFlow('b'))?.active).toBe(false);
        expect((await s.listFlows()).map((f) => f.id).sort()).toEqual(['a', 'b']);
        expect((await s.putFlow(makeFlow('a'), at(30))).version).toBe(3);

        expect(await s.countRuns()).toBe(3);
        expect(await s.getRun(open.id)).toEqual(openWaiting);
        expect(await s.getRun(fin.id)).toEqual(finDone);
        expect(await s.getRun(plain.id)).toEqual(plainDead);
        expect(ids(await s.listRuns({}))).toEqual([plain.id, fin.id, open.id]);
        expect(ids(await s.listRuns({ status: 'succeeded' }))).toEqual([fin.id]);
        expect(ids(await s.listRuns({ key: 'k-open' }))).toEqual([open.id]);
        expect(ids(await s.listRuns({ record: 'account:ada' }))).toEqual([open.id]);
        expect(ids(await s.listOpenRuns())).toEqual([open.id]);
        // dedupe claims survive
        const dup = await s.createRun(makeRun(19, { idempotencyKey: 'k-fin' }), claim('f1', 'k-fin', 19));
        expect(dup.duplicate).toBe(true);
        expect(dup.run).toEqual(finDone);
        expect(await s.countRuns()).toBe(3);

        expect(await s.listRejected({})).toEqual([rej]);

        expect(await s.getRecord('account', 'ada')).toEqual(rec);
        expect(await s.listRecords({ state: 'qualified' })).toEqual([rec]);

        expect(await s.listTimers()).toEqual([{ id: 'stay', kind: 'run', dueAt: at(500), runId: open.id }]);
        expect(await s.claimDueTimers(at(20), 10)).toEqual([]);

        for (const c of ['deadLetters', 'reviews', 'alerts', 'outbox'] as const) expect(await s.getDoc(c, docs[c].id)).toEqual(docs[c]);
        expect(await s.listDocs('tasks')).toEqual([docs.tasks]);
        expect(await s.getDoc('settings', 'st')).toEqual({ id: 'st', n: 42 });
        expect(await s.getDoc('kpiFacts', 'kf')).toEqual({ id: 'kf', minutes: 7 });
      });

      it('many runs written concurrently all survive reopen with their latest snapshot', async () => {
        const runs = Array.from({ length: 300 }, (_, i) => makeRun(i + 1, { idempotencyKey: `k${i}` }));
        await Promise.all(runs.map((r, i) => store.createRun(r, claim('f1', `k${i}`, i + 1))));
        await Promise.all(runs.map((r, i) => store.saveRun(i % 2 ? finish(r, 'succeeded', 1000 + i) : { ...r, status: 'waiting', updatedAt: at(1000 + i) })));
        const s = await h.reopen();
        expect(await s.countRuns()).toBe(300);
        expect(await s.listOpenRuns()).toHaveLength(150);
        for (const i of [0, 1, 150, 299]) {
          const got = await s.getRun(runs[i].id);
          expect(got?.status).toBe(i % 2 ? 'succeeded' : 'waiting');
        }
        expect(ids(await s.listRuns({ limit: 2 }))).toEqual([runs[299].id, runs[298].id]);
      });

      it('a store reopened twice in a row still has everything (indexes rebuilt from its own output)', async () => {
        const run = makeRun(1);
        await store.createRun(run);
        await store.putFlow(makeFlow('a'), at(1));
        let s = await h.reopen();
        const done = finish(run, 'succeeded', 2);
        await s.saveRun(done);
        s = await h.reopen();
        s = await h.reopen();
        expect(await s.getRun(run.id)).toEqual(done);
        expect((await s.getFlow('a'))?.version).toBe(1);
        expect(await s.countRuns()).toBe(1);
      });
    });
  });
}
