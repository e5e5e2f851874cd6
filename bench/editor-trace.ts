// The editor bench's two measurements under a Chromium trace, for one or more builds interleaved (A/B on
// a shared machine, where wall-clock figures move with the load): the renderer main thread's CPU time
// from navigation to first render and per moved frame of the in-page drag, split by what it was spent
// on (script, style/layout, paint/compositing, parse/compile, GC).
//   BENCH_EDITOR_DISTS=<dir>[,<dir>…] BENCH_RUNS=3 node --import tsx bench/editor-trace.ts
// (default: the repo's own build.) BENCH_TRACE_DIR=<dir> keeps each round's trace (load it in DevTools).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startRuntime } from '../apps/runtime/src/index.ts';
import { ensureEditorBuilt, DIST } from '../test/e2e/helpers/build.ts';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../test/e2e/helpers/app.ts';
import { driverDrag, generateFlow, inPageDrag, waitFirstRender } from './editor.ts';
import { isMain, tmp } from './lib.ts';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: Record<string, unknown> };
}

const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'toplevel', 'v8', 'v8.execute', 'blink', 'cc', 'gpu', 'loading'];

/** What a trace event's own time (its duration less its children's) counts as. */
function kindOf(name: string): string {
  if (/^(V8\.GC|MajorGC|MinorGC|V8\.GCScavenger|V8\.GCFinalizeMC|BlinkGC|V8\.GC_)/.test(name) || name.includes('GC')) return 'gc';
  if (/Compile|Parse|V8\.Deserialize|v8\.compile|v8\.parseOnBackground|CompileCode|CompileScript|CacheScript/.test(name)) return 'parse/compile';
  if (/^(FunctionCall|EvaluateScript|v8\.run|v8\.callFunction|TimerFire|EventDispatch|FireAnimationFrame|RunMicrotasks|V8\.Execute|v8\.evaluateModule|XHRReadyStateChange|ResizeObserver|ProfileCall)/.test(name)) return 'script';
  if (/^(UpdateLayoutTree|RecalculateStyles|ParseAuthorStyleSheet|ScheduleStyleRecalculation)/.test(name)) return 'style';
  if (/^(Layout|UpdateLayout|LocalFrameView::layout|IntersectionObserverController|ComputeIntersections)/.test(name)) return 'layout';
  if (/^(Paint|PrePaint|Layerize|UpdateLayer|CompositeLayers|Commit|PaintImage|RasterTask|Decode|UpdateLayerTree|LocalFrameView::RunPaintLifecyclePhase|PaintArtifactCompositor)/.test(name)) return 'paint/composite';
  if (/^(ParseHTML)/.test(name)) return 'html';
  return 'other';
}

interface Window {
  cpuMs: number;
  byKind: Record<string, number>;
  /** the same renderer's other threads (compositor, raster workers): top-level events' thread time */
  otherThreadsMs: number;
}

/** Thread time of the top-level events of every thread of `pid` but `mainTid` in [from, to]. */
function otherThreads(events: TraceEvent[], pid: number, mainTid: number, from: number, to: number): number {
  const byTid = new Map<number, TraceEvent[]>();
  for (const e of events) if (e.pid === pid && e.tid !== mainTid && e.ph === 'X' && e.ts >= from && e.ts <= to) (byTid.get(e.tid) ?? byTid.set(e.tid, []).get(e.tid)!).push(e);
  let ms = 0;
  for (const evs of byTid.values()) {
    evs.sort((a, b) => a.ts - b.ts);
    let end = -Infinity;
    for (const e of evs) {
      if (e.ts < end) continue;
      end = e.ts + (e.dur ?? 0);
      ms += (e.tdur ?? 0) / 1000;
    }
  }
  return ms;
}

/** Renderer main-thread CPU in [from, to] (trace µs): top-level tasks' thread time, and their own thread time by kind. */
export function mainThread(events: TraceEvent[], from: number, to: number): Window {
  // the page's renderer: the CrRendererMain thread that spent the most in the window
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    const k = `${e.pid}:${e.tid}`;
    if (!mains.has(k) || e.ph !== 'X' || e.ts < from || e.ts > to) continue;
    (byThread.get(k) ?? byThread.set(k, []).get(k)!).push(e);
  }
  let best: Window = { cpuMs: 0, byKind: {}, otherThreadsMs: 0 };
  for (const [thread, evs] of byThread) {
    evs.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
    let cpu = 0;
    const byKind: Record<string, number> = {};
    // a stack of open events: each event's own time is its duration less its direct children's
    // (an event of no known kind counts as its nearest ancestor's kind: Layout's performLayout is layout)
    const stack: { e: TraceEvent; end: number; child: number; kind: string }[] = [];
    const close = (upTo: number) => {
      while (stack.length && stack[stack.length - 1]!.end <= upTo) {
        const s = stack.pop()!;
        const own = Math.max(0, (s.e.tdur ?? s.e.dur ?? 0) - s.child);
        byKind[s.kind] = (byKind[s.kind] ?? 0) + own / 1000;
        if (stack.length) stack[stack.length - 1]!.child += s.e.tdur ?? s.e.dur ?? 0;
      }
    };
    for (const e of evs) {
      close(e.ts);
      if (!stack.length && (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask')) cpu += (e.tdur ?? e.dur ?? 0) / 1000;
      const own = e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask' ? 'other' : kindOf(e.name);
      const kind = own === 'other' && stack.length ? stack[stack.length - 1]!.kind : own;
      stack.push({ e, end: e.ts + (e.dur ?? 0), child: 0, kind });
    }
    close(Infinity);
    if (cpu > best.cpuMs) {
      const [pid, tid] = thread.split(':').map(Number) as [number, number];
      best = { cpuMs: cpu, byKind, otherThreadsMs: otherThreads(events, pid, tid, from, to) };
    }
  }
  return best;
}

export const markTs = (events: TraceEvent[], name: string): number | undefined => events.find((e) => e.name === name && e.cat.includes('blink.user_timing'))?.ts;

interface Round {
  build: string;
  firstRenderMs: number;
  render: Window;
  dragMoves: number;
  dragFps: number;
  drag: Window;
}

async function round(page: Page, url: string, total: number, dragMs: number): Promise<Omit<Round, 'build' | 'render' | 'drag'> & { events: TraceEvent[] }> {
  const browser = page.context().browser()!;
  await browser.startTracing(page, { categories: CATEGORIES });
  await page.goto(url, { waitUntil: 'commit' });
  const firstRenderMs = await waitFirstRender(page, total);
  // the bench's sequence: a drag through Playwright's mouse (selects n7, opens the side panel), then
  // the measured in-page drag
  await page.waitForTimeout(500);
  await driverDrag(page, dragMs);
  await page.waitForTimeout(300);
  const inPage = await inPageDrag(page, dragMs);
  await page.waitForTimeout(200);
  const buf = await browser.stopTracing();
  const events = (JSON.parse(buf.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  return { firstRenderMs, dragMoves: inPage.moved, dragFps: inPage.moved / inPage.secs, events };
}

export const fmtKinds = (w: Window, per = 1) =>
  Object.entries(w.byKind)
    .filter(([, v]) => v / per >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${Math.round(v / per)}`)
    .join(', ');

async function main(): Promise<void> {
  const dists = (process.env.BENCH_EDITOR_DISTS ?? '').split(',').filter(Boolean);
  if (!dists.length) {
    await ensureEditorBuilt();
    dists.push(DIST);
  }
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const dragMs = Number(process.env.BENCH_DRAG_MS ?? 3000);
  const keep = process.env.BENCH_TRACE_DIR;
  if (keep) mkdirSync(keep, { recursive: true });
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  const flow = generateFlow(Number(process.env.BENCH_NODES ?? 300));
  const total = flow.nodes.length + 1;
  const dataDirs: string[] = [];
  const rts = [];
  for (const dist of dists) {
    const dataDir = tmp('flowdesk-bench-trace-');
    dataDirs.push(dataDir);
    const rt = await startRuntime({ port: 0, dataDir, editorDir: dist, fsync: false, log: quiet as never });
    const put = await fetch(`${rt.url}/api/flows/${flow.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(flow) });
    if (!put.ok) throw new Error(`deploy failed: ${put.status} ${await put.text()}`);
    rts.push(rt);
  }
  // BENCH_CHROMIUM_EXTRA: more Chromium flags (space-separated), e.g. to A/B a browser setting
  const extra = (process.env.BENCH_CHROMIUM_EXTRA ?? '').split(' ').filter(Boolean);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extra] });
  const rounds: Round[] = [];
  const loads: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      // alternate the order so that neither build always goes first
      const order = dists.map((_, i) => i);
      if (r % 2) order.reverse();
      for (const i of order) {
        loads.push(loadavg()[0]!);
        const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        const page = await ctx.newPage();
        const res = await round(page, `${rts[i]!.url}/flows/${flow.id}`, total, dragMs);
        await ctx.close();
        const nav = res.events.find((e) => e.name === 'navigationStart')?.ts ?? res.events.find((e) => e.ph === 'X')!.ts;
        const fr = markTs(res.events, 'fd-first-render')!;
        const d0 = markTs(res.events, 'fd-drag-start')!;
        const d1 = markTs(res.events, 'fd-drag-end')!;
        const row: Round = { build: dists[i]!, firstRenderMs: res.firstRenderMs, render: mainThread(res.events, nav, fr), dragMoves: res.dragMoves, dragFps: res.dragFps, drag: mainThread(res.events, d0, d1) };
        rounds.push(row);
        if (keep) writeFileSync(join(keep, `round${r}-build${i}.json`), JSON.stringify({ traceEvents: res.events }));
        const perMove = Math.max(1, res.dragMoves);
        console.log(
          `round ${r + 1} build ${i} (${dists[i]}): first render ${row.firstRenderMs} ms wall, ${Math.round(row.render.cpuMs)} ms main-thread CPU [${fmtKinds(row.render)}]; ` +
            `drag ${row.dragFps.toFixed(1)} fps, ${Math.round(row.drag.cpuMs / perMove)} ms CPU per moved frame [${fmtKinds(row.drag, perMove)}] + ${Math.round(row.drag.otherThreadsMs / perMove)} ms on the renderer's other threads (load ${loadavg()[0]!.toFixed(1)})`,
        );
      }
    }
  } finally {
    await browser.close();
    for (const rt of rts) await rt.close();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  }
  console.log(`\n${browser.version()}, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  dists.forEach((d, i) => {
    const rs = rounds.filter((r) => r.build === d);
    console.log(
      `build ${i} (${d}): first render median ${med(rs.map((r) => r.firstRenderMs))} ms wall, ${Math.round(med(rs.map((r) => r.render.cpuMs)))} ms CPU; ` +
        `drag median ${med(rs.map((r) => r.dragFps)).toFixed(1)} fps, ${Math.round(med(rs.map((r) => r.drag.cpuMs / Math.max(1, r.dragMoves))))} ms CPU per moved frame`,
    );
  });
}

/** `--files <trace.json>…`: the same figures from traces kept with BENCH_TRACE_DIR. */
function analyse(files: string[]): void {
  for (const f of files) {
    const events = (JSON.parse(readFileSync(f, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
    const nav = events.find((e) => e.name === 'navigationStart')?.ts ?? 0;
    const render = mainThread(events, nav, markTs(events, 'fd-first-render') ?? Infinity);
    const d0 = markTs(events, 'fd-drag-start'), d1 = markTs(events, 'fd-drag-end');
    const drag = d0 && d1 ? mainThread(events, d0, d1) : undefined;
    console.log(`${f}: first render ${Math.round(render.cpuMs)} ms CPU [${fmtKinds(render)}]${drag ? `; drag ${Math.round(drag.cpuMs)} ms CPU [${fmtKinds(drag)}] + ${Math.round(drag.otherThreadsMs)} ms other threads` : ''}`);
  }
}

if (isMain(import.meta.filename)) {
  const i = process.argv.indexOf('--files');
  if (i >= 0) analyse(process.argv.slice(i + 1));
  else await main();
}
