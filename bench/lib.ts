// Shared benchmark plumbing: child servers, autocannon with unique bodies, seeding finished runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync, mkdtempSync, cpSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import type { Run } from '@flowdesk/schema';
import { createStore } from '../apps/runtime/src/store/index.ts';

export const REPO = resolve(import.meta.dirname, '..');

export interface Child {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startChild(script: string, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO, script)], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running at (http:\/\/[^\s]+)/.exec(out);
      if (m) ok(m[1]!);
    });
    proc.once('exit', (c) => fail(new Error(`${script} exited ${c}: ${out}`)));
  });
  return {
    url,
    proc,
    stop: () =>
      new Promise((ok) => {
        if (proc.exitCode !== null) return ok();
        proc.once('exit', () => ok());
        proc.kill('SIGTERM');
      }),
  };
}

/** A local receiver the flow's action calls (loopback only). */
export async function startReceiver(): Promise<{ url: string; count: () => number; close(): Promise<void> }> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, count: () => n, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** The benchmark's lead flow: contract, idempotency key, scoring, routing, one call to the receiver. */
export function benchFlowsDir(receiverUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-bench-flows-'));
  cpSync(join(REPO, 'flows/state-map.json'), join(dir, 'state-map.json'));
  writeFileSync(
    join(dir, 'bench-lead.json'),
    JSON.stringify({
      dsl: 1, id: 'bench-lead', name: 'Bench lead',
      trigger: {
        type: 'webhook', path: 'lead', auth: { type: 'none' },
        payloadSchema: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' }, budget: { type: 'number', minimum: 0 } } },
        idempotencyKey: { var: 'payload.email' }, dedupeWindow: '24h',
      },
      nodes: [
        { id: 'score', type: 'compute', set: { fit: { if: [{ '>=': [{ var: 'payload.budget' }, 5000] }, 80, 30] } } },
        { id: 'route', type: 'route', rules: [{ port: 'fast', when: { '>=': [{ var: 'vars.fit' }, 70] } }], default: 'slow' },
        { id: 'notify', type: 'action', action: 'http.request', params: { method: 'POST', url: `${receiverUrl}/crm`, body: { email: '{{payload.email}}', fit: '{{vars.fit}}' } } },
        { id: 'fast-end', type: 'end' },
        { id: 'slow-end', type: 'end' },
      ],
      edges: [
        { from: 'trigger', to: 'score' }, { from: 'score', to: 'route' },
        { from: 'route', port: 'fast', to: 'notify' }, { from: 'route', port: 'slow', to: 'slow-end' },
        { from: 'notify', to: 'fast-end' },
      ],
    }),
  );
  return dir;
}

let seq = 0;
export interface LoadResult {
  requestsPerSec: number;
  accepted: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  durationS: number;
}

/** autocannon with a unique e-mail per request; `rate` = overall requests/s cap (undefined = saturation). */
export async function load(url: string, opts: { seconds: number; connections?: number; rate?: number; tag: string }): Promise<LoadResult> {
  const tag = `${opts.tag}-${process.pid}-${Date.now()}`;
  const connections = opts.connections ?? 50;
  const res = await autocannon({
    url: `${url}/hooks/lead`,
    method: 'POST',
    connections,
    duration: opts.seconds,
    overallRate: opts.rate,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `u${seq++}-${tag}@example.com`, budget: seq % 2 ? 9000 : 100 }) }),
      },
    ],
  });
  return {
    requestsPerSec: res.requests.average,
    accepted: res['2xx'],
    non2xx: res.non2xx,
    errors: res.errors + res.timeouts,
    p50: res.latency.p50,
    p99: res.latency.p99,
    max: res.latency.max,
    durationS: res.duration,
  };
}

/** Writes `n` finished runs (and `records` records) straight into a data dir through the store. */
export async function seedFinishedRuns(dataDir: string, n: number, records = 0): Promise<void> {
  if (n === 0 && records === 0) return;
  const store = await createStore({ dataDir, fsync: false });
  await store.open();
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const at = new Date(t0 + i * 1000).toISOString();
    const run: Run = {
      id: `seed-${i.toString(36)}-${'x'.repeat(8)}`, flowId: 'bench-lead', flowVersion: 1, status: 'succeeded', idempotencyKey: `seed${i}@example.com`,
      trigger: { type: 'webhook', path: 'lead' }, payload: { email: `seed${i}@example.com`, budget: 9000 }, headers: {}, vars: { fit: 80 }, cursor: null,
      steps: [
        { nodeId: 'score', status: 'succeeded', output: { fit: 80 }, port: 'out', attempts: [], startedAt: at, endedAt: at },
        { nodeId: 'route', status: 'succeeded', output: { port: 'fast', rule: 0 }, port: 'fast', attempts: [], startedAt: at, endedAt: at },
        { nodeId: 'notify', status: 'succeeded', output: { status: 200, body: { ok: true } }, port: 'ok', attempts: [{ at, status: 200, durationMs: 2 }], startedAt: at, endedAt: at },
        { nodeId: 'fast-end', status: 'succeeded', attempts: [], startedAt: at, endedAt: at },
      ],
      createdAt: at, startedAt: at, updatedAt: at, endedAt: at,
    };
    batch.push(store.createRun(run, { flowId: 'bench-lead', key: run.idempotencyKey!, expiresAt: at, now: at }));
    if (batch.length >= 2000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  for (let i = 0; i < records; i++) {
    batch.push(store.transitionRecord({ entity: 'account', key: `rec${i}@example.com`, to: 'captured', at: new Date(t0).toISOString(), cause: { manual: true }, expectFrom: null }));
    if (batch.length >= 2000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  await store.close();
}

/** Waits until no run is open; returns the seconds it took. */
export async function drain(url: string, timeoutMs = 300_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    const open = await Promise.all(
      ['queued', 'running', 'waiting'].map(async (s) => ((await (await fetch(`${url}/api/runs?status=${s}&limit=1`)).json()) as unknown[]).length),
    );
    if (open.every((n) => n === 0)) return (Date.now() - start) / 1000;
    if (Date.now() - start > timeoutMs) throw new Error('runs did not drain');
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export function writeResult(name: string, data: unknown): string {
  const dir = join(REPO, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

export const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
