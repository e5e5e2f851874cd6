import { mkdtemp, readFile, readdir, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { runStoreContract, makeRun, at } from '../store.contract.ts';
import { StoreCorruptError, StoreLockedError } from '../types.ts';
import { createLowdbStore, type LowdbStore, type LowdbStoreOptions } from './index.ts';
import { nodeFiles, type FileLayer } from './file-layer.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'flowdesk-store-'));
  dirs.push(d);
  return d;
}

function harness(extra: Partial<LowdbStoreOptions> = {}) {
  return async () => {
    const dataDir = await tempDir();
    const warnings: string[] = [];
    const make = () => createLowdbStore({ dataDir, fsync: true, log: { warn: (m) => warnings.push(m) }, ...extra });
    let current = make();
    await current.open();
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = make();
        await current.open();
        return current;
      },
      cleanup: async () => {
        await current.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  };
}

runStoreContract('lowdb', harness());
// the same contract with tiny segments and collection logs: rolling, compaction and pruning across many files
runStoreContract('lowdb (small segments)', harness({ segmentBytes: 4096, compactBytes: 2048 }));

describe('lowdb store specifics', () => {
  const open: LowdbStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => {});
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  async function openStore(dataDir: string, extra: Partial<LowdbStoreOptions> = {}, warnings: string[] = []): Promise<LowdbStore> {
    const s = createLowdbStore({ dataDir, fsync: true, log: { warn: (m) => warnings.push(m) }, ...extra });
    await s.open();
    open.push(s);
    return s;
  }

  it('lays out one lowdb file per collection and journal segments', async () => {
    const dir = await tempDir();
    const s = await openStore(dir);
    await s.createRun(makeRun(1));
    expect((await readdir(join(dir, 'db'))).filter((n) => n.endsWith('.json')).sort()).toEqual(
      ['alerts', 'connections', 'flows', 'settings', 'timers'].map((n) => `${n}.json`),
    );
    const journal = await readdir(join(dir, 'journal'));
    for (const j of ['runs', 'rejected', 'records', 'reviews', 'deadLetters', 'tasks', 'outbox', 'kpiFacts']) expect(journal).toContain(`${j}-000001.jsonl`);
    expect(await readFile(join(dir, 'flowdesk.lock'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('drops a torn last line of a journal segment with a warning', async () => {
    const dir = await tempDir();
    let s = await openStore(dir);
    const a = makeRun(1);
    const b = makeRun(2);
    await s.createRun(a);
    await s.createRun(b);
    await s.close();
    const seg = join(dir, 'journal', 'runs-000001.jsonl');
    const good = (await stat(seg)).size;
    await appendFile(seg, '{"h":{"id":"torn","f":"f1","s":"running","c":"2030-01-01T00:00:00.000Z","crc":1},"d":{"id":"to');
    const warnings: string[] = [];
    s = await openStore(dir, {}, warnings);
    expect(warnings.some((w) => w.includes('torn') && w.includes('runs-000001.jsonl'))).toBe(true);
    expect((await stat(seg)).size).toBe(good);
    expect(await s.countRuns()).toBe(2);
    expect(await s.getRun(b.id)).toEqual(b);
    // appends continue on a clean line boundary
    const c = makeRun(3);
    await s.createRun(c);
    await s.close();
    s = await openStore(dir);
    expect(await s.getRun(c.id)).toEqual(c);
    expect(await s.countRuns()).toBe(3);
  });

  it('drops a torn last line of a collection log with a warning', async () => {
    const dir = await tempDir();
    let s = await openStore(dir);
    await s.putTimer({ id: 't1', kind: 'run', dueAt: at(1) });
    await s.close();
    const log = (await readdir(join(dir, 'db'))).find((n) => n.startsWith('timers.log-'))!;
    await appendFile(join(dir, 'db', log), '{"k":"t2","v":{"id":"t2"');
    const warnings: string[] = [];
    s = await openStore(dir, {}, warnings);
    expect(warnings.some((w) => w.includes(log))).toBe(true);
    expect((await s.listTimers()).map((t) => t.id)).toEqual(['t1']);
  });

  it('a bad line in the middle of a segment stops open() naming the file, and leaves it untouched', async () => {
    const dir = await tempDir();
    const s = await openStore(dir);
    for (let i = 1; i <= 3; i++) await s.createRun(makeRun(i));
    await s.close();
    const seg = join(dir, 'journal', 'runs-000001.jsonl');
    const lines = (await readFile(seg, 'utf8')).split('\n');
    lines[1] = lines[1].replace('"status":"running"', '"status":"runnin"'); // crc no longer matches
    const corrupt = lines.join('\n');
    await writeFile(seg, corrupt);
    const err = await createLowdbStore({ dataDir: dir, fsync: true, log: { warn: () => {} } })
      .open()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).file).toBe(seg);
    expect((err as Error).message).toContain('runs-000001.jsonl');
    expect(await readFile(seg, 'utf8')).toBe(corrupt);
    // the failed open released the lock
    await expect(readFile(join(dir, 'flowdesk.lock'))).rejects.toThrow();
  });

  it('a truncated line in the middle (not at the end) is corruption, not a torn tail', async () => {
    const dir = await tempDir();
    const s = await openStore(dir);
    for (let i = 1; i <= 3; i++) await s.createRun(makeRun(i));
    await s.close();
    const seg = join(dir, 'journal', 'runs-000001.jsonl');
    const lines = (await readFile(seg, 'utf8')).split('\n');
    lines[0] = lines[0].slice(0, 40);
    await writeFile(seg, lines.join('\n'));
    const err = await createLowdbStore({ dataDir: dir, fsync: false }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).file).toBe(seg);
  });

  it.each(['flows', 'timers', 'settings', 'alerts'])('a corrupt lowdb file (%s.json) stops open() naming it, unchanged', async (name) => {
    const dir = await tempDir();
    const s = await openStore(dir);
    await s.putFlow({ dsl: 1, id: 'a', name: 'A', trigger: { type: 'manual' }, nodes: [], edges: [] }, at(1));
    await s.close();
    const file = join(dir, 'db', `${name}.json`);
    const bad = '{"gen":0,"items":{"x":';
    await writeFile(file, bad);
    const err = await createLowdbStore({ dataDir: dir, fsync: true, log: { warn: () => {} } })
      .open()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).file).toBe(file);
    expect((err as Error).message).toContain(`${name}.json`);
    expect(await readFile(file, 'utf8')).toBe(bad);
    // and again: still refused, still untouched (never replaced with empty data)
    await expect(createLowdbStore({ dataDir: dir, fsync: true }).open()).rejects.toBeInstanceOf(StoreCorruptError);
    expect(await readFile(file, 'utf8')).toBe(bad);
  });

  it('an empty lowdb file is corrupt too', async () => {
    const dir = await tempDir();
    const s = await openStore(dir);
    await s.close();
    await writeFile(join(dir, 'db', 'timers.json'), '');
    await expect(createLowdbStore({ dataDir: dir, fsync: true }).open()).rejects.toBeInstanceOf(StoreCorruptError);
  });

  it('a corrupt line in the middle of a collection log stops open() naming it', async () => {
    const dir = await tempDir();
    const s = await openStore(dir);
    await s.putDoc('settings', { id: 'a' });
    await s.putDoc('settings', { id: 'b' });
    await s.close();
    const log = join(dir, 'db', (await readdir(join(dir, 'db'))).find((n) => n.startsWith('settings.log-'))!);
    const text = await readFile(log, 'utf8');
    await writeFile(log, `{oops\n${text}`);
    const err = await createLowdbStore({ dataDir: dir, fsync: true }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).file).toBe(log);
  });

  it('a second store on the same data dir is refused; close() releases the lock', async () => {
    const dir = await tempDir();
    const s = await openStore(dir);
    const err = await createLowdbStore({ dataDir: dir, fsync: true }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreLockedError);
    await s.close();
    await expect(readFile(join(dir, 'flowdesk.lock'))).rejects.toThrow();
    const again = await openStore(dir);
    expect(await again.countRuns()).toBe(0);
  });

  /** A real store in a child process holding `dir`; resolves once it is open. */
  async function storeInChild(dir: string) {
    const script = `
      import { createLowdbStore } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)};
      const s = createLowdbStore({ dataDir: ${JSON.stringify(dir)}, fsync: true });
      await s.open();
      process.stdout.write('open\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
    await new Promise<void>((ok, fail) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('open') && ok());
      child.once('exit', (code) => fail(new Error(`child exited with ${code}`)));
    });
    return child;
  }

  it('a data dir held by a live Flowdesk process is refused naming its pid, even with its lock file deleted', async () => {
    const dir = await tempDir();
    const child = await storeInChild(dir);
    try {
      const err = await createLowdbStore({ dataDir: dir, fsync: true }).open().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreLockedError);
      expect((err as Error).message).toContain(`another Flowdesk runtime (pid ${child.pid}`);
      // the lock is the process, not the file: deleting the file unlocks nothing
      await rm(join(dir, 'flowdesk.lock'));
      const again = await createLowdbStore({ dataDir: dir, fsync: true }).open().catch((e: unknown) => e);
      expect(again).toBeInstanceOf(StoreLockedError);
      expect((again as Error).message).toContain(`pid ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // its holder SIGKILLed: the lock went with it
    const warnings: string[] = [];
    const s = await openStore(dir, {}, warnings);
    expect(await readFile(join(dir, 'flowdesk.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await s.close();
  });

  it('a lock file naming a live process that is not a Flowdesk runtime is stale: taken over, and said so', async () => {
    const dir = await tempDir();
    // a live process that is not us and holds nothing
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((r) => other.once('spawn', r));
    try {
      await writeFile(join(dir, 'flowdesk.lock'), `${other.pid}\n`);
      const warnings: string[] = [];
      const s = await openStore(dir, {}, warnings);
      expect(warnings.some((w) => w.includes('stale lock') && w.includes(`pid ${other.pid} is alive but is not a Flowdesk runtime`))).toBe(true);
      expect(await readFile(join(dir, 'flowdesk.lock'), 'utf8')).toBe(`${process.pid}\n`);
      await s.close();
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a real store in a child process, SIGKILLed mid-burst: every acknowledged run is there, the lock is taken over', async () => {
    const dir = await tempDir();
    const script = `
      import { createLowdbStore } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)};
      const s = createLowdbStore({ dataDir: ${JSON.stringify(dir)}, fsync: true });
      await s.open();
      let n = 0;
      const run = (i) => ({ id: 'r' + String(i).padStart(8, '0'), flowId: 'f', flowVersion: 1, status: 'running', idempotencyKey: 'k' + i,
        trigger: { type: 'webhook' }, payload: { i }, headers: {}, vars: {}, cursor: 'x', steps: [], createdAt: new Date(1e12 + i).toISOString(),
        startedAt: new Date(1e12 + i).toISOString(), updatedAt: new Date(1e12 + i).toISOString() });
      const fire = () => { const i = n++; s.createRun(run(i), { flowId: 'f', key: 'k' + i, now: new Date().toISOString(), expiresAt: new Date(Date.now() + 864e5).toISOString() })
        .then(() => process.stdout.write('ack ' + i + '\\n')); };
      setInterval(() => { for (let k = 0; k < 50; k++) fire(); }, 1);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
    const acked = new Set<number>();
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const p of parts) if (p.startsWith('ack ')) acked.add(Number(p.slice(4)));
    });
    const deadline = Date.now() + 30_000;
    while (acked.size < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(acked.size).toBeGreaterThanOrEqual(2000);
    const warnings: string[] = [];
    const s = await openStore(dir, {}, warnings);
    const count = await s.countRuns();
    expect(count).toBeGreaterThanOrEqual(acked.size);
    for (const i of acked) expect(await s.getRun('r' + String(i).padStart(8, '0'))).toBeDefined();
    // the claims came back with the runs
    const i = [...acked][0];
    const dup = await s.createRun(makeRun(1), { flowId: 'f', key: 'k' + i, now: new Date().toISOString(), expiresAt: new Date(Date.now() + 1000).toISOString() });
    expect(dup.duplicate).toBe(true);
  });

  it('group commit: 200 concurrent createRun calls share far fewer than 200 fsyncs', async () => {
    const dir = await tempDir();
    const s = await openStore(dir);
    const before = s.stats();
    const runs = Array.from({ length: 200 }, (_, i) => makeRun(i + 1, { idempotencyKey: `k${i}` }));
    await Promise.all(runs.map((r, i) => s.createRun(r, { flowId: 'f1', key: `k${i}`, now: at(0), expiresAt: at(100) })));
    const after = s.stats();
    expect(after.appends - before.appends).toBe(200);
    expect(after.fsyncs - before.fsyncs).toBeLessThanOrEqual(10);
    expect(after.writes - before.writes).toBeLessThanOrEqual(10);
  });

  it('fsync off: writes are batched and nothing is fdatasync-ed', async () => {
    const dir = await tempDir();
    const s = await openStore(dir, { fsync: false });
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.createRun(makeRun(i + 1))));
    expect(s.stats().fsyncs).toBe(0);
    expect(s.stats().writes).toBeLessThan(50);
  });

  it('finished runs are not kept in memory; parked ones are, up to a byte budget; none are read at open', async () => {
    const dir = await tempDir();
    let s = await openStore(dir);
    // a running (or queued) run's snapshot is not kept: its drive holds the run; read back, it is
    const running = makeRun(1000);
    await s.createRun(running);
    expect(s.stats().cachedRuns).toBe(0);
    expect((await s.getRun(running.id))?.status).toBe('running');
    expect(s.stats().cachedRuns).toBe(1);
    await s.saveRun({ ...running, status: 'succeeded', cursor: null, endedAt: at(500), updatedAt: at(500) });
    expect(s.stats().cachedRuns).toBe(0);
    const runs = Array.from({ length: 100 }, (_, i) => makeRun(i + 1, { status: 'waiting' }));
    await Promise.all(runs.map((r) => s.createRun(r)));
    expect(s.stats().cachedRuns).toBe(100);
    await Promise.all(runs.slice(0, 90).map((r) => s.saveRun({ ...r, status: 'succeeded', cursor: null, endedAt: at(500), updatedAt: at(500) })));
    expect(s.stats().cachedRuns).toBe(10);
    // still readable from their segment
    expect((await s.getRun(runs[0].id))?.status).toBe('succeeded');
    expect(s.stats().cachedRuns).toBe(10);
    await s.close();
    s = await openStore(dir);
    // open runs are read when needed (in pages at start), not all at open
    expect(s.stats().cachedRuns).toBe(0);
    expect(s.stats().runs).toBe(101);
    expect((await s.listOpenRuns({ limit: 4 })).map((r) => r.id)).toEqual(runs.slice(90, 94).map((r) => r.id));
    expect(s.stats().cachedRuns).toBe(4);
    await s.close();
    // a small budget: the cache holds what fits, the rest comes from disk
    const json = JSON.stringify(runs[95]).length;
    s = await openStore(dir, { runCacheBytes: json * 5 });
    expect(await s.listOpenRuns()).toHaveLength(10);
    expect(s.stats().cachedRuns).toBeLessThanOrEqual(5);
    expect(s.stats().cachedRunBytes).toBeLessThanOrEqual(json * 5);
  });

  it('a run or document read while its write is still in flight comes whole from memory', async () => {
    const dir = await tempDir();
    // fdatasyncs held until released: the writes are made, none is durable
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const files: FileLayer = {
      ...nodeFiles,
      openAppend: async (file) => {
        const fh = await nodeFiles.openAppend(file);
        return { ...fh, datasync: () => gate.then(() => fh.datasync()) };
      },
    };
    const s = await openStore(dir);
    await s.close();
    const gated = await openStore(dir, { files });
    const fsyncsBefore = gated.stats().fsyncs;
    const run = makeRun(7, { payload: { email: 'ünïcødé@example.com', note: '✓ "quoted" \n line 🚀' } });
    let durable = 0;
    const created = gated.createRun(run).then(() => durable++);
    const doc = { id: 'rv-1', runId: run.id, status: 'open', title: 'Überprüfen ✓' };
    const put = gated.putDoc('reviews', doc as never).then(() => durable++);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(gated.stats().writes).toBeGreaterThan(0);
    const [read, readDoc] = await Promise.all([gated.getRun(run.id), gated.getDoc('reviews', 'rv-1')]);
    expect(durable).toBe(0);
    expect(gated.stats().fsyncs).toBe(fsyncsBefore);
    expect(read).toEqual(run);
    expect(readDoc).toEqual(doc);
    release();
    await Promise.all([created, put]);
    expect(await gated.getRun(run.id)).toEqual(run);
  });

  it('the hot path appends: a createRun never rewrites a file, whatever the history', async () => {
    const dir = await tempDir();
    const s = await openStore(dir);
    await Promise.all(Array.from({ length: 500 }, (_, i) => s.createRun(makeRun(i + 1))));
    const before = s.stats();
    const runsFile = join(dir, 'journal', 'runs-000001.jsonl');
    const size = (await stat(runsFile)).size;
    const r = makeRun(1000);
    await s.createRun(r);
    const after = s.stats();
    expect(after.rewrites).toBe(before.rewrites);
    expect(after.bytes - before.bytes).toBeLessThan(3000);
    expect((await stat(runsFile)).size - size).toBe(after.bytes - before.bytes);
  });

  it('segments roll at the configured size and the index spans them', async () => {
    const dir = await tempDir();
    let s = await openStore(dir, { segmentBytes: 8192 });
    const runs = Array.from({ length: 60 }, (_, i) => makeRun(i + 1));
    for (const r of runs) await s.createRun(r);
    const segs = (await readdir(join(dir, 'journal'))).filter((n) => n.startsWith('runs-'));
    expect(segs.length).toBeGreaterThan(3);
    for (const n of segs) expect((await stat(join(dir, 'journal', n))).size).toBeLessThanOrEqual(8192);
    await s.close();
    s = await openStore(dir, { segmentBytes: 8192 });
    expect(await s.countRuns()).toBe(60);
    expect(await s.getRun(runs[0].id)).toEqual(runs[0]);
    expect(await s.getRun(runs[59].id)).toEqual(runs[59]);
  });

  it('pruneRuns compacts segments: pruned and superseded lines leave the disk; nothing resurrects', async () => {
    const dir = await tempDir();
    let s = await openStore(dir, { segmentBytes: 16384 });
    const runs = Array.from({ length: 80 }, (_, i) => makeRun(i + 1));
    for (const r of runs) await s.createRun(r);
    // finish all but the last 10; the first 50 long ago
    for (const [i, r] of runs.entries()) {
      if (i >= 70) continue;
      await s.saveRun({ ...r, status: 'succeeded', cursor: null, endedAt: at(i < 50 ? 100 : 10_000), updatedAt: at(100) });
    }
    const bytesBefore = await journalBytes(dir);
    expect(await s.pruneRuns(at(1000))).toBe(50);
    const bytesAfter = await journalBytes(dir);
    expect(bytesAfter).toBeLessThan(bytesBefore / 2);
    for (const r of runs.slice(50)) expect((await s.getRun(r.id))?.id).toBe(r.id);
    expect(await s.listOpenRuns()).toHaveLength(10);
    await s.close();
    s = await openStore(dir, { segmentBytes: 16384 });
    expect(await s.countRuns()).toBe(30);
    expect(await s.listOpenRuns()).toHaveLength(10);
    for (const r of runs.slice(0, 50)) expect(await s.getRun(r.id)).toBeUndefined();
    for (const r of runs.slice(50, 70)) expect((await s.getRun(r.id))?.status).toBe('succeeded');
  });

  it('pruneRuns while writes go on: concurrent saves are neither lost nor blocked', async () => {
    const dir = await tempDir();
    const s = await openStore(dir, { segmentBytes: 8192 });
    const old = Array.from({ length: 40 }, (_, i) => makeRun(i + 1));
    for (const r of old) {
      await s.createRun(r);
      await s.saveRun({ ...r, status: 'succeeded', cursor: null, endedAt: at(10), updatedAt: at(10) });
    }
    const live = Array.from({ length: 40 }, (_, i) => makeRun(100 + i));
    await Promise.all(live.map((r) => s.createRun(r)));
    const [pruned] = await Promise.all([
      s.pruneRuns(at(50)),
      ...live.map((r, i) => s.saveRun({ ...r, vars: { i }, updatedAt: at(200) })),
    ]);
    expect(pruned).toBe(40);
    for (const [i, r] of live.entries()) expect((await s.getRun(r.id))?.vars).toEqual({ i });
  });

  it('collection logs are folded into the lowdb file in the background', async () => {
    const dir = await tempDir();
    let s = await openStore(dir, { compactBytes: 4096 });
    for (let i = 0; i < 300; i++) await s.updateDoc('settings', 'ctr', (cur) => ({ id: 'ctr', n: ((cur?.n as number) ?? 0) + 1, pad: 'x'.repeat(50) }));
    await s.close();
    expect(s.stats().rewrites).toBeGreaterThan(0);
    const logs = (await readdir(join(dir, 'db'))).filter((n) => n.startsWith('settings.log-'));
    expect(logs.length).toBeLessThanOrEqual(2);
    const snapshot = JSON.parse(await readFile(join(dir, 'db', 'settings.json'), 'utf8')) as { gen: number; items: Record<string, { n: number }> };
    expect(snapshot.gen).toBeGreaterThan(0);
    s = await openStore(dir, { compactBytes: 4096 });
    expect(await s.getDoc('settings', 'ctr')).toMatchObject({ n: 300 });
  });

  it('records, reviews, tasks, outbox, dead letters and KPI facts keep only an index in memory; a bad line there stops open()', async () => {
    const dir = await tempDir();
    let s = await openStore(dir);
    for (let i = 0; i < 20; i++) await s.transitionRecord({ entity: 'account', key: `k${i}`, to: 'captured', at: at(i), cause: {} });
    await s.putDoc('outbox', { id: 'm1', to: 'a@b.c', body: 'x'.repeat(100) });
    await s.close();
    s = await openStore(dir);
    expect(await s.listRecords({ state: 'captured' })).toHaveLength(20);
    await s.close();
    const file = join(dir, 'journal', 'records-000001.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[3] = lines[3].replace('captured', 'c4ptured');
    await writeFile(file, lines.join('\n'));
    const err = await createLowdbStore({ dataDir: dir, fsync: true }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as StoreCorruptError).file).toBe(file);
  });

  it('open reviews and dead letters are counted from the index: not one document read, however many are parked', async () => {
    const dir = await tempDir();
    let s = await openStore(dir);
    const review = (i: number, status: string) => ({ id: `rv${i}`, runId: `r${i}`, flowId: 'f', nodeId: 'n', queue: 'leads', title: 'Check', decisions: ['ok'], sop: [], context: {}, status, createdAt: at(i) }) as never;
    for (let i = 0; i < 2000; i++) await s.putDoc('reviews', review(i, i % 10 === 0 ? 'resolved' : 'open'));
    await s.putDoc('deadLetters', { id: 'dl1', runId: 'r1', flowId: 'f', nodeId: 'n', error: 'x', status: 'open', createdAt: at(1) } as never);
    const reads = s.stats().docReads;
    expect(await s.countDocs('reviews', 'open')).toBe(1800);
    expect(await s.countDocs('reviews', 'resolved')).toBe(200);
    expect(await s.countDocs('deadLetters', 'open')).toBe(1);
    expect(s.stats().docReads).toBe(reads);
    // after a restart too (from the index snapshot written at close)
    await s.close();
    s = await openStore(dir);
    await s.updateDoc('reviews', 'rv1', (cur) => ({ ...cur!, status: 'resolved' }));
    const reads2 = s.stats().docReads;
    expect(await s.countDocs('reviews', 'open')).toBe(1799);
    expect(s.stats().docReads).toBe(reads2);
  });

  it('superseded document versions are compacted away in the background; deletes stay deleted', async () => {
    const dir = await tempDir();
    const opts = { segmentBytes: 32768, compactBytes: 4096 };
    let s = await openStore(dir, opts);
    for (let round = 0; round < 30; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => s.transitionRecord({ entity: 'account', key: `k${i}`, to: `s${round}`, at: at(round), cause: {} })));
      await s.idle(); // let the background compaction keep up with this burst
    }
    for (let i = 0; i < 30; i++) await s.putDoc('tasks', { id: `t${i}`, pad: 'y'.repeat(200) });
    for (let i = 0; i < 25; i++) await s.deleteDoc('tasks', `t${i}`);
    await s.putDoc('tasks', { id: 't3', back: true });
    await s.idle();
    await s.close();
    expect(s.stats().rewrites).toBeGreaterThan(0);
    const bytes = async (prefix: string) => {
      let n = 0;
      for (const f of await readdir(join(dir, 'journal'))) if (f.startsWith(`${prefix}-`)) n += (await stat(join(dir, 'journal', f))).size;
      return n;
    };
    // 10 records × 30 versions with growing histories written; far less kept
    expect(await bytes('records')).toBeLessThan(0.5 * s.stats().bytes);
    s = await openStore(dir, opts);
    const recs = await s.listRecords({ entity: 'account' });
    expect(recs).toHaveLength(10);
    for (const r of recs) {
      expect(r.state).toBe('s29');
      expect(r.history).toHaveLength(30);
    }
    const tasks = (await s.listDocs('tasks')).map((t) => t.id).sort();
    expect(tasks).toEqual(['t25', 't26', 't27', 't28', 't29', 't3']);
    expect(await s.getDoc('tasks', 't3')).toEqual({ id: 't3', back: true });
  });

  it('the runs journal compacts superseded snapshots in the background once they outweigh the live ones', async () => {
    const dir = await tempDir();
    const opts = { segmentBytes: 8192 };
    let s = await openStore(dir, opts);
    const runs = Array.from({ length: 30 }, (_, i) => makeRun(i + 1));
    await Promise.all(runs.map((r) => s.createRun(r)));
    for (let step = 0; step < 10; step++) {
      await Promise.all(runs.map((r) => s.saveRun({ ...r, vars: { step }, updatedAt: at(100 + step) })));
      await s.idle(); // let the background compaction keep up with this burst
    }
    await s.saveRun({ ...runs[0], status: 'succeeded', cursor: null, endedAt: at(200), updatedAt: at(200) });
    await s.idle();
    await s.close();
    expect(s.stats().rewrites).toBeGreaterThan(0);
    expect(await journalBytes(dir)).toBeLessThan(s.stats().bytes / 3);
    s = await openStore(dir, opts);
    expect(await s.countRuns()).toBe(30);
    for (const r of runs.slice(1)) expect((await s.getRun(r.id))?.vars).toEqual({ step: 9 });
    expect((await s.getRun(runs[0].id))?.status).toBe('succeeded');
  });

  it('createStore answers a store that is open (and open() is idempotent)', async () => {
    const { createStore } = await import('../index.ts');
    const dir = await tempDir();
    const s = await createStore({ dataDir: dir, fsync: false });
    await s.open();
    expect(await s.countRuns()).toBe(0);
    await s.close();
  });
});

async function journalBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(join(dir, 'journal'))) if (f.startsWith('runs-')) n += (await stat(join(dir, 'journal', f))).size;
  return n;
}
