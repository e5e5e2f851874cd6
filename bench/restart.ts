// npm run bench:restart — back in seconds after a crash (issue 18 item 5): seeds 100k finished runs, starts
// the runtime as `npm start` does (the prebuilt bundle: no build at start), sends a few events, SIGKILLs it,
// starts it again and prints the time from the new process's spawn until /healthz answers 200 and until a
// webhook is answered 202. Target: both ≤ 2 s. Rounds: kill, restart, measure again (the median is printed).
//   BENCH_RUNS (100000), BENCH_ROUNDS (3), BENCH_BACKEND (lowdb | postgres)
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  backendFromEnv, benchFlowsDir, envNum, isMain, loadAvg, machine, medianNum, REPO, RUNTIME_ENV, RUNTIME_NODE_FLAGS, runtimeEntry, seedFinishedRuns,
  startReceiverProcess, tmp, writeResult, type Backend,
} from './lib.ts';

export interface RestartRound {
  /** ms from spawn until GET /healthz answered 200 */
  healthzMs: number;
  /** ms from spawn until POST /hooks/lead answered 202 */
  webhookMs: number;
}
export interface RestartResult {
  backend: string;
  machine: string;
  loadAvg: number;
  runs: number;
  rounds: RestartRound[];
  healthzMedianMs: number;
  webhookMedianMs: number;
  targetMs: number;
}

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });

let seq = 0;
const postLead = (url: string) =>
  fetch(`${url}/hooks/lead`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `restart${seq++}-${Date.now()}@example.com`, budget: 9000 }) });

/** Polls `probe` as fast as it can answer; the ms since `t0` when it first holds. */
async function firstSuccess(t0: number, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if (await probe().catch(() => false)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error('the runtime did not answer in time');
    await sleep(5);
  }
}

export async function runRestart(o: { runs?: number; rounds?: number; backend?: Backend } = {}): Promise<RestartResult> {
  const runs = o.runs ?? envNum('BENCH_RUNS', 100_000);
  const roundsN = o.rounds ?? envNum('BENCH_ROUNDS', 3);
  // a backend handed in (npm run bench) stays its caller's to close
  const backend = o.backend ?? (await backendFromEnv());
  const receiver = await startReceiverProcess();
  const dataDir = tmp('flowdesk-bench-restart-');
  const flowsDir = benchFlowsDir(receiver.url);
  const entry = runtimeEntry(); // built here, once: `npm start` builds only when sources changed
  let proc: ChildProcess | undefined;
  try {
    const databaseUrl = await backend.freshDatabase();
    await seedFinishedRuns(dataDir, runs, 0, databaseUrl);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env, ...RUNTIME_ENV, PORT: String(port), FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_FSYNC: '1', FLOWDESK_LOG_LEVEL: 'warn',
      ...(databaseUrl ? { FLOWDESK_DATABASE_URL: databaseUrl, FLOWDESK_MASTER_KEY: Buffer.alloc(32, 42).toString('base64') } : {}),
    };
    const start = () => spawn(process.execPath, [...RUNTIME_NODE_FLAGS, join(REPO, entry)], { cwd: REPO, env, stdio: 'ignore' });
    const rounds: RestartRound[] = [];
    // the first start opens the seeded store (and may compact it); then each round: traffic, SIGKILL, restart
    proc = start();
    await firstSuccess(performance.now(), async () => (await fetch(`${url}/healthz`)).status === 200, 300_000);
    for (let i = 0; i < roundsN; i++) {
      for (let k = 0; k < 50; k++) if ((await postLead(url)).status !== 202) throw new Error('an event was not accepted before the kill');
      const dying = proc;
      await new Promise<void>((ok) => {
        dying.once('exit', () => ok());
        dying.kill('SIGKILL');
      });
      const t0 = performance.now();
      proc = start();
      const [healthzMs, webhookMs] = await Promise.all([
        firstSuccess(t0, async () => (await fetch(`${url}/healthz`)).status === 200),
        firstSuccess(t0, async () => (await postLead(url)).status === 202),
      ]);
      rounds.push({ healthzMs: Math.round(healthzMs), webhookMs: Math.round(webhookMs) });
      console.log(`round ${i + 1}: /healthz 200 after ${Math.round(healthzMs)} ms, webhook 202 after ${Math.round(webhookMs)} ms`);
    }
    const result: RestartResult = {
      backend: backend.name, machine: machine(), loadAvg: loadAvg(), runs, rounds,
      healthzMedianMs: medianNum(rounds.map((r) => r.healthzMs)),
      webhookMedianMs: medianNum(rounds.map((r) => r.webhookMs)),
      targetMs: 2000,
    };
    return result;
  } finally {
    if (proc && proc.exitCode === null) {
      const p = proc;
      await new Promise<void>((ok) => {
        p.once('exit', () => ok());
        p.kill('SIGTERM');
      });
    }
    await receiver.close();
    if (!o.backend) await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(flowsDir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.filename)) {
  const r = await runRestart();
  console.log(
    `restart after SIGKILL with ${r.runs} finished runs (${r.backend}, ${r.machine}, load ${r.loadAvg}): ` +
      `/healthz ${r.healthzMedianMs} ms, first webhook ${r.webhookMedianMs} ms (median of ${r.rounds.length}; target ≤ ${r.targetMs} ms)`,
  );
  console.log(`→ ${writeResult('restart', r)}`);
}
