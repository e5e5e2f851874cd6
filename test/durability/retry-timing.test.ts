// Retries fire at their due time on the injected clock, whatever other runs are doing: a run whose
// call hangs does not hold back another run's retry (the timer pass used to wait for each woken run's
// drive, so a retry coming due meanwhile fired as late as the hanging call took — ~1 s in the field).
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flowsDirWithDocs, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { waitFor } from '../support/wait.ts';

let rt: TestRuntime | undefined;
let server: Server | undefined;
afterAll(async () => {
  server?.closeAllConnections();
  await rt?.dispose();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
});

describe('retry due times', () => {
  it('a retry fires at its due time while another run’s call hangs', { timeout: 20_000 }, async () => {
    // `slow` calls answer only when released; `fast` calls fail at once with 503
    const held: (() => void)[] = [];
    const hits: { path: string; key: string }[] = [];
      server = createServer((req, res) => {
      req.resume();
      hits.push({ path: req.url ?? '', key: String(req.headers['idempotency-key']) });
      if (req.url === '/slow' && hits.filter((h) => h.path === '/slow').length > 1) held.push(() => res.writeHead(200).end('{}'));
      else res.writeHead(503).end('{}');
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const flow = (id: string, path: string) => ({
      dsl: 1,
      id,
      name: id,
      trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
      nodes: [
        { id: 'call', type: 'action', action: 'http.request', retry: { delays: ['3s', '3s'], retryOn: ['5xx'] }, params: { method: 'POST', url: `http://127.0.0.1:${port}${path}` } },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { from: 'trigger', to: 'call' },
        { from: 'call', to: 'end' },
      ],
    });
    rt = await startTestRuntime({ flowsDir: flowsDirWithDocs([flow('slow', '/slow'), flow('fast', '/fast')]) });
    const t0 = rt.clock.now();
    const slow = (await rt.post('/hooks/slow', {})).body.runId as string;
    await rt.settle(); // first attempt: 503 → retry due at t0 + 3 s
    rt.clock.advance(1000);
    const fast = (await rt.post('/hooks/fast', {})).body.runId as string;
    await rt.settle(); // first attempt: 503 → retry due at t0 + 4 s
    const due = async (id: string) => Date.parse((await rt!.get(`/api/runs/${id}`)).body.wakeAt);
    expect(await due(slow)).toBe(t0 + 3000);
    expect(await due(fast)).toBe(t0 + 4000);

    // t0 + 3 s: the slow run's retry fires and its call hangs
    rt.clock.set(new Date(t0 + 3000).toISOString());
    await rt.ctx.scheduler.tick();
    while (held.length < 1) await new Promise((r) => setImmediate(r));
    // t0 + 4 s: the fast run's retry is due and fires now, not after the hanging call
    rt.clock.set(new Date(t0 + 4000).toISOString());
    await rt.ctx.scheduler.tick();
    // the retry's 503 recorded (the answer comes back through the egress worker after the server saw it)
    const fastAttempts = async () => (await rt!.get(`/api/runs/${fast}`)).body.steps.find((s: { nodeId: string }) => s.nodeId === 'call').attempts.length;
    await waitFor('the fast run’s retry recorded', async () => (await fastAttempts()) === 2, 10_000);
    expect(hits.filter((h) => h.path === '/fast')).toHaveLength(2);
    // it fired while the slow call still hangs (before the fix: only once that call had timed out)
    const slowNow = (await rt.get(`/api/runs/${slow}`)).body;
    // (its second attempt, in flight, is not written until it ends: the run shows the first, and is
    // running — a woken run is claimed on disk before its call, so no other instance acts on it meanwhile)
    expect(slowNow.steps.find((s: { nodeId: string }) => s.nodeId === 'call').attempts, 'the fast run’s retry waited for the slow run’s call to end').toHaveLength(1);
    expect(slowNow.status).toBe('running');
    const fastRun = (await rt.get(`/api/runs/${fast}`)).body;
    const attempts = fastRun.steps.find((s: { nodeId: string }) => s.nodeId === 'call').attempts.map((a: { at: string }) => Date.parse(a.at) - t0);
    expect(attempts).toEqual([1000, 4000]); // each attempt exactly at its due time on the clock
    expect(await due(fast)).toBe(t0 + 7000); // and the next retry 3 s after that one
    held.splice(0).forEach((r) => r());
    await rt.settle();
    expect((await rt.get(`/api/runs/${slow}`)).body.status).toBe('succeeded');
  });
});
