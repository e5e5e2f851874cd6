// Load the process can hold: the work per event does not grow with the runs parked around it (a store
// read counter, not a clock); past the backlog bound webhooks answer 503 with Retry-After instead of
// accepting what the process cannot hold. The restart with a deep backlog is in load-restart.test.ts
// (its own file, so that it runs beside these).
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import type { LowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { flowsDirWith, flowsDirWithDocs, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const dirs: string[] = [];
const runtimes: TestRuntime[] = [];
let server: Server | undefined;
afterAll(async () => {
  for (const rt of runtimes) await rt.dispose().catch(() => {});
  server?.closeAllConnections();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const middleFit = (i: number) => ({ email: `parked${i}@example.com`, name: `P ${i}`, company: `Parked ${i}`, source: 'form', budget: 6000 });
const highFit = (i: number) => ({ email: `hot${i}@example.com`, name: `H ${i}`, company: `Hot ${i}`, source: 'referral', budget: 15000, message: 'We need our onboarding rebuilt this month, can you help?' });

describe('work per event', () => {
  it('with 2,000 runs parked for review, an event reads as many runs as with none', { timeout: 240_000 }, async () => {
    const rt = await startTestRuntime({ flowsDir: flowsDirWith(['lead-qualification']) });
    runtimes.push(rt);
    const store = rt.store as LowdbStore;
    /** runs read by the store while 20 high-fit leads are taken in and driven to their end */
    const readsFor20 = async (from: number) => {
      const before = store.stats().runReads;
      for (let i = from; i < from + 20; i++) expect((await rt.post('/hooks/lead', highFit(i))).status).toBe(202);
      await rt.settle();
      return store.stats().runReads - before;
    };
    await rt.settle(); // the start's own work (retention, due at start) is not an event's
    const empty = await readsFor20(0);
    for (let batch = 0; batch < 40; batch++) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => rt.post('/hooks/lead', middleFit(batch * 50 + k))));
      await rt.settle();
    }
    const parked = (await rt.get('/api/reviews')).body.filter((r: { status: string }) => r.status === 'open').length;
    expect(parked).toBe(2000);
    const withParked = await readsFor20(100);
    expect(withParked).toBe(empty);
    expect(empty).toBeLessThanOrEqual(20 * 4);
    // a scrape counts the open reviews from the index: not one review is read
    let docs = store.stats().docReads;
    const scrape = await rt.get('/metrics');
    expect(scrape.status).toBe(200);
    expect(String(scrape.body)).toMatch(/flowdesk_queue_depth\{queue="reviews"\} 2000/);
    expect(store.stats().docReads).toBe(docs);
    // cancelling one parked run finds its review by id, not by reading the 2,000
    const one = (await rt.get('/api/runs?status=needs_review&limit=1')).body[0] as { id: string };
    docs = store.stats().docReads;
    expect((await rt.post(`/api/runs/${one.id}/cancel`, {})).status).toBe(200);
    await rt.settle();
    expect(store.stats().docReads - docs).toBeLessThanOrEqual(20);
    expect((await rt.get(`/api/reviews?status=cancelled`)).body.map((r: { runId: string }) => r.runId)).toEqual([one.id]);
  });
});

describe('load shedding', () => {
  it('past the backlog bound a webhook answers 503 with Retry-After and a JSON body; accepted work finishes; then 202 again', async () => {
    // a dependency that holds every call until released: the runs pile up in the backlog
    const held: (() => void)[] = [];
    server = createServer((req, res) => {
      req.resume();
      held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const flowsDir = flowsDirWithDocs([
      {
        dsl: 1,
        id: 'slow',
        name: 'Slow dependency',
        trigger: { type: 'webhook', path: 'slow', auth: { type: 'none' } },
        nodes: [
          { id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${port}/x` } },
          { id: 'end', type: 'end' },
        ],
        edges: [
          { from: 'trigger', to: 'call' },
          { from: 'call', to: 'end' },
        ],
      },
    ]);
    dirs.push(flowsDir);
    const rt = await startTestRuntime({ flowsDir, env: { FLOWDESK_MAX_BACKLOG: '5' } });
    runtimes.push(rt);
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await rt.post('/hooks/slow', { i });
      expect(r.status).toBe(202);
      accepted.push(r.body.runId);
    }
    expect(rt.ctx.runner.backlog).toBe(5);
    const shed = await rt.post('/hooks/slow', { i: 5 });
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('5');
    expect(shed.headers.get('content-type')).toMatch(/application\/json/);
    expect(shed.body).toEqual({ error: expect.stringMatching(/overloaded: 5 accepted events are waiting to be processed \(limit 5\)/), retryAfter: 5 });
    // nothing was stored for it
    expect((await rt.get('/api/runs?flowId=slow&limit=100')).body).toHaveLength(5);
    // the dependency answers: the backlog drains and events are accepted again
    while (held.length < 5) await new Promise((r) => setImmediate(r));
    for (const release of held.splice(0)) release();
    await rt.settle();
    expect(rt.ctx.runner.backlog).toBe(0);
    for (const id of accepted) expect((await rt.get(`/api/runs/${id}`)).body.status).toBe('succeeded');
    const again = rt.post('/hooks/slow', { i: 6 });
    expect((await again).status).toBe(202);
    while (held.length < 1) await new Promise((r) => setImmediate(r));
    held.splice(0).forEach((r) => r());
    await rt.settle();
  });

  it('the bound comes from FLOWDESK_MAX_BACKLOG; a bad value is refused naming it', async () => {
    await expect(startTestRuntime({ env: { FLOWDESK_MAX_BACKLOG: 'lots' } })).rejects.toThrow(/FLOWDESK_MAX_BACKLOG must be a whole number/);
  });
});
