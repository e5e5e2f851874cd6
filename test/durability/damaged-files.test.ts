// Damage done for real to a stopped data dir's files: the store knows what it acknowledged (the
// checkpoint and the sequence numbers in every line) and refuses to start when any of it is missing,
// naming the file and the missing range; compaction and retention remove data without tripping it;
// with FLOWDESK_FSYNC=0 a missing tail is a warning; `npm run repair` starts from what remains and
// reports what was lost. And the lock holds whatever happens to its file.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createLowdbStore, type LowdbStore, type LowdbStoreOptions } from '../../apps/runtime/src/store/lowdb/index.ts';
import { nodeFiles } from '../../apps/runtime/src/store/lowdb/file-layer.ts';
import { tearSmall } from '../support/file-layers.ts';
import { StoreDataLostError } from '../../apps/runtime/src/store/types.ts';
import { makeFlow, makeRun, at } from '../../apps/runtime/src/store/store.contract.ts';
import { REPO, tempDir } from '../support/runtime.ts';
import { runChildToExit, startChildRuntime } from '../support/child.ts';
import { flowsDirWith } from '../support/runtime.ts';

const dirs: string[] = [];
const stores: LowdbStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir('flowdesk-damage-');
  dirs.push(d);
  return d;
}

async function open(dataDir: string, extra: Partial<LowdbStoreOptions> = {}, warnings: string[] = []): Promise<LowdbStore> {
  const s = createLowdbStore({ dataDir, fsync: true, log: { warn: (m) => warnings.push(m) }, ...extra });
  await s.open();
  stores.push(s);
  return s;
}

async function refusal(dataDir: string, extra: Partial<LowdbStoreOptions> = {}): Promise<StoreDataLostError> {
  const err = await createLowdbStore({ dataDir, fsync: true, log: { warn: () => {} }, ...extra })
    .open()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StoreDataLostError);
  return err as StoreDataLostError;
}

/** A stopped data dir holding 150 runs (one line each) in its runs journal. */
async function withRuns(n = 150, extra: Partial<LowdbStoreOptions> = {}) {
  const d = dir();
  const s = await open(d, extra);
  const runs = Array.from({ length: n }, (_, i) => makeRun(i + 1, { idempotencyKey: `key-${i}` }));
  for (const r of runs) await s.createRun(r, { flowId: 'f1', key: r.idempotencyKey!, now: at(0), expiresAt: at(86_400) });
  await s.close();
  stores.splice(stores.indexOf(s), 1);
  return { d, runs, seg: join(d, 'journal', 'runs-000001.jsonl') };
}

const lineEnds = (file: string): number[] => {
  const buf = readFileSync(file);
  const out: number[] = [];
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) out.push(i + 1);
  return out;
};

describe('acknowledged data that went missing stops the start', () => {
  it('the runs journal cut at a line boundary (75 of 150 lines kept): refused naming the file and the missing entries; nothing touched', async () => {
    const { d, seg } = await withRuns();
    const ends = lineEnds(seg);
    truncateSync(seg, ends[74]!);
    const size = statSync(seg).size;
    const err = await refusal(d);
    expect(err.file).toBe(seg);
    expect(err.message).toContain('runs-000001.jsonl');
    expect(err.message).toMatch(/sequence numbers 76–150 are gone/);
    expect(err.message).toContain('npm run repair');
    expect(statSync(seg).size).toBe(size);
  });

  it('a cut in the middle of an acknowledged line is loss, not "a torn tail never acknowledged"', async () => {
    const { d, seg } = await withRuns();
    const ends = lineEnds(seg);
    truncateSync(seg, ends[119]! - 30);
    const size = statSync(seg).size;
    const err = await refusal(d);
    expect(err.message).toMatch(/sequence numbers 120–150 are gone/);
    expect(statSync(seg).size).toBe(size);
  });

  it('a deleted runs journal, flows snapshot or timers log is refused by name', async () => {
    // runs journal
    const a = await withRuns(20);
    rmSync(a.seg);
    expect((await refusal(a.d)).message).toMatch(/runs-000001\.jsonl: .*the file is missing/);

    // a flows snapshot that holds the flows (after its change log was folded into it)
    const b = dir();
    let s = await open(b, { compactBytes: 2048 });
    for (let v = 0; v < 30; v++) await s.putFlow(makeFlow('a', { description: 'x'.repeat(200) }), at(v));
    await s.idle();
    await s.close();
    stores.length = 0;
    const snapshot = JSON.parse(readFileSync(join(b, 'db', 'flows.json'), 'utf8')) as { gen: number; items: object };
    expect(snapshot.gen).toBeGreaterThan(0);
    expect(Object.keys(snapshot.items).length).toBeGreaterThan(0);
    rmSync(join(b, 'db', 'flows.json'));
    expect((await refusal(b)).message).toMatch(/flows\.json: the file is missing; it held \d+ acknowledged items/);

    // a timers change log
    const c = dir();
    s = await open(c);
    for (let i = 0; i < 5; i++) await s.putTimer({ id: `t${i}`, kind: 'run', dueAt: at(100 + i), runId: `r${i}` });
    await s.close();
    stores.length = 0;
    const log = readdirSync(join(c, 'db')).find((n) => n.startsWith('timers.log-'))!;
    rmSync(join(c, 'db', log));
    const err = await refusal(c);
    expect(err.file).toBe(join(c, 'db', log));
    expect(err.message).toMatch(/the file is missing; it held \d+ acknowledged bytes; entries with sequence numbers 1–5 are gone/);
  });

  it('a deleted checkpoint, while the journals carry sequence numbers, is refused too', async () => {
    const { d } = await withRuns(5);
    rmSync(join(d, 'checkpoint-a.json'), { force: true });
    rmSync(join(d, 'checkpoint-b.json'), { force: true });
    expect((await refusal(d)).message).toMatch(/checkpoint .* is missing while the journals carry sequence numbers/);
  });

  it('compaction and retention remove runs legitimately: the next start is clean', async () => {
    const d = dir();
    const opts = { segmentBytes: 8192, compactBytes: 2048 };
    let s = await open(d, opts);
    const runs = Array.from({ length: 80 }, (_, i) => makeRun(i + 1));
    for (const r of runs) await s.createRun(r);
    for (const [i, r] of runs.entries()) if (i < 70) await s.saveRun({ ...r, status: 'succeeded', cursor: null, endedAt: at(i < 50 ? 100 : 10_000), updatedAt: at(100) });
    for (let i = 0; i < 200; i++) await s.transitionRecord({ entity: 'account', key: `k${i % 10}`, to: `s${i}`, at: at(i), cause: {} });
    expect(await s.pruneRuns(at(1000))).toBe(50);
    await s.idle();
    expect(s.stats().rewrites).toBeGreaterThan(0);
    await s.close();
    stores.length = 0;
    const warnings: string[] = [];
    s = await open(d, opts, warnings);
    expect(await s.countRuns()).toBe(30);
    expect(warnings).toEqual([]);
  });

  it('with FLOWDESK_FSYNC=0 a missing tail (as after a power cut) is a warning, and the store starts from what remains', async () => {
    const { d, seg, runs } = await withRuns(40, { fsync: false });
    truncateSync(seg, lineEnds(seg)[29]!);
    const warnings: string[] = [];
    const s = await open(d, { fsync: false }, warnings);
    expect(warnings.some((w) => w.includes('runs-000001.jsonl') && w.includes('FLOWDESK_FSYNC=0'))).toBe(true);
    expect(s.losses()).toEqual([expect.objectContaining({ file: 'journal/runs-000001.jsonl', what: expect.stringMatching(/31–40 are gone/) })]);
    expect(await s.countRuns()).toBe(30);
    expect(await s.getRun(runs[29]!.id)).toBeDefined();
    // and the loss is not reported again: what remains is what is acknowledged now
    await s.close();
    stores.length = 0;
    const again: string[] = [];
    await open(d, { fsync: false }, again);
    expect(again).toEqual([]);
  });

  it('npm run repair starts from what remains and reports what was lost; then the store opens', async () => {
    const { d, seg, runs } = await withRuns(30);
    // a review and a timer point at runs that will be lost
    let s = await open(d);
    await s.putDoc('reviews', { id: `${runs[25]!.id}:review`, runId: runs[25]!.id, flowId: 'f1', nodeId: 'review', queue: 'q', title: 't', decisions: ['approved'], sop: [], context: {}, status: 'open', createdAt: at(1) });
    await s.putTimer({ id: `run:${runs[28]!.id}`, kind: 'run', dueAt: at(5000), runId: runs[28]!.id });
    await s.close();
    stores.length = 0;
    truncateSync(seg, lineEnds(seg)[19]!);
    // and a line in the middle of the records journal no longer reads
    const out = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'apps/runtime/src/cli/repair.ts'), '--data-dir', d], { cwd: REPO, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/LOST {2}journal\/runs-000001\.jsonl: .*sequence numbers 21–30 are gone/);
    expect(out.stdout).toContain(`MISSING RUN  ${runs[25]!.id} (referenced by review`);
    expect(out.stdout).toContain(`MISSING RUN  ${runs[28]!.id} (referenced by timer run:${runs[28]!.id})`);
    expect(out.stdout).toContain('20 runs remain');
    s = await open(d);
    expect(await s.countRuns()).toBe(20);
  });

  it('repair sets an unreadable file aside and keeps its good lines', async () => {
    const { d, seg, runs } = await withRuns(10);
    const text = readFileSync(seg, 'utf8').split('\n');
    text[4] = text[4]!.replace('"status":"running"', '"status":"runnin"'); // its CRC no longer matches
    writeFileSync(seg, text.join('\n'));
    const out = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'apps/runtime/src/cli/repair.ts'), '--data-dir', d], { cwd: REPO, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/SET ASIDE {2}.*runs-000001\.jsonl: 1 unreadable line\(s\).* 9 kept \(original: .*runs-000001\.jsonl\.damaged-/);
    const s = await open(d);
    expect(await s.countRuns()).toBe(9);
    expect(await s.getRun(runs[4]!.id)).toBeUndefined();
    expect(await s.getRun(runs[5]!.id)).toBeDefined();
    expect(readdirSync(join(d, 'journal')).some((n) => n.startsWith('runs-000001.jsonl.damaged-'))).toBe(true);
  });

  it('checkpoint writes that fail (torn in place, then ENOSPC) never leave both checkpoint files unreadable', async () => {
    const d = dir();
    let failing = false;
    const files: typeof nodeFiles = {
      ...nodeFiles,
      async openSmall(file) {
        const h = await nodeFiles.openSmall(file);
        return {
          async rewrite(data, sync) {
            if (!failing) return h.rewrite(data, sync);
            tearSmall(file, data); // half the new text over the old one: its CRC no longer matches
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          },
          close: () => h.close(),
        };
      },
    };
    const s = createLowdbStore({ dataDir: d, fsync: true, files, log: { warn: () => {} } });
    await s.open();
    const runs = Array.from({ length: 20 }, (_, i) => makeRun(i + 1));
    for (const r of runs.slice(0, 10)) await s.createRun(r);
    await new Promise((r) => setTimeout(r, 50)); // a checkpoint after those
    failing = true;
    for (const r of runs.slice(10)) {
      await s.createRun(r);
      await new Promise((ok) => setTimeout(ok, 30)); // several checkpoint attempts, all failing
    }
    await s.close(); // its final checkpoint fails too
    const again = await open(d);
    for (const r of runs) expect(await again.getRun(r.id)).toBeDefined();
  });

  it('a torn tail that was never acknowledged is still just dropped with a warning', async () => {
    const { d, seg } = await withRuns(5);
    appendFileSync(seg, '{"h":{"id":"torn","f":"f1","s":"running","c":"2030-01-01T00:00:00.000Z","q":6,"crc":1},"d":{"id":"to');
    const warnings: string[] = [];
    const s = await open(d, {}, warnings);
    expect(warnings.some((w) => w.includes('torn'))).toBe(true);
    expect(await s.countRuns()).toBe(5);
  });
});

describe('the data dir lock', () => {
  it('a second runtime is refused naming the first one’s pid, even after the lock file was deleted', { timeout: 120_000 }, async () => {
    const d = dir();
    const flowsDir = flowsDirWith(['lead-qualification']);
    dirs.push(flowsDir);
    const env = { FLOWDESK_DATA_DIR: d, FLOWDESK_FLOWS_DIR: flowsDir };
    const first = await startChildRuntime(env);
    try {
      rmSync(join(d, 'flowdesk.lock'));
      const second = await runChildToExit(env);
      expect(second.code).not.toBe(0);
      expect(second.output).toContain(`in use by another Flowdesk runtime (pid ${first.proc.pid}`);
      // the first one still serves
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    } finally {
      await first.kill('SIGKILL');
    }
  });
});
