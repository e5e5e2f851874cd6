// The append log alone: the group commit under every acknowledgement of the embedded store. Real files
// in a temporary directory; the file layer records each append, fdatasync, truncate and directory fsync
// (test/support/file-layers.ts), and a full-disk layer fails appends with ENOSPC after writing half.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fullDiskFiles, recordingFiles } from '../../../../../test/support/file-layers.ts';
import { AppendLog, newStats, openTrackedLog, type StoreStats } from './append-log.ts';
import { Checkpoint } from './checkpoint.ts';
import { nodeFiles } from './file-layer.ts';

const dirs: string[] = [];
const logs: AppendLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'flowdesk-append-log-'));
  dirs.push(d);
  return join(d, 'a.jsonl');
};
const line = (s: string) => Buffer.from(`${s}\n`);
const track = <T extends AppendLog>(l: T): T => (logs.push(l), l);
/** Waits (turn by turn of the event loop, bounded) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(cond()).toBe(true);
}
const healthLog = () => {
  const seen: string[] = [];
  return { seen, sink: { failed: (f: string, e: unknown) => seen.push(`failed ${f} ${(e as NodeJS.ErrnoException).code}`), succeeded: (f: string) => seen.push(`ok ${f}`) } };
};

describe('AppendLog', () => {
  it('one write and one fdatasync for the appends of one tick; offsets, sizes, stats and tags follow', async () => {
    const file = tempFile();
    const rec = recordingFiles();
    const stats: StoreStats = newStats();
    const log = track(new AppendLog(file, 0, { fsync: true, stats, created: true, files: rec.files, durableTag: 4 }));
    expect(log.durableTag).toBe(4);
    const durables: number[] = [];
    log.onDurable = (d) => durables.push(d);
    const a = log.append(line('a'), { tag: 5 });
    const b = log.append(line('bb'), { tag: 6 });
    const c = log.append(line('ccc'));
    expect([a.offset, b.offset, c.offset, log.size, log.durable]).toEqual([0, 2, 5, 9, 0]);
    await Promise.all([a.done, b.done, c.done]);
    expect(readFileSync(file, 'utf8')).toBe('a\nbb\nccc\n');
    expect(stats).toMatchObject({ appends: 3, writes: 1, fsyncs: 1, bytes: 9, failedWrites: 0 });
    expect(rec.events.filter((e) => e.phase === 'end').map((e) => e.kind)).toEqual(['fsyncDir', 'append', 'datasync']);
    expect([log.durable, log.durableTag]).toEqual([9, 6]);
    expect(durables).toEqual([9]);

    // an untagged batch leaves the durable tag where it was
    await log.append(line('d')).done;
    expect([log.durable, log.durableTag, stats.writes, stats.fsyncs]).toEqual([11, 6, 2, 2]);
    expect(durables).toEqual([9, 11]);
  });

  it('the durable tag starts at 0 when the file holds none', () => {
    const log = track(new AppendLog(tempFile(), 0, { fsync: true, stats: newStats(), created: true }));
    expect(log.durableTag).toBe(0);
  });

  it('with fsync off: no fdatasync and no directory fsync, and the bytes still count as written', async () => {
    const rec = recordingFiles();
    const stats = newStats();
    const log = track(new AppendLog(tempFile(), 0, { fsync: false, stats, created: true, files: rec.files }));
    await log.append(line('x')).done;
    expect(rec.events.filter((e) => e.phase === 'end').map((e) => e.kind)).toEqual(['append']);
    expect(stats).toMatchObject({ writes: 1, fsyncs: 0 });
    expect(log.durable).toBe(2);
  });

  it("an existing file's directory entry is not fsync'ed again; a created one is, once, before the first ack", async () => {
    const file = tempFile();
    const rec = recordingFiles();
    const first = track(new AppendLog(file, 0, { fsync: true, stats: newStats(), created: true, files: rec.files }));
    await first.append(line('1')).done;
    await first.append(line('2')).done;
    expect(rec.events.filter((e) => e.kind === 'fsyncDir')).toHaveLength(1);
    await first.close();
    const again = recordingFiles();
    const reopened = track(new AppendLog(file, 4, { fsync: true, stats: newStats(), created: false, files: again.files }));
    await reopened.append(line('3')).done;
    expect(again.events.filter((e) => e.kind === 'fsyncDir')).toHaveLength(0);
    expect(readFileSync(file, 'utf8')).toBe('1\n2\n3\n');
  });

  it('a failed write rolls back newest first (the failed batch and the one queued behind it), reports, and cuts the partial bytes before the next write', async () => {
    const file = tempFile();
    const disk = fullDiskFiles();
    const stats = newStats();
    const health = healthLog();
    const log = track(new AppendLog(file, 0, { fsync: true, stats, created: true, files: disk.files, health: health.sink }));
    await log.append(line('kept'), { tag: 1 }).done;
    expect(health.seen).toEqual([`ok ${file}`]);

    disk.full = true;
    const undone: string[] = [];
    const x = log.append(line('x-lost'), { tag: 2, onFail: () => undone.push('x') });
    const y = log.append(line('y-lost'), { onFail: () => undone.push('y') });
    // a second batch, queued while the first is being written
    await new Promise((r) => process.nextTick(r));
    const z = log.append(line('z-lost'), { onFail: () => undone.push('z') });
    const w = log.append(line('w-lost'), {
      onFail: () => {
        undone.push('w');
        throw new Error('a rollback that throws does not stop the others');
      },
    });
    for (const p of [x.done, y.done, z.done, w.done]) await expect(p).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(undone).toEqual(['w', 'z', 'y', 'x']);
    expect(stats.failedWrites).toBe(1);
    expect(health.seen.at(-1)).toBe(`failed ${file} ENOSPC`);
    expect([log.size, log.durable, log.durableTag]).toEqual([5, 5, 1]);
    expect(statSync(file).size, 'half of the failed write is really on disk').toBeGreaterThan(5);

    disk.full = false;
    const next = log.append(line('next'), { tag: 3 });
    expect(next.offset).toBe(5);
    await next.done;
    expect(readFileSync(file, 'utf8')).toBe('kept\nnext\n');
    expect([log.durable, log.durableTag]).toEqual([10, 3]);
    expect(health.seen.at(-1)).toBe(`ok ${file}`);
  });

  it('close cuts a failed write’s partial bytes, waits for what is in flight, and refuses later appends naming the file', async () => {
    const file = tempFile();
    const disk = fullDiskFiles();
    const log = new AppendLog(file, 0, { fsync: true, stats: newStats(), created: true, files: disk.files });
    await log.append(line('kept')).done;
    disk.full = true;
    await expect(log.append(line('partial')).done).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(statSync(file).size).toBeGreaterThan(5);
    await log.close();
    expect(readFileSync(file, 'utf8')).toBe('kept\n');
    expect(() => log.append(line('late'))).toThrow(`append to closed log ${file}`);
    await log.close(); // twice is fine

    const file2 = tempFile();
    const inflight = new AppendLog(file2, 0, { fsync: true, stats: newStats(), created: true });
    const p = inflight.append(line('in flight'));
    await inflight.close();
    await p.done;
    expect(readFileSync(file2, 'utf8')).toBe('in flight\n');
  });

  it('pipelined: the next batch is written while the previous fdatasync runs, a third waits for room, and acknowledgements come in order, each after the fdatasync covering it', async () => {
    const file = tempFile();
    const rec = recordingFiles();
    const stats = newStats();
    const log = track(new AppendLog(file, 0, { fsync: true, stats, created: false, files: rec.files }));
    const held = rec.holdDatasync(file);
    const acks = new Map<string, number>();
    const ack = (name: string, p: Promise<void>) => p.then(() => void acks.set(name, rec.next()));
    const a = ack('a', log.append(line('a'), { tag: 1 }).done);
    await held.called; // a is written, its fdatasync runs (held)
    const b = ack('b', log.append(line('bb'), { tag: 2 }).done);
    await until(() => rec.events.filter((e) => e.kind === 'datasync' && e.phase === 'start').length === 2);
    // b was written while a's fdatasync was in flight, and its own fdatasync started after that write
    const bWritten = rec.writtenAt(file, 5)!;
    const aSyncStart = rec.events.find((e) => e.kind === 'datasync' && e.phase === 'start')!;
    const bSyncStart = rec.events.filter((e) => e.kind === 'datasync' && e.phase === 'start')[1]!;
    expect(bWritten.seq).toBeGreaterThan(aSyncStart.seq);
    expect(bSyncStart.seq).toBeGreaterThan(bWritten.seq);
    expect(bSyncStart.covered).toBe(5);
    // two batches in flight: a third is queued, not written, until a's fdatasync returns
    const c = ack('c', log.append(line('ccc'), { tag: 3 }).done);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(rec.events.filter((e) => e.kind === 'append' && e.phase === 'start')).toHaveLength(2);
    expect([acks.size, log.durable, log.durableTag, log.size]).toEqual([0, 0, 0, 9]);
    held.release();
    await Promise.all([a, b, c]);
    expect(acks.get('a')!).toBeLessThan(acks.get('b')!);
    expect(acks.get('b')!).toBeLessThan(acks.get('c')!);
    for (const [name, end] of [['a', 2], ['b', 5], ['c', 9]] as const) {
      expect(rec.durableAt(file, end)!.seq, `${name} acknowledged before the fdatasync covering it returned`).toBeLessThan(acks.get(name)!);
    }
    expect(readFileSync(file, 'utf8')).toBe('a\nbb\nccc\n');
    expect(stats).toMatchObject({ writes: 3, fsyncs: 3 });
    expect([log.durable, log.durableTag]).toEqual([9, 3]);
  });

  it('pipelined: a failed fdatasync fails its batch and the one written behind it (newest first), the batch before it still lands, and the file is cut back', async () => {
    const file = tempFile();
    const syncs: { release: () => void; fail: (e: Error) => void }[] = [];
    let failNext = 0;
    const files = {
      ...nodeFiles,
      async openAppend(f: string) {
        const h = await nodeFiles.openAppend(f);
        return {
          ...h,
          async datasync() {
            // every fdatasync waits for the test; the test decides which one fails
            await new Promise<void>((release, fail) => syncs.push({ release, fail }));
            if (failNext-- > 0) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
            await h.datasync();
          },
        };
      },
    };
    const stats = newStats();
    const log = track(new AppendLog(file, 0, { fsync: true, stats, created: false, files, pipelineDepth: 3 }));
    const undone: string[] = [];
    const settled: string[] = [];
    const watch = (name: string, p: Promise<void>) => p.then(() => void settled.push(`${name} ok`), (e: NodeJS.ErrnoException) => void settled.push(`${name} ${e.code}`));
    const a = watch('a', log.append(line('a'), { tag: 1, onFail: () => undone.push('a') }).done);
    await until(() => syncs.length === 1);
    const b = watch('b', log.append(line('b'), { tag: 2, onFail: () => undone.push('b') }).done);
    await until(() => syncs.length === 2);
    const c = watch('c', log.append(line('c'), { tag: 3, onFail: () => undone.push('c') }).done);
    await until(() => syncs.length === 3);
    // b's fdatasync fails while a's and c's are in flight
    failNext = 1;
    syncs[1]!.release();
    await b;
    expect(undone).toEqual(['c', 'b']);
    expect(stats.failedWrites).toBe(1);
    expect(log.size).toBe(2); // a's bytes are still expected to land
    failNext = 0;
    syncs[0]!.release();
    syncs[2]!.release();
    await Promise.all([a, c]);
    expect(settled).toEqual(['c EIO', 'b EIO', 'a ok']);
    expect([log.durable, log.durableTag]).toEqual([2, 1]);
    // the next write first cuts b's and c's bytes
    const d = log.append(line('d'), { tag: 4 });
    expect(d.offset).toBe(2);
    // (the cut is fdatasync'ed, then d's write is)
    await until(() => syncs.length === 4);
    expect(readFileSync(file, 'utf8')).toBe('a\n');
    syncs[3]!.release();
    await until(() => syncs.length === 5);
    syncs[4]!.release();
    await d.done;
    expect(readFileSync(file, 'utf8')).toBe('a\nd\n');
    expect([log.durable, log.durableTag]).toEqual([4, 4]);
  });

  it('drain resolves once everything appended so far is durable', async () => {
    const rec = recordingFiles();
    const log = track(new AppendLog(tempFile(), 0, { fsync: true, stats: newStats(), created: false, files: rec.files }));
    await log.drain();
    const held = rec.holdDatasync();
    log.append(line('a'));
    let drained = false;
    const d = log.drain().then(() => (drained = true));
    await held.called;
    expect(drained).toBe(false);
    held.release();
    await d;
    expect(log.durable).toBe(2);
  });

  it('minIntervalMs: the first write goes at once, the appends of the next ticks wait for the interval and share one write; close writes them at once', async () => {
    const file = tempFile();
    const stats = newStats();
    // an interval no test run reaches: only close() can start the second write
    const log = new AppendLog(file, 0, { fsync: true, stats, created: false, minIntervalMs: 3_600_000 });
    await log.append(line('a')).done;
    expect(stats).toMatchObject({ writes: 1, fsyncs: 1 });
    const later: Promise<void>[] = [];
    for (const s of ['b', 'c', 'd']) {
      later.push(log.append(line(s)).done);
      await new Promise((r) => setImmediate(r));
    }
    let landed = false;
    void Promise.all(later).then(() => (landed = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect([landed, stats.writes, log.durable]).toEqual([false, 1, 2]);
    await log.close();
    await Promise.all(later);
    expect(stats).toMatchObject({ appends: 4, writes: 2, fsyncs: 2 });
    expect(readFileSync(file, 'utf8')).toBe('a\nb\nc\nd\n');
  });
});

describe('openTrackedLog', () => {
  it('registers the log with the checkpoint, which moves with every durable append', async () => {
    const file = tempFile();
    const dir = join(file, '..');
    const cp = new Checkpoint(dir, nodeFiles, false, () => {});
    const log = track(openTrackedLog(file, 'db/a.jsonl', 0, true, 0, { fsync: true, stats: newStats(), checkpoint: cp }));
    const touched: number[] = [];
    const touch = cp.touch.bind(cp);
    cp.touch = () => {
      touched.push(log.durable);
      touch();
    };
    await log.append(line('one')).done;
    expect(touched).toEqual([4]);
    await cp.close();
  });
});
