// SIGKILL the runtime while retries are pending, restart it: the retries fire at their due times, none
// lost, none doubled (the timers live in the store, not in setTimeout). The runtime runs in a child
// process on a clock this test moves (test/support/clocked-main.ts), so every time asserted is a due time
// on that clock, not a wall-clock gap.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { startClockedChild, type ClockedChild } from '../support/child.ts';
import { flowsDirWithDocs, tempDir } from '../support/runtime.ts';

let child: ClockedChild | undefined;
let server: Server | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await child?.kill();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const S = 1000;
type RunDoc = { status: string; wakeAt?: string; steps: { nodeId: string; attempts: { at: string; status?: number }[] }[] };

describe('kill during a wait', () => {
  it('pending retries fire at their due times after a restart, and an overdue one at the restart; none lost, none doubled', async () => {
    const hits = new Map<string, number>(); // idempotency key → deliveries
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        const n = (hits.get(key) ?? 0) + 1;
        hits.set(key, n);
        res.writeHead(n < 3 ? 503 : 200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const dataDir = tempDir();
    const flowsDir = flowsDirWithDocs([
      {
        dsl: 1, id: 'retry', name: 'Retry',
        trigger: { type: 'webhook', path: 'retry', auth: { type: 'none' } },
        nodes: [
          { id: 'call', type: 'action', action: 'http.request', retry: { delays: ['4s', '4s'] }, params: { method: 'POST', url: `http://127.0.0.1:${port}/x` } },
          { id: 'end', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'end' }],
      },
    ]);
    dirs.push(dataDir, flowsDir);
    const env = { FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir };
    const deliveries = () => [...hits.values()].reduce((a, b) => a + b, 0);
    const run = async (id: string) => (await (await fetch(`${child!.url}/api/runs/${id}`)).json()) as RunDoc;
    const attemptsAt = async (id: string) => (await run(id)).steps.find((s) => s.nodeId === 'call')!.attempts.map((a) => Date.parse(a.at) - T0);

    child = await startClockedChild(env, T0);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${child.url}/hooks/retry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { runId: string }).runId);
    }
    await child.settle(); // every first attempt made (503), every retry parked on a timer in the store
    expect(deliveries()).toBe(20);
    for (const id of ids) expect(await run(id)).toMatchObject({ status: 'waiting', wakeAt: new Date(T0 + 4 * S).toISOString() });

    // killed with the retries pending; back 1 s later
    await child.kill('SIGKILL');
    child = await startClockedChild(env, T0 + 1 * S);
    await child.settle();
    expect(deliveries()).toBe(20); // nothing is due yet: nothing fired at start
    await child.advance(2999);
    expect(deliveries()).toBe(20); // 1 ms before the due time: still nothing
    expect(await child.advance(1)).toBe(T0 + 4 * S);
    expect(deliveries()).toBe(40); // at the due time: each run's second attempt, once
    for (const id of ids) {
      expect(hits.get(`${id}:call`)).toBe(2);
      expect(await attemptsAt(id)).toEqual([0, 4 * S]);
      expect((await run(id)).wakeAt).toBe(new Date(T0 + 8 * S).toISOString());
    }

    // killed again; back 6 s later, past the third attempts' due time (T0+8s): they fire at the restart
    await child.kill('SIGKILL');
    child = await startClockedChild(env, T0 + 10 * S);
    expect(await child.settle()).toBe(T0 + 10 * S);
    expect(deliveries()).toBe(60);
    for (const id of ids) {
      expect(hits.get(`${id}:call`)).toBe(3); // none lost, none doubled
      expect(await attemptsAt(id)).toEqual([0, 4 * S, 10 * S]);
      expect((await run(id)).status).toBe('succeeded');
    }
    expect(hits.size).toBe(20);
  }, 120_000);
});
