// Shared benchmark plumbing: child servers, autocannon with unique bodies, seeding finished runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync, mkdtempSync, cpSync, readFileSync, rmSync, readdirSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { validateFlow, type Flow, type Run } from '@flowdesk/schema';
import { createStore } from '../apps/runtime/src/store/index.ts';
import { npmStartCommand } from './start-command.ts';
import { recordRunFact } from '../apps/runtime/src/observability/kpi-facts.ts';
import { RETENTION_LAST_RUN_ID } from '../apps/runtime/src/observability/retention-schedule.ts';

export const REPO = resolve(import.meta.dirname, '..');

export interface Child {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

const startCommand = npmStartCommand(REPO);
/**
 * The node flags `npm start` gives the runtime, read from package.json (a bounded old space keeps RSS
 * flat; source maps for readable stack traces).
 */
export const RUNTIME_NODE_FLAGS = startCommand.nodeFlags;
/**
 * The environment `npm start` gives the runtime, read from package.json: glibc's mmap threshold fixed at
 * 128 KB, so a freed large Buffer (a journal batch, a snapshot slice, a scan chunk) goes back to the
 * system instead of raising the threshold and staying in the heap (−30 MiB RSS after 100k runs).
 */
export const RUNTIME_ENV: Record<string, string> = startCommand.env;
/** The bundle `npm start` runs, relative to the repo. */
export const runtimeEntryPath = startCommand.entry;

/** The runtime as `npm start` runs it: the esbuild bundle (built once per benchmark process). */
let bundled = false;
export function runtimeEntry(): string {
  if (!bundled) {
    execFileSync(process.execPath, [join(REPO, 'scripts/build-runtime.mjs')], { cwd: REPO, stdio: 'ignore' });
    bundled = true;
  }
  return runtimeEntryPath;
}

export async function startChild(script: string, env: Record<string, string> = {}, nodeArgs: string[] = [], logFile = process.env.BENCH_CHILD_LOG): Promise<Child> {
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  const proc = spawn(process.execPath, [...nodeArgs, ...loader, resolve(REPO, script)], {
    cwd: REPO,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // BENCH_CHILD_LOG=<file> (or `logFile`): every child's output appended there too (with FLOWDESK_LOG_LEVEL via the env)
  if (logFile) for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (d: Buffer) => appendFileSync(logFile, d));
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
export function benchLeadFlow(receiverUrl: string): Flow {
  const doc = {
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
  };
  const v = validateFlow(doc);
  if (!v.ok || !v.flow) throw new Error(`the bench flow is invalid: ${JSON.stringify(v.errors)}`);
  return v.flow;
}

/** A flows dir holding the bench lead flow (and the repo's state map). */
export function benchFlowsDir(receiverUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-bench-flows-'));
  cpSync(join(REPO, 'flows/state-map.json'), join(dir, 'state-map.json'));
  writeFileSync(join(dir, 'bench-lead.json'), JSON.stringify(benchLeadFlow(receiverUrl)));
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
  /** 2xx answers per second of the measurement (what every table prints) */
  acceptedPerSec: number;
  p90: number;
  mean: number;
  /** paced(): the same latencies counted from when the generator handed each request to its HTTP client
   * (not from its scheduled time), and how late the generator's own timer sent them (p50/p99, ms) */
  fromSend?: { p50: number; p99: number; max: number };
  sendLate?: { p50: number; p99: number; max: number };
}

/**
 * autocannon with a unique e-mail per request; `rate` = overall requests/s cap (undefined = saturation);
 * `amount` = send exactly that many requests instead of running for `seconds`.
 */
export async function load(url: string, opts: { seconds: number; connections?: number; rate?: number; amount?: number; tag: string }): Promise<LoadResult> {
  const tag = `${opts.tag}-${process.pid}-${Date.now()}`;
  const connections = opts.connections ?? 50;
  const res = await autocannon({
    url: `${url}/hooks/lead`,
    method: 'POST',
    connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds }),
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
    acceptedPerSec: res['2xx'] / res.duration,
    p90: res.latency.p90,
    mean: res.latency.average,
  };
}

/**
 * Writes `n` finished runs (and `records` records) straight into a data dir — or, given a database URL,
 * into PostgreSQL — through the store, as a store in use holds them: ended within the last `n` seconds,
 * each with its KPI fact, and a retention pass recorded an hour before.
 */
export async function seedFinishedRuns(dataDir: string, n: number, records = 0, databaseUrl?: string): Promise<void> {
  if (n === 0 && records === 0) return;
  const store = await createStore({ dataDir, fsync: false, databaseUrl });
  const flow = benchLeadFlow('http://127.0.0.1:9/');
  // one run a second, the last a minute ago: inside any retention period, so the history measured stays
  // stored (a history months old was pruned by the retention pass every start begins — during round 1)
  const t0 = Date.now() - 60_000 - n * 1000;
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
    // with its KPI fact, as the runtime writes one for every finished run
    batch.push(store.createRun(run, { flowId: 'bench-lead', key: run.idempotencyKey!, expiresAt: at, now: at }).then(() => recordRunFact(store, run, flow)));
    if (batch.length >= 2000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  for (let i = 0; i < records; i++) {
    batch.push(store.transitionRecord({ entity: 'account', key: `rec${i}@example.com`, to: 'captured', at: new Date(t0).toISOString(), cause: { manual: true }, expectFrom: null }));
    if (batch.length >= 2000) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  // and a retention pass an hour ago, as a store in use has: else the start's overdue pass reads all of
  // the seeded history to look for missing KPI facts while the rounds run
  await store.putDoc('settings', { id: RETENTION_LAST_RUN_ID, at: new Date(Date.now() - 3_600_000).toISOString(), pruned: 0, factsWritten: 0 });
  await store.close();
  await settleSeed(databaseUrl);
}

/**
 * Lets the seeded history settle as it would have on a store that grew over months, so the first round
 * measured does not pay for the seeding's aftermath: PostgreSQL vacuums and analyses the new rows and
 * checkpoints (else autovacuum and the checkpoint after ~100k inserts run during round 1), and the kernel
 * writes the seeded files back (`sync`; they were written without fsync).
 */
async function settleSeed(databaseUrl: string | undefined): Promise<void> {
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('VACUUM (ANALYZE)');
      await client.query('CHECKPOINT');
    } finally {
      await client.end();
    }
  }
  execFileSync('sync');
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

/** How many runs ended dead or failed (at most `limit` counted): the bench flow should produce none. */
export async function badRuns(url: string, limit = 1000): Promise<number> {
  const n = await Promise.all(['dead', 'failed'].map(async (s) => ((await (await fetch(`${url}/api/runs?status=${s}&limit=${limit}`)).json()) as unknown[]).length));
  return n[0]! + n[1]!;
}

/** The machine's 1-minute load average (other work running next to the benchmark skews absolute rates). */
export const loadAvg = (): number => Math.round(loadavg()[0]! * 100) / 100;

/** The middle element by `by` (the upper one of two). */
export const median = <T>(xs: T[], by: (x: T) => number): T => [...xs].sort((a, b) => by(a) - by(b))[Math.floor(xs.length / 2)]!;

/** The median of numbers (the mean of the middle two for an even count). */
export const medianNum = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The CPU's model name, as the kernel reports it (this host's VMs come on more than one). */
export const cpuModel = (): string => cpus()[0]?.model ?? 'cpu';

export function machine(): string {
  return `${cpus().length} × ${cpuModel()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export function writeResult(name: string, data: unknown): string {
  const dir = join(REPO, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

export const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

// ── shared by rates / growth / memory / all ───────────────────────────────────────────────────────

export const envNum = (name: string, dflt: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? dflt : Number(v);
};
export const envList = (name: string, dflt: string): number[] =>
  (process.env[name] ?? dflt)
    .split(',')
    .filter((x) => x.trim() !== '')
    .map(Number);

/** True when `importMetaFilename` is the script node was started with (so a bench can also be imported). */
export const isMain = (importMetaFilename: string): boolean => !!process.argv[1] && resolve(process.argv[1]) === importMetaFilename;

/**
 * How the receiver runs: its collector on its own thread only. It stands in for a service on another
 * machine; with V8's helper threads it preempted the runtime's loop thread for 2–4 ms at a stretch.
 */
export const RECEIVER_NODE_FLAGS = ['--single-threaded-gc'];

/** The action's receiver (bench/receiver.mjs) as a child process, its URL in `url`. */
export const startReceiverChild = (): Promise<Child> => startChild('bench/receiver.mjs', {}, RECEIVER_NODE_FLAGS);

/** The action's receiver in its own process, so that it does not share the load generator's event loop. */
export async function startReceiverProcess(): Promise<{ url: string; count(): Promise<number>; close(): Promise<void> }> {
  const c = await startReceiverChild();
  return {
    url: c.url,
    count: async () => ((await (await fetch(`${c.url}/count`)).json()) as { count: number }).count,
    close: () => c.stop(),
  };
}

/**
 * Where a runtime keeps its state: the embedded lowdb store (a fresh data dir each time) or PostgreSQL
 * (one throwaway server, a fresh database each time).
 */
export interface Backend {
  name: 'lowdb' | 'postgres';
  /** what makes a write durable here, as the server itself reports it (printed with every figure) */
  durability: string;
  /** a fresh, empty database URL (postgres) or undefined (lowdb) */
  freshDatabase(): Promise<string | undefined>;
  close(): Promise<void>;
}

export const lowdbBackend = (): Backend => ({ name: 'lowdb', durability: 'fdatasync per group commit (FLOWDESK_FSYNC=1)', freshDatabase: async () => undefined, close: async () => {} });

/** The settings that decide whether a commit survives power loss; the benchmark runs with all of them on. */
const DURABLE_SETTINGS = ['fsync', 'synchronous_commit', 'full_page_writes'];

export async function postgresBackend(): Promise<Backend> {
  const { startPostgres } = await import('../test/support/postgres.ts');
  const { default: pg } = await import('pg');
  // PostgreSQL's durable defaults, not the tests' fast settings: the figures are what a founder gets
  const server = await startPostgres({ settings: 'durable' });
  const shown: string[] = [];
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    for (const name of [...DURABLE_SETTINGS, 'shared_buffers']) shown.push(`${name}=${(await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]}`);
  } finally {
    await c.end();
  }
  if (shown.some((x) => x.endsWith('=off'))) {
    await server.stop();
    throw new Error(`the benchmark's PostgreSQL is not durable: ${shown.join(' ')}`);
  }
  let n = 0;
  return {
    name: 'postgres',
    durability: shown.join(' '),
    async freshDatabase() {
      const name = `bench_${process.pid}_${++n}`;
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return server.urlFor(name);
    },
    close: () => server.stop(),
  };
}

export const backendFromEnv = async (): Promise<Backend> => ((process.env.BENCH_BACKEND ?? 'lowdb') === 'postgres' ? postgresBackend() : lowdbBackend());

export interface Runtime extends Child {
  pid: number;
  dataDir: string;
  databaseUrl?: string;
  /** seconds from spawn to "running at" (opening the store, rebuilding indexes) */
  startS: number;
}

/**
 * The runtime (`apps/runtime/src/main.ts`) as a child process on the bench lead flow, fsync on, with
 * `history` finished runs and `records` records seeded into its store first. BENCH_CPU_PROF=<dir> writes
 * a V8 CPU profile of the runtime into <dir> (summarise it with `bench/profile-summary.ts`).
 */
export async function startFlowdesk(opts: {
  receiverUrl: string;
  backend: Backend;
  history?: number;
  records?: number;
  env?: Record<string, string>;
  /** a prebuilt bundle to run instead of building this checkout's (A/B comparisons, bench/ab.ts) */
  entry?: string;
  /** more node flags for the runtime (after BENCH_NODE_FLAGS) */
  nodeFlags?: string[];
  /** the runtime's output appended to this file (instead of BENCH_CHILD_LOG) */
  logFile?: string;
}): Promise<Runtime> {
  const dataDir = tmp('flowdesk-bench-data-');
  const flowsDir = benchFlowsDir(opts.receiverUrl);
  const databaseUrl = await opts.backend.freshDatabase();
  await seedFinishedRuns(dataDir, opts.history ?? 0, opts.records ?? 0, databaseUrl);
  const prof = process.env.BENCH_CPU_PROF;
  // (no --cpu-prof-name: the default name carries the pid and thread id, so the loader thread's profile
  // does not overwrite the main thread's)
  // BENCH_NODE_FLAGS: more flags for the runtime's node (e.g. --trace-gc with BENCH_CHILD_LOG)
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const nodeArgs = [...RUNTIME_NODE_FLAGS, ...extra, ...(opts.nodeFlags ?? []), ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${resolve(prof)}`] : [])];
  const t0 = performance.now();
  const rt = await startChild(
    opts.entry ?? runtimeEntry(),
    {
      ...RUNTIME_ENV,
      FLOWDESK_DATA_DIR: dataDir,
      FLOWDESK_FLOWS_DIR: flowsDir,
      FLOWDESK_FSYNC: process.env.BENCH_FSYNC ?? '1', // BENCH_FSYNC=0: only to find the disk's share of a figure
      FLOWDESK_LOG_LEVEL: process.env.BENCH_RUNTIME_LOG_LEVEL ?? 'warn',
      ...(databaseUrl ? { FLOWDESK_DATABASE_URL: databaseUrl, FLOWDESK_MASTER_KEY: Buffer.alloc(32, 42).toString('base64') } : {}),
      ...opts.env,
    },
    nodeArgs,
    opts.logFile,
  );
  const startS = (performance.now() - t0) / 1000;
  return {
    ...rt,
    pid: rt.proc.pid!,
    dataDir,
    databaseUrl,
    startS,
    async stop() {
      await rt.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(flowsDir, { recursive: true, force: true });
    },
  };
}

/** Resident set size (VmRSS) and its peak (VmHWM) of a live process, in MiB, from /proc/<pid>/status. */
export function rssOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

const metricsText = async (url: string): Promise<string> => (await fetch(`${url}/metrics`)).text();

/** One sample of a Prometheus series from the runtime's /metrics (first line with that name). */
export async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await metricsText(url);
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export const fmt = (n: number | undefined, w = 7, digits = 0): string => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits)).padStart(w);
/** BENCH_SECONDS (8) per measurement, BENCH_CONNECTIONS (50) in flight, BENCH_ROUNDS (3): the settings every round-based bench reads. */
export const roundSettings = (): { seconds: number; connections: number; rounds: number } => ({
  seconds: envNum('BENCH_SECONDS', 8),
  connections: envNum('BENCH_CONNECTIONS', 50),
  rounds: Math.max(1, envNum('BENCH_ROUNDS', 3)),
});

/**
 * A closed loop: `workers` callers each run `once` again as soon as it settles, until `seconds` have
 * passed; resolves with how many calls completed.
 */
export async function closedLoop(workers: number, seconds: number, once: () => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        await once();
        n++;
      }
    }),
  );
  return n;
}

export const pct = (a: number, b: number): number => (b > 0 ? (a / b) * 100 : NaN);

/**
 * An open-loop load at a steady `rate` (requests spaced evenly, not autocannon's overallRate, which sends
 * each second's quota per connection in a burst at the start of the second and so measures its own
 * queueing): a keep-alive pool of up to `connections` sockets, latency from each request's scheduled
 * time to its answer (so a stalled server cannot hide its stall by slowing the generator down).
 */
export async function paced(url: string, opts: { seconds: number; rate: number; connections?: number; tag: string }): Promise<LoadResult> {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections ?? 50 });
  const target = new URL(`${url}/hooks/lead`);
  const tag = `${opts.tag}-${process.pid}-${Date.now()}`;
  const total = Math.round(opts.rate * opts.seconds);
  const lat: number[] = [];
  const latFromSend: number[] = [];
  const late: number[] = [];
  let accepted = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let done = 0;
  const start = performance.now();
  await new Promise<void>((finish) => {
    const fire = (due: number) => {
      const firedAt = performance.now();
      late.push(firedAt - due);
      const body = JSON.stringify({ email: `u${seq++}-${tag}@example.com`, budget: seq % 2 ? 9000 : 100 });
      const req = request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            const end = performance.now();
            lat.push(end - due);
            latFromSend.push(end - firedAt);
            if (res.statusCode! >= 200 && res.statusCode! < 300) accepted++;
            else non2xx++;
            if (++done === total) finish();
          });
        },
      );
      req.on('error', () => {
        errors++;
        if (++done === total) finish();
      });
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * opts.rate) + 1);
      while (sent < due) fire(start + (sent++ / opts.rate) * 1000);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const durationS = (performance.now() - start) / 1000;
  agent.destroy();
  for (const xs of [lat, latFromSend, late]) xs.sort((a, b) => a - b);
  const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
  const tail = (xs: number[]) => ({ p50: q(xs, 0.5), p99: q(xs, 0.99), max: xs[xs.length - 1] ?? NaN });
  return {
    fromSend: tail(latFromSend),
    sendLate: tail(late),
    requestsPerSec: done / durationS,
    accepted,
    non2xx,
    errors,
    ...tail(lat),
    p90: q(lat, 0.9),
    mean: lat.reduce((a, b) => a + b, 0) / (lat.length || 1),
    durationS,
    acceptedPerSec: accepted / durationS,
  };
}

/** Bytes on disk under `dir` (all files), and those of the runs journal's segments. */
export const pacer = (): 'paced' | 'autocannon' => (process.env.BENCH_PACER === 'autocannon' ? 'autocannon' : 'paced');

/** A load at a fixed rate (see BENCH_PACER) or, without a rate (or 0), at saturation (autocannon). */
export const sendLoad = (url: string, opts: { seconds: number; connections: number; rate?: number; tag: string }): Promise<LoadResult> =>
  opts.rate && pacer() === 'paced' ? paced(url, { ...opts, rate: opts.rate }) : load(url, { ...opts, rate: opts.rate || undefined });

export function dataDirBytes(dir: string): { total: number; runs: number } {
  let total = 0;
  let runs = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const size = statSync(join(e.parentPath, e.name)).size;
    total += size;
    if (/^runs-\d+\.jsonl$/.test(e.name)) runs += size;
  }
  return { total, runs };
}

/** What the runtime saw itself during a load, from two scrapes of its /metrics (see runtimeWindow). */
export interface RuntimeWindow {
  /** webhook answers timed inside the runtime (flowdesk_webhook_duration_seconds on the bench path) */
  answers: number;
  /** their p99, ms, interpolated within the histogram's bucket as Prometheus' histogram_quantile does */
  answerP99: number;
  /**
   * event-loop delay over the window, ms: prom-client's histogram (reset at each scrape) holds the time
   * between its timer's samples, taken every LAG_SAMPLE_MS, so that interval is taken off
   */
  lagP99: number;
  lagMax: number;
  /** GC pause time in the window, ms, and the number of pauses (major: mark-compacts) */
  gcMs: number;
  gcCount: number;
  majorGcs: number;
}

/** prom-client's eventLoopMonitoringPrecision (the runtime keeps its default) */
const LAG_SAMPLE_MS = 10;

/** The sum of a metric's samples whose labels contain `labels` (e.g. `path="lead"`). */
function metricSum(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.eE+-]+)$`, 'gm'))) if ((m[1] ?? '').includes(labels)) sum += Number(m[2]);
  return sum;
}

/** A histogram's cumulative buckets (le → count) for the samples matching `labels`. */
function buckets(text: string, name: string, labels: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} ([0-9.eE+-]+)$`, 'gm'))) {
    if (!m[1].includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(m[1])?.[1];
    if (le !== undefined) out.set(le === '+Inf' ? Infinity : Number(le), Number(m[2]));
  }
  return out;
}

/** Quantile q of the observations between two scrapes of a histogram (linear within the bucket). */
function windowQuantile(before: string, after: string, name: string, labels: string, q: number): { count: number; value: number } {
  const a = buckets(after, name, labels);
  const b = buckets(before, name, labels);
  const les = [...a.keys()].sort((x, y) => x - y);
  const total = (a.get(Infinity) ?? 0) - (b.get(Infinity) ?? 0);
  if (total <= 0) return { count: 0, value: NaN };
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const le of les) {
    const c = (a.get(le) ?? 0) - (b.get(le) ?? 0);
    if (c >= rank) return { count: total, value: le === Infinity ? prevLe : prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, c - prevCount) };
    prevLe = le;
    prevCount = c;
  }
  return { count: total, value: prevLe };
}

/** Scrapes the runtime's /metrics now; the returned function scrapes again and gives the window between. */
export async function runtimeWindow(url: string, hookPath = 'lead'): Promise<() => Promise<RuntimeWindow>> {
  const before = await metricsText(url); // also resets the loop-delay histogram
  return async () => {
    const after = await metricsText(url);
    const answer = windowQuantile(before, after, 'flowdesk_webhook_duration_seconds', `path="${hookPath}"`, 0.99);
    const delta = (name: string, labels = '') => metricSum(after, name, labels) - metricSum(before, name, labels);
    return {
      answers: answer.count,
      answerP99: answer.value * 1000,
      lagP99: Math.max(0, metricSum(after, 'nodejs_eventloop_lag_p99_seconds') * 1000 - LAG_SAMPLE_MS),
      lagMax: Math.max(0, metricSum(after, 'nodejs_eventloop_lag_max_seconds') * 1000 - LAG_SAMPLE_MS),
      gcMs: delta('nodejs_gc_duration_seconds_sum') * 1000,
      gcCount: delta('nodejs_gc_duration_seconds_count'),
      majorGcs: delta('nodejs_gc_duration_seconds_count', 'kind="major"'),
    };
  };
}

/** A process's parent and the CPU time (user + system) it has used so far, µs, from /proc/<pid>/stat (Linux; 10 ms ticks). */
export function procStat(pid: number, tid?: number): { ppid: number; cpuUs: number; nice: number } {
  const f = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // utime, stime in clock ticks (USER_HZ = 100); nice is the 19th field
  return { ppid: Number(rest[1]), cpuUs: (Number(rest[11]) + Number(rest[12])) * 10_000, nice: Number(rest[16]) };
}

/** CPU time (user + system) a process has used so far, µs. */
export const processCpuUs = (pid: number): number => procStat(pid).cpuUs;

/** CPU time (user + system) a process's main thread (its event loop) has used so far, µs. */
export const loopThreadCpuUs = (pid: number): number => procStat(pid, pid).cpuUs;
