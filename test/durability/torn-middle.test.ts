// The pipelined journal (batch N+1 is written while batch N's fdatasync runs) and a power cut that
// writes back out of order: the later, unacknowledged batch's bytes reach the platter, the earlier,
// also unacknowledged batch's do not (zeros). The damage lies past everything the store acknowledged
// (its checkpoint): a torn tail — the store opens, cuts it off with a warning naming the file and the
// byte range, and every acknowledged run is there. Damage at or before the acknowledged length is still
// refused (StoreCorruptError naming the file, nothing touched). Done for real on the files: a
// write-back layer under the store (test/support/file-layers.ts) zeroes the first unsynced write.
import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLowdbStore, type LowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { StoreCorruptError } from '../../apps/runtime/src/store/types.ts';
import { makeRun } from '../../apps/runtime/src/store/store.contract.ts';
import { tempDir } from '../support/runtime.ts';
import { powerCutFiles, recordingFiles } from '../support/file-layers.ts';

const dirs: string[] = [];
const stores: LowdbStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await sleep(10);
  expect(cond(), what).toBe(true);
}

async function reopen(dataDir: string, warnings: string[] = []): Promise<LowdbStore> {
  const s = createLowdbStore({ dataDir, fsync: true, log: { warn: (m) => warnings.push(m) } });
  await s.open();
  stores.push(s);
  return s;
}

/**
 * 40 runs acknowledged (and the checkpoint claiming them written back); then batch N (one run) is
 * written and its fdatasync held, batch N+1 (five runs) written meanwhile; then the power goes off with
 * batch N's bytes lost and batch N+1's kept. Answers the acknowledged runs, the lost ones and where
 * the acknowledged bytes end.
 */
/** An open store in a fresh data dir, on the power-cut layer with its file operations recorded. */
async function storeOnPowerCutLayer() {
  const d = tempDir('flowdesk-torn-middle-');
  dirs.push(d);
  const pc = powerCutFiles();
  const rec = recordingFiles(pc.files);
  const s = createLowdbStore({ dataDir: d, fsync: true, files: rec.files, log: { warn: () => {} } });
  await s.open();
  return { d, pc, rec, s };
}

async function tornMiddle() {
  const { d, pc, rec, s } = await storeOnPowerCutLayer();
  const runsFile = join(d, 'journal', 'runs-000001.jsonl');
  const acked = Array.from({ length: 40 }, (_, i) => makeRun(i + 1, { idempotencyKey: `a${i}` }));
  for (const r of acked) await s.createRun(r);
  await sleep(80); // the checkpoint written after them (without an fsync of its own) …
  pc.writeBack(); // … and written back by the kernel, as it is within seconds
  const ackedEnd = statSync(runsFile).size;

  const hold = rec.holdDatasync(runsFile);
  const batchN = makeRun(101);
  const pN = s.createRun(batchN);
  await hold.called; // batch N written, its fdatasync running
  const batchN1 = Array.from({ length: 5 }, (_, i) => makeRun(102 + i));
  const pN1 = batchN1.map((r) => s.createRun(r));
  await until('batch N+1 written while batch N’s fdatasync runs', () =>
    rec.events.some((e) => e.kind === 'append' && e.phase === 'end' && e.file === runsFile && e.from! > ackedEnd),
  );
  const cut = pc.cut({ keepLaterWrite: true });
  hold.release();
  const settled = await Promise.allSettled([pN, ...pN1]);
  expect(settled.map((r) => r.status)).toEqual(settled.map(() => 'rejected')); // none was acknowledged
  await s.close().catch(() => {}); // the power is off: this only lets go of the lock
  expect(cut.zeroed).toHaveLength(1);
  expect(cut.zeroed[0]).toMatchObject({ file: runsFile, from: ackedEnd });
  return { d, runsFile, acked, lost: [batchN, ...batchN1], ackedEnd, zeroedTo: cut.zeroed[0]!.to };
}

describe('a torn middle in the tail past the acknowledged length (pipelined batches, out-of-order write-back)', () => {
  it('the store opens, cuts the tail back with a warning naming the file and the bytes, and every acknowledged run is there', async () => {
    const { d, runsFile, acked, lost, ackedEnd, zeroedTo } = await tornMiddle();
    // on disk: the acknowledged lines, batch N as zeros, then batch N+1's whole lines
    const buf = readFileSync(runsFile);
    expect(buf.subarray(ackedEnd, zeroedTo).every((b) => b === 0)).toBe(true);
    expect(buf.length).toBeGreaterThan(zeroedTo);
    expect(buf.subarray(zeroedTo).toString()).toContain(`"id":"${lost[1]!.id}"`);
    expect(buf[buf.length - 1]).toBe(10); // batch N+1 ends in a whole line: only the middle is torn
    const fileLength = buf.length;

    const warnings: string[] = [];
    const s = await reopen(d, warnings);
    for (const r of acked) expect(await s.getRun(r.id), `acknowledged run ${r.id}`).toBeDefined();
    for (const r of lost) expect(await s.getRun(r.id), `never acknowledged ${r.id}`).toBeUndefined();
    expect(await s.countRuns()).toBe(acked.length);
    const torn = warnings.filter((w) => w.includes('torn'));
    expect(torn).toHaveLength(1);
    expect(torn[0]).toContain(runsFile);
    expect(torn[0]).toContain(`bytes ${ackedEnd}–${fileLength}`);
    expect(statSync(runsFile).size).toBe(ackedEnd);

    // writes go on after it, and the next start is clean
    const next = makeRun(300);
    await s.createRun(next);
    await s.close();
    stores.splice(stores.indexOf(s), 1);
    const again: string[] = [];
    const s2 = await reopen(d, again);
    expect(again).toEqual([]);
    expect(await s2.countRuns()).toBe(acked.length + 1);
    expect(await s2.getRun(next.id)).toBeDefined();
  });

  it('damage that reaches into the acknowledged bytes is still refused, naming the file; nothing is touched', async () => {
    const { d, runsFile, ackedEnd } = await tornMiddle();
    // the torn stretch starts 20 bytes early: inside the last acknowledged line
    const fd = openSync(runsFile, 'r+');
    writeSync(fd, Buffer.alloc(20), 0, 20, ackedEnd - 20);
    closeSync(fd);
    const size = statSync(runsFile).size;
    const err = await createLowdbStore({ dataDir: d, fsync: true, log: { warn: () => {} } }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).message).toContain(runsFile);
    expect(statSync(runsFile).size).toBe(size);
  });

  it('a damaged line well inside the acknowledged bytes is refused even with a torn tail after it', async () => {
    const { d, runsFile, ackedEnd } = await tornMiddle();
    const fd = openSync(runsFile, 'r+');
    writeSync(fd, Buffer.alloc(64), 0, 64, Math.floor(ackedEnd / 2));
    closeSync(fd);
    const before = readFileSync(runsFile);
    const err = await createLowdbStore({ dataDir: d, fsync: true, log: { warn: () => {} } }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).message).toMatch(/runs-000001\.jsonl/);
    expect(readFileSync(runsFile).equals(before)).toBe(true);
  });

  it('a collection change log (timers) torn the same way opens too, keeping every acknowledged timer', async () => {
    const { d, pc, rec, s } = await storeOnPowerCutLayer();
    const due = '2030-01-01T00:00:00.000Z';
    for (let i = 0; i < 10; i++) await s.putTimer({ id: `t${i}`, kind: 'run', dueAt: due, runId: `r${i}` });
    await sleep(80);
    pc.writeBack();
    const log = join(d, 'db', readdirSync(join(d, 'db')).find((n) => n.startsWith('timers.log-'))!);
    const ackedEnd = statSync(log).size;
    const hold = rec.holdDatasync(log);
    const pN = s.putTimer({ id: 'lostN', kind: 'run', dueAt: due, runId: 'x' });
    await hold.called;
    const pN1 = s.putTimer({ id: 'lostN1', kind: 'run', dueAt: due, runId: 'y' });
    await until('batch N+1 written', () => rec.events.some((e) => e.kind === 'append' && e.phase === 'end' && e.file === log && e.from! > ackedEnd));
    const cut = pc.cut({ keepLaterWrite: true });
    hold.release();
    expect((await Promise.allSettled([pN, pN1])).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await s.close().catch(() => {});
    expect(cut.zeroed.map((z) => z.file)).toEqual([log]);
    const fileLength = statSync(log).size;

    const warnings: string[] = [];
    const again = await reopen(d, warnings);
    expect((await again.listTimers()).map((t) => t.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`).sort());
    expect(warnings.some((w) => w.includes(log) && w.includes(`bytes ${ackedEnd}–${fileLength}`))).toBe(true);
    expect(statSync(log).size).toBe(ackedEnd);
  });
});
