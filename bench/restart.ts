// npm run bench:restart — back in seconds after a crash (issue 18 item 5): seeds 100k finished runs, starts
// the runtime as the systemd unit (docs/flowdesk.service) does, sends a few events, SIGKILLs it, and then
// does what the unit does after a crash — waits its RestartSec, runs its ExecStartPre (the build check:
// nothing to build) and its ExecStart (npm start's runtime command) — and prints the time from the kill
// until /healthz answers 200 and until a webhook is answered 202, with the part the runtime's own start
// took. Target: both ≤ 2 s. Rounds: kill, restart, measure again (the median is printed).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { systemdUnit } from './start-command.ts';
import {
  backendFromEnv, benchFlowsDir, envNum, isMain, loadAvg, machine, medianNum, REPO, RUNTIME_ENV, seedFinishedRuns,
  startReceiverProcess, tmp, writeResult, type Backend,
} from './lib.ts';

export interface RestartRound {
  /** ms from the kill until GET /healthz answered 200 (the unit's RestartSec, ExecStartPre and ExecStart) */
  healthzMs: number;
  /** ms from the kill until POST /hooks/lead answered 202 */
  webhookMs: number;
  /** of healthzMs: ms from the runtime's spawn (ExecStart) until /healthz answered */
  runtimeMs: number;
  /** of healthzMs: ms the ExecStartPre commands (the build check) took */
  preMs: number;
}
export interface RestartResult {
  backend: string;
  machine: string;
  loadAvg: number;
  runs: number;
  rounds: RestartRound[];
  healthzMedianMs: number;
  webhookMedianMs: number;
  runtimeMedianMs: number;
  preMedianMs: number;
  /** the unit's RestartSec, waited before each start */
  restartSecMs: number;
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

const execFileAsync = promisify(execFile);

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
    const unit = systemdUnit(REPO);
    const start = () => spawn(process.execPath, [...unit.start.nodeFlags, join(REPO, unit.start.entry)], { cwd: REPO, env: { ...unit.env, ...env }, stdio: 'ignore' });
    const pre = async () => {
      for (const [cmd, ...args] of unit.pre) await execFileAsync(cmd === 'node' ? process.execPath : cmd, args, { cwd: REPO, env });
    };
    // the unit's build check builds what is stale now (the editor, the bundle), so the rounds measure none
    await pre();
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
      await sleep(unit.restartSecMs);
      const tPre = performance.now();
      await pre();
      const tStart = performance.now();
      proc = start();
      const [healthzMs, webhookMs] = await Promise.all([
        firstSuccess(t0, async () => (await fetch(`${url}/healthz`)).status === 200),
        firstSuccess(t0, async () => (await postLead(url)).status === 202),
      ]);
      const round = { healthzMs: Math.round(healthzMs), webhookMs: Math.round(webhookMs), runtimeMs: Math.round(healthzMs - (tStart - t0)), preMs: Math.round(tStart - tPre) };
      rounds.push(round);
      console.log(`round ${i + 1}: /healthz 200 after ${round.healthzMs} ms, webhook 202 after ${round.webhookMs} ms (RestartSec ${unit.restartSecMs} ms, build check ${round.preMs} ms, runtime ${round.runtimeMs} ms)`);
    }
    const result: RestartResult = {
      backend: backend.name, machine: machine(), loadAvg: loadAvg(), runs, rounds,
      healthzMedianMs: medianNum(rounds.map((r) => r.healthzMs)),
      webhookMedianMs: medianNum(rounds.map((r) => r.webhookMs)),
      runtimeMedianMs: medianNum(rounds.map((r) => r.runtimeMs)),
      preMedianMs: medianNum(rounds.map((r) => r.preMs)),
      restartSecMs: unit.restartSecMs,
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
      `/healthz ${r.healthzMedianMs} ms, first webhook ${r.webhookMedianMs} ms after the kill (median of ${r.rounds.length}; target ≤ ${r.targetMs} ms) — ` +
      `the unit's RestartSec ${r.restartSecMs} ms, its build check ${r.preMedianMs} ms, the runtime's start ${r.runtimeMedianMs} ms`,
  );
  console.log(`→ ${writeResult('restart', r)}`);
}
