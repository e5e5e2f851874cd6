// SIGKILL the runtime while retries are pending, restart it: the retries fire on time, none lost,
// none doubled (the timers live in the store, not in setTimeout).
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { flowsDirWithDocs, tempDir } from '../support/runtime.ts';

let child: ChildRuntime | undefined;
let server: Server | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await child?.kill();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('kill during a wait', () => {
  it('pending retries fire on time after a restart; none lost, none doubled', async () => {
    const hits = new Map<string, number[]>(); // idempotency key → times
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        const times = [...(hits.get(key) ?? []), Date.now()];
        hits.set(key, times);
        res.writeHead(times.length < 3 ? 503 : 200, { 'content-type': 'application/json' }).end('{}');
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
    child = await startChildRuntime(env);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${child.url}/hooks/retry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) });
      ids.push(((await res.json()) as { runId: string }).runId);
    }
    const deadline = Date.now() + 10_000;
    while ([...hits.values()].filter((t) => t.length >= 1).length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // let the waiting state reach the disk
    await child.kill('SIGKILL');
    child = await startChildRuntime(env);
    const url = child.url;
    const until = Date.now() + 40_000;
    for (;;) {
      const statuses = await Promise.all(ids.map(async (id) => ((await (await fetch(`${url}/api/runs/${id}`)).json()) as { status: string }).status));
      if (statuses.every((s) => s === 'succeeded')) break;
      if (Date.now() > until) throw new Error(`not finished: ${statuses.join(',')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(hits.size).toBe(20);
    for (const id of ids) {
      const times = hits.get(`${id}:call`)!;
      expect(times).toHaveLength(3); // none lost, none doubled
      const gap1 = times[1]! - times[0]!;
      const gap2 = times[2]! - times[1]!;
      expect(gap1).toBeGreaterThanOrEqual(3900); // never early
      expect(gap1).toBeLessThan(12_000); // on time, give or take a restart
      expect(gap2).toBeGreaterThanOrEqual(3900);
      expect(gap2).toBeLessThan(6_000);
    }
  }, 90_000);
});
