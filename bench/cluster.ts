// npm run bench:cluster — three runtime processes (as `npm start` runs them) on one PostgreSQL: how long a
// change made through one instance takes to be what the others serve. Each change (a deploy, a switch off,
// a switch on) goes to a random instance; the other two are polled (GET /api/flows/probe, every ~2 ms)
// until they answer the new state. Times from the change's 200 (committed) to the other instance's first
// answer with it — so they include one poll round trip. Target ≤ 1 s.
//   BENCH_CHANGES (40), BENCH_BACKEND must be postgres (it is the only shared store)
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNum, fmt, isMain, loadAvg, machine, postgresBackend, REPO, RUNTIME_NODE_FLAGS, runtimeEntry, startChild, tmp, writeResult, type Backend, type Child } from './lib.ts';

export interface ClusterResult {
  machine: string;
  loadAvg: number;
  instances: number;
  changes: number;
  /** ms from the change's answer to each other instance serving it */
  propagationMs: { p50: number; p90: number; max: number; mean: number };
  /** ms from sending the change to every other instance serving it */
  endToEndMs: { p50: number; max: number };
  targetMs: number;
}

/** required on PostgreSQL, and the same on every instance (it seals the connections they share) */
const CLUSTER_MASTER_KEY = Buffer.alloc(32, 42).toString('base64');

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

const probeFlow = (version: number) => ({
  dsl: 1,
  id: 'probe',
  name: `Probe ${version}`,
  trigger: { type: 'webhook', path: 'probe', auth: { type: 'none' } },
  nodes: [{ id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'end' }],
});

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function runCluster(backend: Backend, o: { changes?: number } = {}): Promise<ClusterResult> {
  const changes = o.changes ?? envNum('BENCH_CHANGES', 40);
  const databaseUrl = await backend.freshDatabase();
  if (!databaseUrl) throw new Error('bench:cluster needs PostgreSQL (several instances share only a database)');
  const flowsDir = mkdtempSync(join(tmpdir(), 'flowdesk-bench-flows-'));
  cpSync(join(REPO, 'flows/state-map.json'), join(flowsDir, 'state-map.json'));
  const dataDirs: string[] = [];
  const nodes: Child[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const dataDir = tmp('flowdesk-bench-data-');
      dataDirs.push(dataDir);
      nodes.push(
        await startChild(runtimeEntry(), { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_DATABASE_URL: databaseUrl, FLOWDESK_MASTER_KEY: CLUSTER_MASTER_KEY, FLOWDESK_FSYNC: '1', FLOWDESK_LOG_LEVEL: 'warn' }, RUNTIME_NODE_FLAGS),
      );
    }
    const propagation: number[] = [];
    const endToEnd: number[] = [];
    let version = 0;
    let active = true;
    for (let i = 0; i < changes; i++) {
      const origin = Math.floor(Math.random() * nodes.length);
      const others = nodes.filter((_, j) => j !== origin);
      const sent = performance.now();
      // a deploy every third change, otherwise the active flag flips
      let expect: (f: { version?: number; active?: boolean }) => boolean;
      if (i % 3 === 0 || version === 0) {
        const r = await json(`${nodes[origin]!.url}/api/flows/probe`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(probeFlow(version + 1)) });
        if (r.status !== 200) throw new Error(`deploy answered ${r.status}: ${JSON.stringify(r.body)}`);
        version = r.body.version as number;
        active = true;
        const v = version;
        expect = (f) => f.version === v && f.active === true;
      } else {
        active = !active;
        const r = await json(`${nodes[origin]!.url}/api/flows/probe/active`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ active }) });
        if (r.status !== 200) throw new Error(`switch answered ${r.status}`);
        const v = version;
        const a = active;
        expect = (f) => f.version === v && f.active === a;
      }
      const answered = performance.now();
      const seen = await Promise.all(
        others.map(async (n) => {
          for (;;) {
            const f = await json(`${n.url}/api/flows/probe`);
            if (f.status === 200 && expect(f.body)) return performance.now();
            if (performance.now() - answered > 30_000) throw new Error(`instance ${n.url} did not see change ${i} within 30 s`);
            await new Promise((r) => setTimeout(r, 2));
          }
        }),
      );
      for (const t of seen) propagation.push(t - answered);
      endToEnd.push(Math.max(...seen) - sent);
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      machine: machine(),
      loadAvg: loadAvg(),
      instances: nodes.length,
      changes,
      propagationMs: { p50: q(propagation, 0.5), p90: q(propagation, 0.9), max: Math.max(...propagation), mean: propagation.reduce((a, b) => a + b, 0) / propagation.length },
      endToEndMs: { p50: q(endToEnd, 0.5), max: Math.max(...endToEnd) },
      targetMs: 1000,
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    for (const d of [...dataDirs, flowsDir]) rmSync(d, { recursive: true, force: true });
  }
}

export function printCluster(r: ClusterResult): void {
  console.log(`\ncluster — ${r.instances} runtime processes on one PostgreSQL, ${r.machine}, load average ${r.loadAvg}`);
  console.log(
    `a change made through one instance served by the others after: p50 ${fmt(r.propagationMs.p50, 0, 1)} ms, p90 ${fmt(r.propagationMs.p90, 0, 1)} ms, max ${fmt(r.propagationMs.max, 0, 1)} ms ` +
      `(${r.changes} changes; target ≤ ${r.targetMs} ms: ${r.propagationMs.max <= r.targetMs ? 'met' : 'NOT met'})`,
  );
  console.log(`from sending the change to both others serving it: p50 ${fmt(r.endToEndMs.p50, 0, 1)} ms, max ${fmt(r.endToEndMs.max, 0, 1)} ms`);
}

if (isMain(import.meta.filename)) {
  const backend = await postgresBackend();
  try {
    const r = await runCluster(backend);
    printCluster(r);
    console.log(`results: ${writeResult('cluster', r)}`);
  } finally {
    await backend.close();
  }
}
