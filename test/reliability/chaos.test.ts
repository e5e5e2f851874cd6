// Chaos: 2,000 events with unique keys plus 20% duplicates fired concurrently at a child runtime
// whose action calls a local receiver that dedupes by Idempotency-Key (as a payment API does);
// SIGKILL at a random moment and restart, three times. Once the load stops and the runtime's work has
// drained, every acknowledged runId is the stored run of its key: lost=0, duplicate_runs=0, unfinished=0.
// Half the keys arrive as JSON, half as an HTML form post (urlencoded): both sources, one accounting.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { flowsDirWithDocs, shuffledKeys, tempDir } from '../support/runtime.ts';
import { mulberry32 } from '../support/seed-month.ts';
import { accountRuns, formatAccounting, runsInHand, waitForDrain } from '../support/accounting.ts';

const UNIQUE = 2000;
const DUPLICATES = 400;
const CONCURRENCY = 48;

/** odd keys come from the HTML form source */
const isFormKey = (key: string) => Number(key.slice(1)) % 2 === 1;

let child: ChildRuntime | undefined;
let receiver: Server | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await child?.kill();
  await new Promise<void>((ok) => (receiver ? receiver.close(() => ok()) : ok()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


describe('chaos', () => {
  it('three SIGKILLs under load: lost=0, duplicate_runs=0', async () => {
    const effects = new Map<string, number>(); // idempotency key → deliveries
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        effects.set(key, (effects.get(key) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((ok) => receiver!.listen(0, '127.0.0.1', ok));
    const port = (receiver.address() as AddressInfo).port;

    const dataDir = tempDir();
    const flowsDir = flowsDirWithDocs([
      {
        dsl: 1, id: 'charge', name: 'Charge', critical: true, severity: 'P0',
        trigger: { type: 'webhook', path: 'charge', auth: { type: 'none' }, payloadSchema: { type: 'object', required: ['key'] }, idempotencyKey: { var: 'payload.key' } },
        nodes: [
          { id: 'pay', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${port}/pay`, body: { key: '{{payload.key}}' } } },
          { id: 'end', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'pay' }, { from: 'pay', to: 'end' }],
      },
    ]);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir };

    const random = mulberry32(20261124);
    const events = shuffledKeys(UNIQUE, DUPLICATES, random);
    const acked = new Map<string, Set<string>>(); // key → run ids answered
    let pending = events.slice();

    for (let round = 0; round <= 3; round++) {
      child = await startChildRuntime(env);
      const url = child.url;
      const killAt = round < 3 ? 300 + Math.floor(random() * 700) : Infinity; // acks before the kill
      let acks = 0;
      let killed = false;
      const failed: string[] = [];
      const queue = pending.slice();
      const worker = async () => {
        for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
          if (killed) {
            failed.push(key);
            continue;
          }
          try {
            const form = isFormKey(key);
            const res = await fetch(`${url}/hooks/charge`, {
              method: 'POST',
              headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', accept: 'application/json' },
              body: form ? new URLSearchParams({ key }).toString() : JSON.stringify({ key }),
            });
            const body = (await res.json()) as { runId: string };
            if (res.status === 202 || res.status === 200) {
              if (!acked.has(key)) acked.set(key, new Set());
              acked.get(key)!.add(body.runId);
              if (++acks >= killAt && !killed) {
                killed = true;
                await child!.kill('SIGKILL');
              }
            } else failed.push(key);
          } catch {
            failed.push(key); // cut by the kill: never acknowledged, the sender tries again
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      pending = failed;
      if (round < 3) {
        if (!killed) await child.kill('SIGKILL');
      }
    }
    expect(pending).toEqual([]);

    // the load has stopped: wait for the runtime's work to drain, then count
    const url = child!.url;
    const listRuns = async (query: string) => {
      const out: { id: string; status: string; idempotencyKey: string | null; wakeAt?: string }[] = [];
      for (let before: string | undefined; ; ) {
        const page = (await (await fetch(`${url}/api/runs?flowId=charge&limit=1000${query}${before ? `&before=${before}` : ''}`)).json()) as typeof out;
        out.push(...page);
        if (page.length < 1000) return out;
        before = page[page.length - 1]!.id;
      }
    };
    const drain = await waitForDrain(async () => ({
      inHand: await runsInHand(url),
      open: (await Promise.all(['queued', 'running', 'waiting'].map((st) => listRuns(`&status=${st}`)))).flat(),
    }));
    const runs = await listRuns('');
    const a = accountRuns(acked, runs);
    const missingEffects = a.succeeded.filter((r) => !effects.has(`${r.id}:pay`)).length;
    const redelivered = [...effects.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`chaos: events=${events.length} runs=${runs.length} ${formatAccounting(a)} redelivered=${redelivered} drained=${drain.clean} in ${drain.waitedMs} ms`);
    for (const [source, pick] of [['json', (k: string | null) => k !== null && !isFormKey(k)], ['form', (k: string | null) => k !== null && isFormKey(k)]] as const) {
      const part = accountRuns(new Map([...acked].filter(([k]) => pick(k))), runs.filter((r) => pick(r.idempotencyKey)));
      console.log(`chaos source=${source}: acked_keys=${[...acked.keys()].filter(pick).length} lost=${part.lost} duplicate_runs=${part.duplicateRuns}`);
      expect([part.lost, part.duplicateRuns]).toEqual([0, 0]);
    }
    expect(a.ackedKeys).toBe(UNIQUE);
    expect({ lost: a.lost, duplicateRuns: a.duplicateRuns, splitAnswers: a.splitAnswers, unfinished: a.unfinished }).toEqual({ lost: 0, duplicateRuns: 0, splitAnswers: 0, unfinished: 0 });
    expect(drain.clean).toBe(true);
    expect(a.succeeded).toHaveLength(runs.length);
    expect(missingEffects).toBe(0);
    expect(effects.size).toBe(a.succeeded.length);
  }, 300_000);
});
