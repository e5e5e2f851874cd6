// Scale-out on PostgreSQL (issues 8 and 18): three runtime processes on one database share the work.
// 5,000 events (4,000 keys + 20% duplicates) are spread over the three; one is SIGKILLed midway and
// restarted. Once the load stops and every process's work has drained: every acknowledged runId is the
// stored run of its key (even when its duplicate went to another process) — lost=0,
// duplicate_runs=0, unfinished=0 — every run's wait timer fired exactly once, no timer is left behind.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startChildRuntime, type ChildRuntime } from './support/child.ts';
import { startPostgres, type PostgresInstance } from './support/postgres.ts';
import { flowsDirWithDocs, shuffledKeys, tempDir } from './support/runtime.ts';
import { mulberry32 } from './support/seed-month.ts';
import { accountRuns, formatAccounting, runsInHand, waitForDrain } from './support/accounting.ts';

const UNIQUE = 4000;
const DUPLICATES = 1000;
const CONCURRENCY = 32;
const KILL_AFTER = 1800; // acks (over all processes) before process A is SIGKILLed

let server: PostgresInstance | undefined;
let receiver: Server | undefined;
const children: (ChildRuntime | undefined)[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of children) await c?.kill();
  await new Promise<void>((ok) => (receiver ? receiver.close(() => ok()) : ok()));
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


describe('multi-instance on PostgreSQL', () => {
  it('three processes, 5,000 events with 20% duplicates, one SIGKILLed and restarted: lost=0, duplicate_runs=0, every timer fired once', async () => {
    server = await startPostgres();
    const admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query('CREATE DATABASE flowdesk');
    await admin.end();
    const databaseUrl = server.urlFor('flowdesk');

    // the action's far end: counts deliveries per Idempotency-Key, before and after the wait
    const effects = new Map<string, number>();
    const byKilledProcess = new Map<string, number>(); // deliveries made by the process that is SIGKILLed
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        effects.set(key, (effects.get(key) ?? 0) + 1);
        if (req.headers['x-instance'] === 'a') byKilledProcess.set(key, (byKilledProcess.get(key) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((ok) => receiver!.listen(0, '127.0.0.1', ok));
    const port = (receiver.address() as AddressInfo).port;

    const flowsDir = flowsDirWithDocs([

      {
        dsl: 1, id: 'charge', name: 'Charge', critical: true, severity: 'P0',
        trigger: { type: 'webhook', path: 'charge', auth: { type: 'none' }, payloadSchema: { type: 'object', required: ['key'] }, idempotencyKey: { var: 'payload.key' } },
        nodes: [
          { id: 'pay', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${port}/pay`, headers: { 'x-instance': '{{config.INSTANCE}}' }, body: { key: '{{payload.key}}' } } },
          { id: 'pause', type: 'wait', for: '1s' },
          { id: 'receipt', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${port}/receipt`, headers: { 'x-instance': '{{config.INSTANCE}}' }, body: { key: '{{payload.key}}' } } },
          { id: 'end', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'pay' }, { from: 'pay', to: 'pause' }, { from: 'pause', to: 'receipt' }, { from: 'receipt', to: 'end' }],
      },

    ]);

    dirs.push(flowsDir);
    // each process has its own data dir (secrets, lock) and shares the database
    const envFor = (name: string) => {
      const dataDir = tempDir(`flowdesk-${name}-`);
      dirs.push(dataDir);
      // each process names itself on the calls it makes, so the receiver knows who delivered what
      return { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_DATABASE_URL: databaseUrl, FLOWDESK_CONFIG_INSTANCE: name };
    };
    const envA = envFor('a');
    children[0] = await startChildRuntime(envA); // deploys the flow first
    [children[1], children[2]] = await Promise.all([startChildRuntime(envFor('b')), startChildRuntime(envFor('c'))]);
    const N = children.length;
    const label = (target: number) => 'ABC'[target];
    /** the target if it is up, else the next process that is */
    const live = (target: number) => {
      for (let k = 0; k < N; k++) if (children[(target + k) % N]) return (target + k) % N;
      return target;
    };

    const random = mulberry32(20261125);
    const events = shuffledKeys(UNIQUE, DUPLICATES, random);

    const acked = new Map<string, Set<string>>(); // key → run ids answered
    let acks = 0;
    let killed = false;
    let restarting: Promise<void> | undefined;
    const lastFailure = new Map<string, string>();
    const sendTo = async (target: number, key: string): Promise<boolean> => {
      const c = children[target];
      if (!c) return false;
      try {
        const res = await fetch(`${c.url}/hooks/charge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
        const text = await res.text();
        if (res.status !== 202 && res.status !== 200) {
          lastFailure.set(key, `${label(target)} answered ${res.status} ${text.slice(0, 300)}`);
          return false;
        }
        const body = JSON.parse(text) as { runId: string };
        if (!acked.has(key)) acked.set(key, new Set());
        acked.get(key)!.add(body.runId);
        if (++acks >= KILL_AFTER && !killed) {
          killed = true;
          const victim = children[0]!;
          children[0] = undefined;
          await victim.kill('SIGKILL');
          // restart it while the other processes keep taking events
          restarting = startChildRuntime({ ...envA, FLOWDESK_CONFIG_INSTANCE: 'a-restarted' }).then((c) => {
            children[0] = c;
          });
        }
        return true;
      } catch (e) {
        lastFailure.set(key, `${label(target)}: ${(e as Error).message}`);
        return false; // cut by the kill: never acknowledged, the sender tries again
      }
    };
    const queue = events.map((key, i) => ({ key, target: i % N }));
    const worker = async () => {
      for (let ev = queue.shift(); ev !== undefined; ev = queue.shift()) {
        // unacknowledged: the sender retries, on another process if this one is down
        for (let attempt = 0; !(await sendTo(live(ev.target), ev.key)); attempt++) {
          if (attempt > 600) throw new Error(`event ${ev.key} never acknowledged: ${lastFailure.get(ev.key)}`);
          ev.target = (ev.target + 1) % N;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(killed).toBe(true);
    await restarting;

    // the load has stopped: wait for every process's work to drain, then count
    const db = new pg.Client(databaseUrl);
    await db.connect();
    try {
      const drain = await waitForDrain(async () => ({
        inHand: (await Promise.all(children.map((c) => runsInHand(c!.url)))).reduce((a, b) => a + b, 0),
        open: (await db.query<{ status: string; wakeAt?: string }>("SELECT doc->>'status' AS status, doc->>'wakeAt' AS \"wakeAt\" FROM runs WHERE flow_id = 'charge' AND NOT terminal")).rows,
      }));
      const runs = (await db.query<{ doc: { id: string; status: string; idempotencyKey: string; steps: { nodeId: string; status: string; attempts: unknown[] }[] } }>("SELECT doc FROM runs WHERE flow_id = 'charge'")).rows.map((r) => r.doc);
      const timersLeft = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM timers WHERE doc->>\'kind\' = \'run\'')).rows[0]!.n;

      const a = accountRuns(acked, runs);
      const succeeded = a.succeeded;
      // the wait timer fired once per run: one wait step, and the step after it started once
      const waitSteps = runs.map((r) => r.steps.filter((s) => s.nodeId === 'pause').length);
      const receiptSteps = runs.map((r) => r.steps.filter((s) => s.nodeId === 'receipt').length);
      const timersNotOnce = runs.filter((_, i) => waitSteps[i] !== 1 || receiptSteps[i] !== 1).length;
      const missingEffects = succeeded.filter((r) => !effects.has(`${r.id}:pay`) || !effects.has(`${r.id}:receipt`)).length;
      const redelivered = [...effects.values()].reduce((n, c) => n + c - 1, 0);
      // Every delivery must be an attempt the stored run records, except deliveries the killed process made
      // (their end may never have been written). A retry (a timeout under load, say) is recorded and so
      // accounted for; any other unrecorded delivery means two live processes drove the same run (e.g. a
      // sweep took over a run its live owner had in hand): the last save hides the other's attempt.
      const recordedAttempts = new Map<string, number>();
      for (const r of runs) for (const s of r.steps) recordedAttempts.set(`${r.id}:${s.nodeId}`, (recordedAttempts.get(`${r.id}:${s.nodeId}`) ?? 0) + s.attempts.length);
      const drivenTwice = [...effects].filter(([key, n]) => n - (recordedAttempts.get(key) ?? 0) > (byKilledProcess.get(key) ?? 0)).length;
      console.log(
        `multi-instance: events=${events.length} runs=${runs.length} ${formatAccounting(a)} ` +
          `timers_not_fired_once=${timersNotOnce} timers_left=${timersLeft} redelivered=${redelivered} driven_twice_after_kill=${drivenTwice} drained=${drain.clean} in ${drain.waitedMs} ms`,
      );
      expect(a.ackedKeys).toBe(UNIQUE);
      expect({ lost: a.lost, duplicateRuns: a.duplicateRuns, splitAnswers: a.splitAnswers, unfinished: a.unfinished }).toEqual({ lost: 0, duplicateRuns: 0, splitAnswers: 0, unfinished: 0 });
      expect(drain.clean).toBe(true);
      expect(succeeded).toHaveLength(runs.length);
      expect(timersNotOnce).toBe(0);
      expect(timersLeft).toBe(0);
      expect(missingEffects).toBe(0);
      expect(drivenTwice).toBe(0); // a restart takes back only its own runs, never a live peer's
    } finally {
      await db.end();
    }
  }, 400_000);
});
