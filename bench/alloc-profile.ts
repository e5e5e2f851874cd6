// node --import tsx bench/alloc-profile.ts — what the runtime allocates per event, by function: V8's
// sampling heap profiler (bench/alloc-probe.mjs, preloaded) counts every sampled allocation, also those
// already freed, while the lead flow runs paced at BENCH_RATE (1,000)/s for BENCH_SECONDS (8) after a
// warm-up (BENCH_RATE=0: at saturation). Prints bytes per event: the total, the top functions by their
// own allocations and by everything allocated under them. Allocation is what the scavenger pays for;
// bench/gc-counters.ts gives what of it is promoted. BENCH_TOP (30); BENCH_ALLOC_CALLERS=byteLength,split:
// who calls those functions, by bytes; BENCH_ALLOC_SURVIVORS=1: only allocations that outlived a scavenge.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drain, envNum, isMain, loadAvg, lowdbBackend, machine, REPO, roundSettings, startFlowdesk, sendLoad, startReceiverProcess, tmp, writeResult } from './lib.ts';
import { shortUrl } from './profile-summary.ts';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface AllocNode {
  callFrame: CallFrame;
  selfSize: number;
  children: AllocNode[];
}

export interface AllocRow {
  name: string;
  where: string;
  bytesPerEvent: number;
}

export interface AllocSummary {
  bytesPerEvent: number;
  self: AllocRow[];
  /** each function counted once per stack (recursion does not count twice) */
  inclusive: AllocRow[];
}

const located = (f: CallFrame): string => `${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;

/** Where a frame of a bundle with a source map (the runtime's main.mjs) was written: the .ts file and line. */
export function sourceLocator(): (f: CallFrame) => string {
  const maps = new Map<string, SourceMap | undefined>();
  return (f) => {
    if (!f.url.startsWith('file://')) return located(f);
    const file = fileURLToPath(f.url);
    if (!maps.has(file)) maps.set(file, existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : undefined);
    const e = maps.get(file)?.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    return e?.originalSource && e.originalLine !== undefined ? `${relative(REPO, resolve(dirname(file), e.originalSource))}:${e.originalLine + 1}` : located(f);
  };
}

export function summariseAllocations(head: AllocNode, events: number, top = 30, where: (f: CallFrame) => string = located): AllocSummary {
  const n = Math.max(1, events);
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const keyOf = (f: CallFrame) => `${f.functionName || '(anonymous)'}\t${where(f)}`;
  let total = 0;
  // returns the bytes allocated in the subtree; adds them to every distinct function on the way down
  const walk = (node: AllocNode, onStack: Set<string>): number => {
    const k = keyOf(node.callFrame);
    self.set(k, (self.get(k) ?? 0) + node.selfSize);
    total += node.selfSize;
    const fresh = !onStack.has(k);
    if (fresh) onStack.add(k);
    let sub = node.selfSize;
    for (const c of node.children) sub += walk(c, onStack);
    if (fresh) {
      onStack.delete(k);
      incl.set(k, (incl.get(k) ?? 0) + sub);
    }
    return sub;
  };
  walk(head, new Set());
  const rows = (m: Map<string, number>): AllocRow[] =>
    [...m]
      .filter(([k]) => !k.startsWith('(root)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => {
        const [name, where] = k.split('\t') as [string, string];
        return { name, where, bytesPerEvent: v / n };
      });
  return { bytesPerEvent: total / n, self: rows(self), inclusive: rows(incl) };
}

/** Who calls `name` (the two frames above it), by the bytes allocated under that call: which caller of a
 * library function (Buffer.byteLength, String.prototype.split) the allocations belong to. */
export function callersOf(head: AllocNode, name: string, events: number, top = 8, where: (f: CallFrame) => string = located): AllocRow[] {
  const by = new Map<string, number>();
  const size = (n: AllocNode): number => n.children.reduce((a, c) => a + size(c), n.selfSize);
  const walk = (node: AllocNode, up: AllocNode[]): void => {
    if ((node.callFrame.functionName || '(anonymous)') === name) {
      const k = up.slice(-2).reverse().map((f) => `${f.callFrame.functionName || '(anonymous)'} ${where(f.callFrame)}`).join(' < ');
      by.set(k, (by.get(k) ?? 0) + size(node));
      return;
    }
    for (const c of node.children) walk(c, [...up, node]);
  };
  walk(head, []);
  return [...by].sort((a, b) => b[1] - a[1]).slice(0, top).map(([where, v]) => ({ name, where, bytesPerEvent: v / Math.max(1, events) }));
}

async function waitForFile(file: string, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (!existsSync(file)) {
    if (performance.now() > until) throw new Error(`the runtime wrote no allocation profile to ${file}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

export async function runAllocProfile(): Promise<{ machine: string; loadAvg: number; rate: number; events: number; callers: AllocRow[] } & AllocSummary> {
  const { seconds, connections } = roundSettings();
  const rate = envNum('BENCH_RATE', 1000);
  const file = join(tmp('flowdesk-alloc-'), 'runtime.heapprofile');
  const receiver = await startReceiverProcess();
  const rt = await startFlowdesk({
    receiverUrl: receiver.url,
    backend: lowdbBackend(),
    nodeFlags: ['--import', join(REPO, 'bench/alloc-probe.mjs')],
    env: { FLOWDESK_ALLOC_PROFILE: file, FLOWDESK_ALLOC_SURVIVORS: process.env.BENCH_ALLOC_SURVIVORS === '1' ? '1' : '0' },
  });
  try {
    const send = (s: number, t: string) => sendLoad(rt.url, { seconds: s, connections, rate, tag: t });
    await send(3, 'alloc-warm');
    await drain(rt.url);
    process.kill(rt.pid, 'SIGUSR2');
    await new Promise((ok) => setTimeout(ok, 200));
    const r = await send(seconds, 'alloc');
    await drain(rt.url); // the runs' allocations count too
    process.kill(rt.pid, 'SIGUSR2');
    await waitForFile(file, 30_000);
    await new Promise((ok) => setTimeout(ok, 200)); // written in one call; let it finish
    const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: AllocNode };
    const callers = (process.env.BENCH_ALLOC_CALLERS ?? '').split(',').filter(Boolean).flatMap((name) => callersOf(profile.head, name, r.accepted, 8, sourceLocator()));
    return { machine: machine(), loadAvg: loadAvg(), rate, events: r.accepted, ...summariseAllocations(profile.head, r.accepted, envNum('BENCH_TOP', 30), sourceLocator()), callers };
  } finally {
    await rt.stop();
    await receiver.close();
    rmSync(dirname(file), { recursive: true, force: true });
  }
}

if (isMain(import.meta.filename)) {
  const res = await runAllocProfile();
  console.log(`\nalloc-profile — ${res.machine}, load average ${res.loadAvg}, ${res.rate > 0 ? `paced ${res.rate}/s` : 'saturation'}, ${res.events} events`);
  console.log(`allocated per event: ${(res.bytesPerEvent / 1000).toFixed(1)} KB (sampled every 4 KB on average)`);
  const table = (title: string, rows: AllocRow[]) => {
    console.log(`\n${title}`);
    for (const r of rows) console.log(`${r.bytesPerEvent.toFixed(0).padStart(7)} B  ${r.name}  ${r.where}`);
  };
  table('by own allocations (B per event)', res.self);
  table('by everything allocated under the function (B per event)', res.inclusive);
  if (res.callers.length) table('callers of BENCH_ALLOC_CALLERS (B per event under that call)', res.callers);
  console.log(`results: ${writeResult('alloc-profile', res)}`);
}
