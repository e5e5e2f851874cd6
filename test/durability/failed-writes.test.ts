// A failed write leaves no trace that could be mistaken for stored data, on the store itself (the
// disk-full test shows the same over HTTP on a real tmpfs). The disk here is a file layer that writes
// half of each append for real and then fails with ENOSPC, so the partial bytes are really on disk:
// the store must roll its memory back (runs, claims, records, documents, timers), cut each file back
// to its last durable offset before anything else is appended, report itself unhealthy naming the
// cause, take writes again by itself once the disk has room, and reopen clean with exactly what it
// acknowledged.
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createLowdbStore, type LowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { makeRun, at } from '../../apps/runtime/src/store/store.contract.ts';
import type { DedupeClaim } from '../../apps/runtime/src/store/types.ts';
import { tempDir } from '../support/runtime.ts';
import { fullDiskFiles, recordingFiles } from '../support/file-layers.ts';

const dirs: string[] = [];
const open: LowdbStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const claim = (key: string): DedupeClaim => ({ flowId: 'f1', key, now: at(100), expiresAt: at(100 + 86_400) });

async function openStore(dataDir: string, files?: ReturnType<typeof fullDiskFiles>['files']): Promise<LowdbStore> {
  // the probe (a real write beside the store) would see this fake disk's room at once: keep it out of the way
  const s = createLowdbStore({ dataDir, fsync: true, files, probeMs: 3_600_000, log: { warn: () => {}, info: () => {} } });
  await s.open();
  open.push(s);
  return s;
}

const rejects = async (p: Promise<unknown>): Promise<NodeJS.ErrnoException> => {
  try {
    await p;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected the write to fail');
};

describe('a write that fails (ENOSPC)', () => {
  it('leaves no run, claim, record, document or timer behind; files are cut back before the next append; writes resume by themselves; a reopen is clean', async () => {
    const d = tempDir('flowdesk-failed-writes-');
    dirs.push(d);
    const disk = fullDiskFiles();
    const rec = recordingFiles(disk.files);
    const s = await openStore(d, rec.files);
    const seg = join(d, 'journal', 'runs-000001.jsonl');

    // acknowledged before the disk fills
    const a = makeRun(1, { status: 'queued', idempotencyKey: 'a' });
    expect((await s.createRun(a, claim('a'))).duplicate).toBe(false);
    await s.transitionRecord({ entity: 'lead', key: 'L1', to: 'new', at: at(2), cause: { manual: true } });
    await s.putTimer({ id: 'run:x', kind: 'run', dueAt: at(500), runId: 'x', flowId: 'f1' });
    await s.putDoc('tasks', { id: 't-1', runId: a.id });
    const durableRuns = statSync(seg).size;
    expect(s.health()).toEqual({ ok: true });

    disk.full = true;
    // a new run with its claim, and a second event with the same key queued behind it in the same tick
    const b = makeRun(2, { status: 'queued', idempotencyKey: 'b' });
    const b2 = makeRun(3, { status: 'queued', idempotencyKey: 'b' });
    const [eB, eB2] = await Promise.all([rejects(s.createRun(b, claim('b'))), rejects(s.createRun(b2, claim('b')))]);
    expect(eB.code).toBe('ENOSPC');
    expect(eB2.code, 'a duplicate waiting on a failed write fails too (never a duplicate of nothing)').toBe('ENOSPC');
    // the half-written line is really on disk
    expect(statSync(seg).size).toBeGreaterThan(durableRuns);
    // an update of an acknowledged run, a record transition, a document and a timer
    expect((await rejects(s.saveRun({ ...a, status: 'running' }))).code).toBe('ENOSPC');
    expect((await rejects(s.transitionRecord({ entity: 'lead', key: 'L1', to: 'qualified', at: at(3), cause: { manual: true } }))).code).toBe('ENOSPC');
    expect((await rejects(s.transitionRecord({ entity: 'lead', key: 'L2', to: 'new', at: at(3), cause: { manual: true } }))).code).toBe('ENOSPC');
    expect((await rejects(s.putDoc('tasks', { id: 't-2', runId: b.id }))).code).toBe('ENOSPC');
    expect((await rejects(s.putDoc('tasks', { id: 't-1', runId: 'changed' }))).code).toBe('ENOSPC');
    expect((await rejects(s.putTimer({ id: 'run:y', kind: 'run', dueAt: at(600), runId: 'y', flowId: 'f1' }))).code).toBe('ENOSPC');
    expect(disk.failed).toBeGreaterThanOrEqual(6);

    // nothing of it is visible: every read answers what is on disk
    expect(await s.getRun(b.id)).toBeUndefined();
    expect(await s.getRun(b2.id)).toBeUndefined();
    expect(await s.listRuns({ key: 'b' })).toEqual([]);
    expect((await s.getRun(a.id))?.status).toBe('queued');
    expect((await s.getRecord('lead', 'L1'))?.state).toBe('new');
    expect(await s.getRecord('lead', 'L2')).toBeUndefined();
    expect(await s.getDoc('tasks', 't-2')).toBeUndefined();
    expect(await s.getDoc('tasks', 't-1')).toMatchObject({ runId: a.id });
    expect(await s.getTimer('run:y')).toBeUndefined();
    expect(s.stats().failedWrites).toBeGreaterThanOrEqual(6);
    // an acknowledged key is still a duplicate (answering it needs no write)
    const dupA = await s.createRun(makeRun(4, { status: 'queued', idempotencyKey: 'a' }), claim('a'));
    expect(dupA).toMatchObject({ duplicate: true, run: { id: a.id } });
    const health = s.health();
    expect(health.ok).toBe(false);
    expect(health.cause).toMatch(/ENOSPC/);

    // room again: the next append to each file first cuts its partial bytes off, then writes
    disk.full = false;
    const mark = rec.next();
    const c = makeRun(5, { status: 'queued', idempotencyKey: 'b' });
    expect((await s.createRun(c, claim('b'))).duplicate, 'the failed event left no claim: the key starts a new run').toBe(false);
    const after = rec.events.filter((e) => e.seq > mark && e.file === seg);
    expect(after[0]).toMatchObject({ kind: 'truncate', phase: 'start', to: durableRuns });
    expect(after.find((e) => e.kind === 'append')!.from).toBe(durableRuns);
    await s.saveRun({ ...a, status: 'running' });
    expect((await s.transitionRecord({ entity: 'lead', key: 'L1', to: 'qualified', at: at(4), cause: { manual: true } })).state).toBe('qualified');
    await s.putDoc('tasks', { id: 't-3', runId: c.id });
    await s.putTimer({ id: 'run:z', kind: 'run', dueAt: at(700), runId: 'z', flowId: 'f1' });
    expect(s.health()).toEqual({ ok: true });
    await s.close();
    open.splice(open.indexOf(s), 1);

    // reopened on plain files: no corruption, no loss, exactly what was acknowledged
    const r = await openStore(d);
    expect(r.losses()).toEqual([]);
    expect((await r.getRun(a.id))?.status).toBe('running');
    expect(await r.getRun(b.id)).toBeUndefined();
    expect(await r.getRun(b2.id)).toBeUndefined();
    expect((await r.listRuns({ key: 'b' })).map((x) => x.id)).toEqual([c.id]);
    expect((await r.createRun(makeRun(6, { idempotencyKey: 'b' }), claim('b'))).duplicate).toBe(true);
    expect((await r.getRecord('lead', 'L1'))?.state).toBe('qualified');
    expect(await r.getRecord('lead', 'L2')).toBeUndefined();
    expect((await r.listDocs('tasks')).map((x) => x.id).sort()).toEqual(['t-1', 't-3']);
    expect(await r.getDoc('tasks', 't-1')).toMatchObject({ runId: a.id });
    expect((await r.listTimers()).map((t) => t.id).sort()).toEqual(['run:x', 'run:z']);
  });
});
