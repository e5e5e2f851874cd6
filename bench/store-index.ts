// The embedded store's in-memory indexes, measured in-process (issue 18: RSS after 100k runs, restart
// after SIGKILL; issue 11: heap per accepted lead). Seeds N finished runs through the Store API, each
// with what a lead leaves behind (its dedupe claim, an account record, a KPI fact, and for some leads a
// parked review and an outbox mail), then prints the heap bytes per item of each structure (measured
// after a full GC, one structure at a time), and reopens the store to print where the start's
// milliseconds go (reading the files, parsing line headers, building the indexes).
//   node --expose-gc --import tsx bench/store-index.ts [--runs 100000] [--rounds 3]
// Writes bench/results/store-index.json.
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { Run } from '@flowdesk/schema';
import { createLowdbStore, type LowdbStore } from '../apps/runtime/src/store/lowdb/index.ts';
import { parseLine } from '../apps/runtime/src/store/lowdb/journal.ts';
import { scanLines } from '../apps/runtime/src/store/lowdb/fsutil.ts';
import { loadAvg, machine, tmp, writeResult } from './lib.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const N = Number(args.get('runs') ?? 100_000);
const ROUNDS = Number(args.get('rounds') ?? 3);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
/** JS heap plus ArrayBuffer backing stores (typed arrays live outside the JS heap, but in the RSS). */
function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc!();
  return getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
}

const uuid = (i: number) => {
  const h = (i * 2654435761 >>> 0).toString(16).padStart(8, '0');
  return `${h}-${(i & 0xffff).toString(16).padStart(4, '0')}-4${h.slice(0, 3)}-8${h.slice(3, 6)}-${i.toString(16).padStart(12, '0')}`;
};
const t0 = Date.parse('2026-01-01T00:00:00Z');
const at = (i: number) => new Date(t0 + i * 1000).toISOString();

function leadRun(i: number): Run {
  const a = at(i);
  const email = `lead${i}@example.com`;
  return {
    id: uuid(i), flowId: 'lead-qualification', flowVersion: 1, status: 'succeeded', idempotencyKey: email,
    trigger: { type: 'webhook', path: 'lead' }, payload: { email, budget: 9000 }, headers: {}, vars: { fit: 80 }, cursor: null,
    record: { entity: 'account', key: email },
    steps: [{ nodeId: 'score', status: 'succeeded', output: { fit: 80 }, port: 'out', attempts: [], startedAt: a, endedAt: a }],
    createdAt: a, startedAt: a, updatedAt: a, endedAt: a,
  };
}

async function inBatches(n: number, one: (i: number) => Promise<unknown>): Promise<void> {
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(one(i));
    if (batch.length >= 2000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
}

interface Part { name: string; items: number; bytesPerItem: number }

async function seed(dir: string): Promise<{ parts: Part[]; total: number }> {
  const store = createLowdbStore({ dataDir: dir, fsync: false, log: { warn: () => {} } });
  await store.open();
  const parts: Part[] = [];
  let last = heapUsed();
  const base = last;
  const step = (name: string, items: number) => {
    const now = heapUsed();
    parts.push({ name, items, bytesPerItem: (now - last) / items });
    last = now;
  };
  await inBatches(N, (i) => {
    const r = leadRun(i);
    return store.createRun(r, { flowId: r.flowId, key: r.idempotencyKey!, expiresAt: new Date(t0 + 86_400_000 * 400).toISOString(), now: r.createdAt });
  });
  step('run (index entry + dedupe claim)', N);
  await inBatches(N, (i) => store.transitionRecord({ entity: 'account', key: `lead${i}@example.com`, to: 'qualified', at: at(i), cause: { manual: true } }));
  step('record (account)', N);
  await inBatches(N, (i) => store.putDoc('kpiFacts', { id: `run:${uuid(i)}`, kind: 'run', flowId: 'lead-qualification', status: 'succeeded', at: at(i) }));
  step('KPI fact', N);
  const third = Math.floor(N / 3);
  await inBatches(third, (i) => store.putDoc('reviews', { id: `${uuid(i)}:review`, runId: uuid(i), flowId: 'lead-qualification', nodeId: 'review', queue: 'leads', decisions: ['approved', 'rejected'], status: 'open', createdAt: at(i) } as never));
  step('parked review', third);
  await inBatches(third * 2, (i) => store.putDoc('outbox', { id: `m-${uuid(i)}`, to: [`lead${i}@example.com`], subject: 'Thanks', text: 'Hello', createdAt: at(i) } as never));
  step('outbox mail', third * 2);
  const total = last - base;
  await store.close();
  return { parts, total };
}

async function journalBytes(dir: string): Promise<number> {
  const jd = join(dir, 'journal');
  let n = 0;
  for (const f of await readdir(jd)) n += (await stat(join(jd, f))).size;
  return n;
}

/** Where the start's time goes: raw reads, the same plus line parsing (CRC, header JSON), the real open. */
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

async function restart(dir: string): Promise<{ readMs: number; parseMs: number; openMs: number; openCpuMs: number; parseCpuMs: number; heapPerRunAfterOpen: number }> {
  const jd = join(dir, 'journal');
  const files = (await readdir(jd)).filter((f) => f.endsWith('.jsonl')).map((f) => join(jd, f));
  let t = performance.now();
  const buf = Buffer.allocUnsafe(4 << 20);
  for (const f of files) {
    const fh = await open(f, 'r');
    while ((await fh.read(buf, 0, buf.length, null)).bytesRead > 0);
    await fh.close();
  }
  const readMs = performance.now() - t;
  t = performance.now();
  let c = process.cpuUsage();
  let lines = 0;
  for (const f of files) await scanLines(f, (b, s, e) => (parseLine(b, s, e) ? ++lines > 0 : false));
  const parseMs = performance.now() - t;
  const parseCpuMs = cpuMs(c);
  const before = heapUsed();
  t = performance.now();
  c = process.cpuUsage();
  const store: LowdbStore = createLowdbStore({ dataDir: dir, fsync: true, log: { warn: () => {} } });
  await store.open();
  const openMs = performance.now() - t;
  const openCpuMs = cpuMs(c);
  const heapPerRunAfterOpen = (heapUsed() - before) / N;
  await store.close();
  return { readMs, parseMs, openMs, openCpuMs, parseCpuMs, heapPerRunAfterOpen };
}

const dir = tmp('flowdesk-bench-index-');
try {
  const t = performance.now();
  const { parts, total } = await seed(dir);
  const seedS = (performance.now() - t) / 1000;
  const bytes = await journalBytes(dir);
  console.log(`store index — ${machine()}, load average ${loadAvg()}, ${N} finished lead runs seeded in ${seedS.toFixed(1)} s, journals ${(bytes / 2 ** 20).toFixed(0)} MiB`);
  console.log('heap + array-buffer bytes per item (after full GC):');
  for (const p of parts) console.log(`  ${p.name.padEnd(34)} ${p.bytesPerItem.toFixed(0).padStart(6)}  × ${p.items}`);
  console.log(`  ${'all of it, per lead'.padEnd(34)} ${(total / N).toFixed(0).padStart(6)}`);
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await restart(dir);
    rounds.push(r);
    console.log(`reopen ${i + 1}: read files ${r.readMs.toFixed(0)} ms, read + parse every line ${r.parseMs.toFixed(0)} ms (CPU ${r.parseCpuMs.toFixed(0)}), open() ${r.openMs.toFixed(0)} ms (CPU ${r.openCpuMs.toFixed(0)}); heap after open ${r.heapPerRunAfterOpen.toFixed(0)} B per lead`);
  }
  console.log(`→ ${writeResult('store-index', { machine: machine(), loadAvg: loadAvg(), runs: N, journalBytes: bytes, parts, perLead: total / N, rounds })}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
