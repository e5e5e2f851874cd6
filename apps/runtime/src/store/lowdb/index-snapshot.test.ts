// The index snapshot is a cache of the indexes: used when it matches the journals, and a damaged,
// truncated or stale one falls back to reading every line — with the same data either way.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { copyFile, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '@flowdesk/schema';
import { createLowdbStore, type LowdbStore } from './index.ts';
import { INDEX_SNAPSHOT, SnapReader, SnapWriter } from './index-snapshot.ts';
import { open as openFile } from 'node:fs/promises';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function run(i: number, status: Run['status'] = 'succeeded'): Run {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  const email = `lead${i}@example.com`;
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, flowId: 'lead', flowVersion: 1, status, idempotencyKey: email,
    trigger: { type: 'webhook', path: 'lead' }, payload: { email }, headers: {}, vars: {}, cursor: null, record: { entity: 'account', key: email },
    steps: [], createdAt: at, startedAt: at, updatedAt: at, ...(status === 'succeeded' ? { endedAt: at } : {}),
  };
}

async function open(dir: string, infos: string[] = []): Promise<LowdbStore> {
  const s = createLowdbStore({ dataDir: dir, fsync: true, log: { warn: (m) => infos.push(m), info: (m) => infos.push(m) } });
  await s.open();
  return s;
}

/** Seeds runs (half open), claims, records, reviews and a rejected event; closes (which writes the snapshot). */
async function seed(dir: string, from: number, n: number): Promise<void> {
  const s = await open(dir);
  const now = '2026-01-01T00:00:00.000Z';
  for (let i = from; i < from + n; i++) {
    const r = run(i, i % 2 ? 'waiting' : 'succeeded');
    await s.createRun(r, { flowId: 'lead', key: r.idempotencyKey!, expiresAt: '2030-01-01T00:00:00.000Z', now });
    await s.transitionRecord({ entity: 'account', key: r.record!.key, to: 'captured', at: now, cause: { manual: true } });
    if (i % 3 === 0) await s.putDoc('reviews', { id: `${r.id}:review`, runId: r.id, status: 'open' } as never);
  }
  await s.addRejected({ id: `rej-${from}`, at: now, flowId: 'lead', reason: 'bad' } as never);
  await s.close();
}

/** What a store holds, through its API: runs, claims, records, reviews, rejected, open runs by record. */
async function contents(s: LowdbStore, n: number) {
  const now = '2026-06-01T00:00:00.000Z';
  const dup = await s.createRun(run(100_000), { flowId: 'lead', key: 'lead7@example.com', expiresAt: '2031-01-01T00:00:00.000Z', now });
  return {
    runs: (await s.listRuns({ limit: 1000 })).map((r) => `${r.id}/${r.status}`),
    waiting: (await s.listRuns({ status: 'waiting', limit: 1000 })).length,
    byKey: (await s.listRuns({ key: 'lead4@example.com' })).map((r) => r.id),
    byRecord: (await s.listOpenRunsOfRecord('account', 'lead5@example.com')).map((r) => r.id),
    duplicateOf: dup.duplicate ? dup.run.id : 'not a duplicate',
    records: (await s.listRecords({ entity: 'account', state: 'captured' })).length,
    reviews: (await s.listDocs('reviews')).map((r) => r.id),
    rejected: (await s.listRejected({})).map((r) => r.id),
    count: await s.countRuns(),
    n,
  };
}

const usedSnapshot = (infos: string[]) => !infos.some((m) => m.includes('index snapshot'));

describe('index snapshot', () => {
  it('a reopened store loads its indexes from the snapshot and holds exactly what a full read holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-snap-'));
    dirs.push(dir);
    await seed(dir, 0, 60);
    expect((await stat(join(dir, 'journal', INDEX_SNAPSHOT))).size).toBeGreaterThan(0);
    const infos: string[] = [];
    const s = await open(dir, infos);
    expect(usedSnapshot(infos)).toBe(true);
    const viaSnapshot = await contents(s, 60);
    await s.close();
    expect(viaSnapshot.duplicateOf).toBe(run(7).id);
    expect(viaSnapshot.byRecord).toEqual([run(5).id]);
    expect(viaSnapshot.count).toBe(60); // the run sent with a claimed key was a duplicate
    // the same dir read line by line (no snapshot) holds the same
    await rm(join(dir, 'journal', INDEX_SNAPSHOT));
    const infos2: string[] = [];
    const full = await open(dir, infos2);
    const viaLines = await contents(full, 60);
    await full.close();
    expect(viaLines).toEqual({ ...viaSnapshot, duplicateOf: viaSnapshot.duplicateOf });
  });

  it('lines written after the snapshot are read on top of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-snap-'));
    dirs.push(dir);
    await seed(dir, 0, 30);
    const old = join(dir, 'old-snapshot');
    await copyFile(join(dir, 'journal', INDEX_SNAPSHOT), old);
    await seed(dir, 30, 30); // appends to the same segments
    await copyFile(old, join(dir, 'journal', INDEX_SNAPSHOT)); // as if the process died before writing a newer one
    const infos: string[] = [];
    const s = await open(dir, infos);
    expect(usedSnapshot(infos)).toBe(true);
    const c = await contents(s, 60);
    await s.close();
    expect(c.count).toBe(60);
    expect(c.runs).toContain(`${run(59).id}/waiting`);
    expect(c.rejected.sort()).toEqual(['rej-0', 'rej-30']);
    expect(c.reviews).toHaveLength(20);
  });

  it.each([
    ['a flipped byte in the middle', (b: Buffer) => Buffer.from(b.map((x, i) => (i === b.length >> 1 ? x ^ 0xff : x)))],
    ['cut in half', (b: Buffer) => b.subarray(0, b.length >> 1)],
    ['empty', () => Buffer.alloc(0)],
  ])('a damaged snapshot (%s) is set aside: every line is read, nothing is lost', async (_, damage) => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-snap-'));
    dirs.push(dir);
    await seed(dir, 0, 40);
    const file = join(dir, 'journal', INDEX_SNAPSHOT);
    const good = await open(dir);
    const expected = await contents(good, 40);
    await good.close();
    await writeFile(file, damage(await readFile(file)));
    const infos: string[] = [];
    const s = await open(dir, infos);
    expect(infos.some((m) => m.includes('index snapshot is damaged'))).toBe(true);
    const got = await contents(s, 40);
    await s.close();
    // the duplicate of run 100000 written by the first contents() call is there too, as a duplicate
    expect(got).toEqual(expected);
  });

  it('a snapshot older than a journal rewrite (a mid-file change) is not used, and the bad line is still named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-snap-'));
    dirs.push(dir);
    await seed(dir, 0, 20);
    const seg = join(dir, 'journal', 'runs-000001.jsonl');
    const lines = (await readFile(seg, 'utf8')).split('\n');
    lines[5] = lines[5]!.replace('lead', 'LEAD');
    await writeFile(seg, lines.join('\n'));
    const infos: string[] = [];
    await expect(open(dir, infos)).rejects.toThrow(/runs-000001\.jsonl/);
    expect(infos.some((m) => m.includes('no longer matches the runs journal'))).toBe(true);
  });

  it('a sealed segment damaged in place after a clean close (same length, mtime put back) is noticed: the snapshot is not used and the bad line is named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-snap-'));
    dirs.push(dir);
    const small = async (infos: string[] = []) => {
      const s = createLowdbStore({ dataDir: dir, fsync: true, segmentBytes: 16 << 10, log: { warn: (m) => infos.push(m), info: (m) => infos.push(m) } });
      await s.open();
      return s;
    };
    const s = await small();
    for (let i = 0; i < 120; i++) await s.createRun(run(i));
    await s.close();
    const segs = (await readdir(join(dir, 'journal'))).filter((n) => n.startsWith('runs-')).sort();
    expect(segs.length).toBeGreaterThan(3);
    const seg = join(dir, 'journal', segs[1]!); // sealed, neither first nor last
    const before = await stat(seg);
    const buf = await readFile(seg);
    const at = buf.indexOf('lead', buf.length >> 1);
    await new Promise((r) => setTimeout(r, 20));
    const fh = await openFile(seg, 'r+');
    await fh.write(Buffer.from('LEAD'), 0, 4, at);
    await fh.close();
    await utimes(seg, before.atime, before.mtime);
    expect((await stat(seg)).size).toBe(before.size);
    const infos: string[] = [];
    await expect(small(infos)).rejects.toThrow(new RegExp(segs[1]!.replace('.', '\\.')));
    expect(infos.some((m) => m.includes('no longer matches the runs journal'))).toBe(true);
  });

  it('segments with the same bytes under new inodes (a data dir copied elsewhere) still use the snapshot, after a full check', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-snap-'));
    dirs.push(dir);
    await seed(dir, 0, 40);
    const good = await open(dir);
    const expected = await contents(good, 40);
    await good.close();
    for (const n of await readdir(join(dir, 'journal'))) {
      if (!n.endsWith('.jsonl')) continue;
      const f = join(dir, 'journal', n);
      await copyFile(f, `${f}.copy`);
      await rename(`${f}.copy`, f);
    }
    const infos: string[] = [];
    const s = await open(dir, infos);
    expect(usedSnapshot(infos)).toBe(true);
    const got = await contents(s, 40);
    await s.close();
    expect(got.count).toBe(expected.count);
    expect(got.runs).toEqual(expected.runs);
  });

  it('a snapshot written before segment stamps existed is still used (every covered byte checked) — and refused when a covered byte changed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-snap-'));
    dirs.push(dir);
    await seed(dir, 0, 30);
    const file = join(dir, 'journal', INDEX_SNAPSHOT);
    // the same snapshot with the stamps taken out of its manifest, as the previous release wrote it
    const buf = await readFile(file);
    const mLen = buf.readUInt32LE(12);
    const manifest = JSON.parse(buf.toString('utf8', 16, 16 + mLen)) as { journals: Record<string, { stamp?: unknown }[]> };
    let stamps = 0;
    for (const list of Object.values(manifest.journals)) for (const c of list) if (c.stamp) (delete c.stamp, stamps++);
    expect(stamps).toBeGreaterThan(0);
    const blobs = buf.subarray(16 + mLen + ((8 - ((16 + mLen) % 8)) % 8), buf.length - 4);
    const m = Buffer.from(JSON.stringify(manifest));
    const head = Buffer.alloc(16);
    buf.copy(head, 0, 0, 12);
    head.writeUInt32LE(m.length, 12);
    const body = Buffer.concat([head, m, Buffer.alloc((8 - ((16 + m.length) % 8)) % 8), blobs]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(crc32(body));
    const old = Buffer.concat([body, tail]);
    await writeFile(file, old);
    const infos: string[] = [];
    const s = await open(dir, infos);
    expect(usedSnapshot(infos)).toBe(true);
    expect((await contents(s, 30)).count).toBe(30);
    await s.close();
    // once more with that old snapshot, and a covered line changed in place (same length)
    await writeFile(file, old);
    const seg = join(dir, 'journal', 'runs-000001.jsonl');
    const text = await readFile(seg, 'utf8');
    await writeFile(seg, text.replace('lead3@', 'LEAD3@'));
    const infos2: string[] = [];
    await expect(open(dir, infos2)).rejects.toThrow(/runs-000001\.jsonl/);
    expect(infos2.some((m) => m.includes('no longer matches the runs journal'))).toBe(true);
  });
});

describe('SnapWriter.writeFile', () => {
  it('writes the same bytes as encode(), in slices with a turn of the event loop between them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowdesk-snapwriter-'));
    dirs.push(dir);
    const w = new SnapWriter();
    const big = new Uint32Array(300_000).map((_, i) => i * 7);
    const refs = [w.add(big), w.add(new Uint8Array([1, 2, 3])), w.add(new Float64Array([0.5, -1, 1e300])), w.add(new Int32Array(70_000).fill(-3), 65_000)];
    const manifest = { refs, note: 'x'.repeat(100) };
    // the arrays were copied at add(): changing them now changes nothing written
    big.fill(0);
    const file = join(dir, 'snap.bin');
    const fh = await openFile(file, 'w');
    const written = await w.writeFile(fh, manifest, 64 * 1024).finally(() => fh.close());
    const bytes = await readFile(file);
    expect(written).toBe(bytes.length);
    expect(bytes.equals(w.encode(manifest))).toBe(true);
    // ~1.5 MB in 64 KB slices: the loop got a turn at least once per slice
    expect(w.yields).toBeGreaterThanOrEqual(Math.floor(bytes.length / (64 * 1024)) - 1);
    const r = SnapReader.decode(bytes)!;
    expect(r.get(refs[0]!, 'u32')[299_999]).toBe(299_999 * 7);
    expect([...r.get(refs[1]!, 'u8')]).toEqual([1, 2, 3]);
    expect([...r.get(refs[2]!, 'f64')]).toEqual([0.5, -1, 1e300]);
    expect(r.get(refs[3]!, 'i32').length).toBe(65_000);
  });

  it('a timer due meanwhile runs before the write is done (the snapshot never holds the loop to its end)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowdesk-snapwriter-'));
    dirs.push(dir);
    const w = new SnapWriter();
    w.add(new Uint8Array(4 << 20).fill(9));
    const fh = await openFile(join(dir, 'snap.bin'), 'w');
    let ticks = 0;
    let doneAtTick = -1;
    const tick = setInterval(() => ticks++, 0);
    await w.writeFile(fh, {}, 256 * 1024).then(() => (doneAtTick = ticks)).finally(() => fh.close());
    clearInterval(tick);
    expect(w.yields).toBeGreaterThanOrEqual(15);
    expect(doneAtTick).toBeGreaterThan(0);
  });

  it('the copy at the snapshot instant goes into memory reserved (and touched) beforehand in slices: nothing allocated then, same bytes', async () => {
    const arrays = [new Uint32Array(200_000).map((_, i) => i), new Float64Array(30_000).fill(2.5), new Uint8Array(1001).fill(7)];
    const measure = new SnapWriter({ measure: true });
    for (const a of arrays) measure.add(a);
    expect(measure.bytes).toBe(800_000 + 240_000 + 1008);
    let turns = 0;
    const pool = await SnapWriter.reserve(measure.bytes, 64 * 1024, () => turns++);
    expect(turns).toBe(Math.ceil(measure.bytes / (64 * 1024)));
    const pooled = new SnapWriter({ pool });
    const fresh = new SnapWriter();
    const refs = arrays.map((a) => pooled.add(a));
    for (const a of arrays) fresh.add(a);
    expect(pooled.allocated).toBe(0);
    expect(fresh.allocated).toBe(800_000 + 240_000 + 1001);
    expect(pooled.encode({ refs }).equals(fresh.encode({ refs }))).toBe(true);
    // a pool that turns out too small (the indexes grew meanwhile): the rest is allocated, bytes unchanged
    const small = new SnapWriter({ pool: await SnapWriter.reserve(800_000) });
    for (const a of arrays) small.add(a);
    expect(small.allocated).toBe(240_000 + 1001);
    expect(small.encode({ refs }).equals(fresh.encode({ refs }))).toBe(true);
  });

  it('release() gives a reserved pool\'s memory back at once, while the Buffer is still referenced (no collection needed)', async () => {
    const arrayBuffers = () => process.memoryUsage().arrayBuffers;
    const pool = await SnapWriter.reserve(32 << 20);
    const held = arrayBuffers();
    expect(SnapWriter.release(pool)).toBe(true);
    expect(pool.length).toBe(0);
    // freed as the channel's handles close, a few turns of the loop later
    for (let i = 0; i < 50 && held - arrayBuffers() < 30 << 20; i++) await new Promise((r) => setTimeout(r, 2));
    expect(held - arrayBuffers()).toBeGreaterThanOrEqual(30 << 20);
    // a Buffer that shares its memory with others (a slice, Node's small-Buffer slab) is left alone
    const whole = Buffer.alloc(1024, 1);
    expect(SnapWriter.release(whole.subarray(8))).toBe(false);
    expect(SnapWriter.release(Buffer.from('tiny'))).toBe(false);
    expect(whole[1023]).toBe(1);
  });
});

describe('the store\'s index snapshot memory', () => {
  it('is given back as soon as the snapshot is written, not when a collection comes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowdesk-snapmem-'));
    dirs.push(dir);
    const reserve = vi.spyOn(SnapWriter, 'reserve');
    try {
      await seed(dir, 0, 40);
      expect(reserve).toHaveBeenCalled();
      const pools = await Promise.all(reserve.mock.results.map((r) => r.value as Promise<Buffer>));
      // every pool the store reserved is empty now; the snapshot it went into is still good
      expect(pools.map((p) => p.length)).toEqual(pools.map(() => 0));
      const infos: string[] = [];
      const s = await open(dir, infos);
      expect(usedSnapshot(infos)).toBe(true);
      expect(await s.countRuns()).toBe(40);
      await s.close();
    } finally {
      reserve.mockRestore();
    }
  });
});
