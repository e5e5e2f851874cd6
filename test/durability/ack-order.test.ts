// "A 202 means on disk", asserted directly on the file operations (the store's file layer is
// injected): with FLOWDESK_FSYNC=1 nothing is acknowledged before an fdatasync that covers its bytes
// has returned; with FLOWDESK_FSYNC=0 nothing before the write has. Not by close-then-reopen
// (close() waits for pending writes, so it cannot tell). And a power cut, simulated by a write-back
// layer that drops every byte no fdatasync covered, loses nothing that was acknowledged.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createLowdbStore, type LowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { makeRun, at } from '../../apps/runtime/src/store/store.contract.ts';
import { flowsDirWith, quietLog, tempDir } from '../support/runtime.ts';
import { startRuntime, ManualClock } from '../../apps/runtime/src/index.ts';
import { powerCutFiles, recordingFiles } from '../support/file-layers.ts';

const dirs: string[] = [];
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dir = () => {
  const d = tempDir('flowdesk-ack-');
  dirs.push(d);
  return d;
};

/** Where the line that created run `id` ends in the runs journal (the byte after its '\n'). */
function lineEnd(dataDir: string, id: string): number {
  const file = join(dataDir, 'journal', 'runs-000001.jsonl');
  const buf = readFileSync(file);
  const at = buf.indexOf(`{"h":{"id":"${id}"`);
  expect(at, `run ${id} is not in ${file}`).toBeGreaterThanOrEqual(0);
  return buf.indexOf(10, at) + 1;
}

describe('acknowledgement order on the file operations', () => {
  it('fsync on: every createRun resolves after an fdatasync covering its line has returned', async () => {
    const d = dir();
    const rec = recordingFiles();
    const s = createLowdbStore({ dataDir: d, fsync: true, files: rec.files, log: { warn: () => {} } });
    await s.open();
    open.push(s);
    const acks = new Map<string, number>();
    const runs = Array.from({ length: 200 }, (_, i) => makeRun(i + 1, { idempotencyKey: `k${i}` }));
    await s.createRun(makeRun(0)); // the new file's first write also makes its directory entry durable, once
    const from = rec.events.length;
    await Promise.all(runs.map((r) => s.createRun(r, { flowId: 'f1', key: `k${r.id}`, now: at(0), expiresAt: at(100) }).then(() => acks.set(r.id, rec.next()))));
    await new Promise((r) => setTimeout(r, 60)); // the checkpoint written after them
    const runsFile = join(d, 'journal', 'runs-000001.jsonl');
    const burst = rec.events.slice(from);
    const syncs = burst.filter((e) => e.kind === 'datasync' && e.phase === 'end' && e.file === runsFile);
    expect(syncs.length).toBeGreaterThan(0);
    expect(syncs.length).toBeLessThan(50); // group commit: far fewer fdatasyncs than runs
    // one fdatasync per batch, no second one: the checkpoint of what was acknowledged is written
    // without an fsync of its own, and nothing else is synced on the way
    expect(syncs.length).toBe(burst.filter((e) => e.kind === 'append' && e.phase === 'end' && e.file === runsFile).length);
    expect(burst.filter((e) => e.kind === 'datasync' && e.file !== runsFile)).toEqual([]);
    const checkpoints = burst.filter((e) => e.kind === 'rewriteSmall');
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(checkpoints.every((e) => e.sync === false)).toBe(true);
    expect(burst.filter((e) => e.kind === 'fsyncDir')).toEqual([]);
    for (const r of runs) {
      const durable = rec.durableAt(runsFile, lineEnd(d, r.id));
      expect(durable, `no fdatasync ever covered run ${r.id}`).toBeDefined();
      expect(durable!.seq, `run ${r.id} acknowledged before the fdatasync covering it returned`).toBeLessThan(acks.get(r.id)!);
    }
    // every fdatasync covers whole lines: the offsets it was called at are line ends
    const ends = new Set(runs.map((r) => lineEnd(d, r.id)));
    for (const e of syncs) expect(ends.has(e.covered!), `fdatasync at byte ${e.covered} is not at a line end`).toBe(true);
  });

  it('fsync on: while the fdatasync is held, the write is done and still nothing is acknowledged', { timeout: 10_000 }, async () => {
    const d = dir();
    const rec = recordingFiles();
    const s = createLowdbStore({ dataDir: d, fsync: true, files: rec.files, log: { warn: () => {} } });
    await s.open();
    open.push(s);
    const runsFile = join(d, 'journal', 'runs-000001.jsonl');
    const held = rec.holdDatasync(runsFile);
    open.unshift({ close: async () => held.release() }); // never leave it held
    const run = makeRun(1);
    let acknowledged = false;
    const created = s.createRun(run, { flowId: 'f1', key: 'k', now: at(0), expiresAt: at(100) }).then(() => (acknowledged = true));
    let saved = false;
    const other = makeRun(2);
    const doc = s.putDoc('outbox', { id: 'm1', to: 'a@b.c' }).then(() => (saved = true));
    await held.called; // the run's bytes were written; their fdatasync is in progress
    expect(rec.writtenAt(runsFile, lineEnd(d, run.id))).toBeDefined();
    expect(acknowledged).toBe(false);
    expect(saved).toBe(false);
    // a duplicate of the held run must not be answered either
    let duplicateAnswered = false;
    const dup = s.createRun(other, { flowId: 'f1', key: 'k', now: at(1), expiresAt: at(100) }).then((r) => {
      duplicateAnswered = true;
      return r;
    });
    await Promise.resolve();
    expect(duplicateAnswered).toBe(false);
    held.release();
    await Promise.all([created, doc]);
    expect((await dup).duplicate).toBe(true);
    expect(acknowledged && saved && duplicateAnswered).toBe(true);
  });

  it('fsync on, pipelined: a run written while the previous batch’s fdatasync is in flight is acknowledged only after an fdatasync that started after its write', { timeout: 10_000 }, async () => {
    const d = dir();
    const rec = recordingFiles();
    const s = createLowdbStore({ dataDir: d, fsync: true, files: rec.files, log: { warn: () => {} } });
    await s.open();
    open.push(s);
    await s.createRun(makeRun(0)); // the new file's directory entry made durable once
    const runsFile = join(d, 'journal', 'runs-000001.jsonl');
    const held = rec.holdDatasync(runsFile);
    open.unshift({ close: async () => held.release() });
    const acks = new Map<string, number>();
    const first = makeRun(1);
    const second = makeRun(2);
    const a = s.createRun(first, { flowId: 'f1', key: 'a', now: at(0), expiresAt: at(100) }).then(() => void acks.set(first.id, rec.next()));
    await held.called; // the first batch's fdatasync is in flight (held)
    const b = s.createRun(second, { flowId: 'f1', key: 'b', now: at(0), expiresAt: at(100) }).then(() => void acks.set(second.id, rec.next()));
    const syncStarts = () => rec.events.filter((e) => e.kind === 'datasync' && e.phase === 'start' && e.file === runsFile);
    const from = syncStarts().length;
    for (let i = 0; i < 2000 && syncStarts().length < from + 1; i++) await new Promise((r) => setTimeout(r, 1));
    // the second run's line was written while the first fdatasync was still held
    const firstSync = syncStarts()[from - 1]!;
    const written = rec.writtenAt(runsFile, lineEnd(d, second.id))!;
    expect(written, 'the second run was not written while the first fdatasync ran').toBeDefined();
    expect(written.seq).toBeGreaterThan(firstSync.seq);
    expect(firstSync.covered!, 'the first fdatasync cannot vouch for the second run').toBeLessThan(lineEnd(d, second.id));
    expect(acks.size).toBe(0);
    held.release();
    await Promise.all([a, b]);
    for (const r of [first, second]) {
      const durable = rec.durableAt(runsFile, lineEnd(d, r.id))!;
      expect(durable.seq, `run ${r.id} acknowledged before the fdatasync covering it returned`).toBeLessThan(acks.get(r.id)!);
      // the fdatasync that covers it started after its line was written
      const start = rec.events.find((e) => e.kind === 'datasync' && e.phase === 'start' && e.file === runsFile && e.covered === durable.covered)!;
      expect(start.seq).toBeGreaterThan(rec.writtenAt(runsFile, lineEnd(d, r.id))!.seq);
    }
    expect(acks.get(first.id)!).toBeLessThan(acks.get(second.id)!);
  });

  it('fsync off: every createRun resolves after the write of its line, and nothing is fdatasync-ed', async () => {
    const d = dir();
    const rec = recordingFiles();
    const s = createLowdbStore({ dataDir: d, fsync: false, files: rec.files, log: { warn: () => {} } });
    await s.open();
    open.push(s);
    const acks = new Map<string, number>();
    const runs = Array.from({ length: 100 }, (_, i) => makeRun(i + 1));
    await Promise.all(runs.map((r) => s.createRun(r).then(() => acks.set(r.id, rec.next()))));
    const runsFile = join(d, 'journal', 'runs-000001.jsonl');
    expect(rec.events.filter((e) => e.kind === 'datasync')).toHaveLength(0);
    for (const r of runs) {
      const written = rec.writtenAt(runsFile, lineEnd(d, r.id));
      expect(written, `run ${r.id} never written`).toBeDefined();
      expect(written!.seq, `run ${r.id} acknowledged before its write returned`).toBeLessThan(acks.get(r.id)!);
    }
  });

  it('over HTTP: every 202 arrives after the fdatasync covering its run', { timeout: 60_000 }, async () => {
    const d = dir();
    const flowsDir = flowsDirWith(['lead-qualification']);
    dirs.push(flowsDir);
    const rec = recordingFiles();
    const rt = await startRuntime({ port: 0, dataDir: d, flowsDir, fsync: true, log: quietLog, pollMs: 0, env: {}, clock: new ManualClock(), storeFiles: rec.files });
    open.push(rt);
    const acked: { runId: string; seq: number }[] = [];
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const res = await fetch(`${rt.url}/hooks/lead`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `ack${i}@example.com`, budget: 10 }) });
        expect(res.status).toBe(202);
        const seq = rec.next();
        acked.push({ runId: ((await res.json()) as { runId: string }).runId, seq });
      }),
    );
    const runsFile = join(d, 'journal', 'runs-000001.jsonl');
    for (const a of acked) {
      const durable = rec.durableAt(runsFile, lineEnd(d, a.runId));
      expect(durable, `run ${a.runId}: no fdatasync covered it`).toBeDefined();
      expect(durable!.seq, `run ${a.runId}: 202 before its fdatasync`).toBeLessThan(a.seq);
    }
  });
});

describe('a power cut (a write-back layer drops every byte no fdatasync covered)', () => {
  async function burst(s: LowdbStore, n: number, acked: Set<string>, cutAfter: number, cut: () => void) {
    const runs = Array.from({ length: n }, (_, i) => makeRun(i + 1, { idempotencyKey: `p${i}` }));
    let cutDone = false;
    await Promise.all(
      runs.map((r, i) =>
        new Promise((ok) => setTimeout(ok, i % 20))
          .then(() => s.createRun(r, { flowId: 'f1', key: `p${i}`, now: at(0), expiresAt: at(100) }))
          .then(
            () => {
              if (cutDone) return; // resolved after the cut: nobody heard it
              acked.add(r.id);
              if (acked.size >= cutAfter) {
                cutDone = true;
                cut();
              }
            },
            () => {},
          ),
      ),
    );
    return runs;
  }

  it('fsync on: every acknowledged run survives, and the store opens without refusing', async () => {
    const d = dir();
    const pc = powerCutFiles();
    const s = createLowdbStore({ dataDir: d, fsync: true, files: pc.files, log: { warn: () => {} } });
    await s.open();
    const acked = new Set<string>();
    let lost: ReturnType<typeof pc.cut> | undefined;
    await burst(s, 400, acked, 150, () => (lost = pc.cut()));
    await s.close().catch(() => {}); // the power is off: this only lets go of the lock
    expect(acked.size).toBeGreaterThanOrEqual(150);
    expect(lost).toBeDefined();
    const warnings: string[] = [];
    const again = createLowdbStore({ dataDir: d, fsync: true, log: { warn: (m) => warnings.push(m) } });
    await again.open();
    open.push(again);
    for (const id of acked) expect(await again.getRun(id), `acknowledged run ${id} lost`).toBeDefined();
    expect(warnings.filter((w) => !w.includes('torn'))).toEqual([]);
  });

  it('fsync off: what the kernel had written back survives; the store opens and says what it cannot vouch for', async () => {
    const d = dir();
    const pc = powerCutFiles();
    const s = createLowdbStore({ dataDir: d, fsync: false, files: pc.files, log: { warn: () => {} } });
    await s.open();
    const before = Array.from({ length: 50 }, (_, i) => makeRun(i + 1));
    for (const r of before) await s.createRun(r);
    pc.writeBack();
    const acked = new Set<string>();
    await burst(s, 100, acked, 60, () => pc.cut());
    await s.close().catch(() => {});
    const again = createLowdbStore({ dataDir: d, fsync: false, log: { warn: () => {} } });
    await again.open();
    open.push(again);
    for (const r of before) expect(await again.getRun(r.id)).toBeDefined();
    // the events acknowledged after the last write-back are what fsync off may lose (README)
    expect(await again.countRuns()).toBeLessThan(before.length + acked.size);
  });
});
