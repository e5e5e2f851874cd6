// Retry policy against a real failing server on an injected clock: the seed's 30s/2m/10m schedule,
// 4xx fails at once into a dead letter, Retry-After is honoured, a hang times out and retries.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';

let rt: TestRuntime;
let dep: FailServer;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');

const flow = (url: string, extra: Record<string, unknown> = {}) => ({
  dsl: 1,
  id: 'charge',
  name: 'Charge',
  severity: 'P0',
  sop: ['Charge the card by hand in the payment dashboard'],
  trigger: { type: 'webhook', path: 'charge', auth: { type: 'none' } },
  nodes: [
    { id: 'call', type: 'action', action: 'http.request', timeout: '2s', params: { method: 'POST', url: `${url}/charge`, body: { n: '{{payload.n}}' } }, ...extra },
    { id: 'end', type: 'end' },
  ],
  edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'end' }],
});

beforeAll(async () => {
  rt = await startTestRuntime();
  dep = await startFailServer(rt.clock);
});
afterAll(async () => {
  await dep.close();
  await rt.dispose();
});
beforeEach(async () => {
  dep.requests.length = 0;
  expect((await rt.put('/api/flows/charge', flow(dep.url))).status).toBe(200);
});

/** moves the clock second by second through `ms`, firing what falls due */
async function walk(ms: number, stepMs = 1000) {
  for (let t = 0; t < ms; t += stepMs) await rt.advance(stepMs);
}

describe('retries', () => {
  it('503 three times then 200: attempts at 0, 30s, 2m30s, 12m30s, then success', async () => {
    rt.clock.set(new Date(T0).toISOString());
    dep.script([{ status: 503 }, { status: 503 }, { status: 503 }], { status: 200 });
    const { body } = await rt.post('/hooks/charge', { n: 1 });
    await rt.settle();
    expect((await rt.get(`/api/runs/${body.runId}`)).body.status).toBe('waiting');
    await walk(13 * 60_000, 5000);
    const offsets = dep.requests.map((r) => (r.at - T0) / 1000);
    expect(offsets).toEqual([0, 30, 150, 750]);
    expect(new Set(dep.requests.map((r) => r.key))).toEqual(new Set([`${body.runId}:call`]));
    const run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.steps[0].attempts.map((a: { status: number }) => a.status)).toEqual([503, 503, 503, 200]);
  });

  it('400: one attempt, then a dead letter with payload, attempts, SOP and an alert', async () => {
    dep.script([{ status: 400, body: '{"error":"card declined"}' }]);
    const { body } = await rt.post('/hooks/charge', { n: 2 });
    await rt.settle();
    await walk(60_000, 10_000);
    expect(dep.requests).toHaveLength(1);
    const run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('dead');
    const dl = (await rt.get('/api/dead-letters?flowId=charge')).body.find((d: { id: string }) => d.id === body.runId);
    expect(dl).toMatchObject({ runId: body.runId, flowId: 'charge', flowVersion: expect.any(Number), nodeId: 'call', payload: { n: 2 }, severity: 'P0' });
    expect(dl.attempts[0]).toMatchObject({ status: 400, errorClass: '4xx' });
    expect(dl.attempts[0].response).toContain('card declined');
    expect(dl.sop).toEqual(['Charge the card by hand in the payment dashboard']);
    const alerts = (await rt.get('/api/alerts?flowId=charge')).body;
    expect(alerts.some((a: { runId: string; kind: string; severity: string }) => a.runId === body.runId && a.kind === 'dead_letter' && a.severity === 'P0')).toBe(true);
  });

  it('429 with Retry-After: 5 → the next attempt 5 s later', async () => {
    dep.script([{ status: 429, headers: { 'retry-after': '5' } }], { status: 200 });
    const start = rt.clock.now();
    const { body } = await rt.post('/hooks/charge', { n: 3 });
    await rt.settle();
    await walk(10_000, 1000);
    expect(dep.requests.map((r) => (r.at - start) / 1000)).toEqual([0, 5]);
    expect((await rt.get(`/api/runs/${body.runId}`)).body.status).toBe('succeeded');
  });

  it('429 with Retry-After: 3600 on the 30s/2m/10m policy → the next attempt 10 min later (the cap), not an hour', async () => {
    dep.script([{ status: 429, headers: { 'retry-after': '3600' } }], { status: 200 });
    const start = rt.clock.now();
    const { body } = await rt.post('/hooks/charge', { n: 31 });
    await rt.settle();
    const run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('waiting');
    await walk(595_000, 5000);
    await walk(4000);
    expect(dep.requests.map((r) => [(r.at - start) / 1000, r.key])).toEqual([[0, `${body.runId}:call`]]); // the clock is at 9m59s: not yet due
    await walk(1000);
    expect(dep.requests.map((r) => (r.at - start) / 1000)).toEqual([0, 600]);
    expect((await rt.get(`/api/runs/${body.runId}`)).body.status).toBe('succeeded');
  });

  it('retry.backoff {initial 2s, factor 3, 4 attempts}: attempts at 0, 2, 8 and 26 s, then a dead letter', async () => {
    expect((await rt.put('/api/flows/charge', flow(dep.url, { retry: { backoff: { initial: '2s', factor: 3, maxAttempts: 4 } } }))).status).toBe(200);
    dep.script([], { status: 503 });
    const start = rt.clock.now();
    const { body } = await rt.post('/hooks/charge', { n: 32 });
    await rt.settle();
    await walk(60_000);
    expect(dep.requests.map((r) => (r.at - start) / 1000)).toEqual([0, 2, 8, 26]);
    expect(new Set(dep.requests.map((r) => r.key))).toEqual(new Set([`${body.runId}:call`]));
    expect((await rt.get(`/api/runs/${body.runId}`)).body.status).toBe('dead');
  });

  it('a hang times out and is retried', async () => {
    dep.script(['hang'], { status: 200 });
    const start = rt.clock.now();
    const { body } = await rt.post('/hooks/charge', { n: 4 });
    await rt.settle();
    let run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('waiting');
    expect(run.steps[0].attempts[0].errorClass).toBe('timeout');
    await walk(31_000, 1000);
    run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect((dep.requests[1]!.at - start) / 1000).toBe(30);
  });

  it('a reset connection is a network error and retried; the error port takes over after the last attempt', async () => {
    await rt.put('/api/flows/charge', {
      ...flow(dep.url, { retry: { delays: ['1s'] } }),
      nodes: [...flow(dep.url, { retry: { delays: ['1s'] } }).nodes, { id: 'manual', type: 'review', queue: 'billing', decisions: ['done'] }],
      edges: [...flow(dep.url).edges, { from: 'call', port: 'error', to: 'manual' }, { from: 'manual', port: 'done', to: 'end' }],
    });
    dep.script(['reset', 'reset']);
    const { body } = await rt.post('/hooks/charge', { n: 5 });
    await rt.settle();
    await walk(3000);
    const run = (await rt.get(`/api/runs/${body.runId}`)).body;
    expect(run.steps[0].attempts.map((a: { errorClass: string }) => a.errorClass)).toEqual(['network', 'network']);
    expect(run.status).toBe('needs_review');
    expect(run.outcome).toBe('error-handled');
    expect((await rt.get('/api/dead-letters?flowId=charge')).body.some((d: { id: string }) => d.id === body.runId)).toBe(false);
  });
});

describe('replay and cancel', () => {
  it('replays 100 dead letters twice at the same moment: 100 successes, none replayed twice', async () => {
    dep.script(Array.from({ length: 100 }, () => ({ status: 400 })), { status: 200 });
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await rt.post('/hooks/charge', { n: 100 + i })).body.runId);
    await rt.settle();
    const before = dep.requests.length;
    const answers = await Promise.all([...ids, ...ids].map((id) => rt.post(`/api/dead-letters/${id}/replay`, {})));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(100);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(100);
    await rt.settle();
    const runs = await Promise.all(ids.map(async (id) => (await rt.get(`/api/runs/${id}`)).body));
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(dep.requests.length - before).toBe(100);
    const keys = dep.requests.slice(before).map((r) => r.key);
    expect(new Set(keys).size).toBe(100);
    expect(keys.every((k) => k === `${ids.find((id) => k!.startsWith(id))}:call`)).toBe(true);
    expect((await rt.get(`/api/dead-letters/${ids[0]}/replay`)).status).toBe(404); // GET is not a route
    const dls = (await rt.get('/api/dead-letters?flowId=charge&status=replayed')).body;
    expect(dls.filter((d: { id: string }) => ids.includes(d.id))).toHaveLength(100);
  });

  it('replay with a new idempotency key; discard; cancel a waiting run', async () => {
    dep.script([{ status: 400 }], { status: 200 });
    const { body } = await rt.post('/hooks/charge', { n: 900 });
    await rt.settle();
    expect((await rt.post(`/api/runs/${body.runId}/replay`, { newIdempotencyKey: true })).status).toBe(202);
    await rt.settle();
    expect(dep.requests.at(-1)!.key).toBe(`${body.runId}:call:r1`);
    expect((await rt.post(`/api/runs/${body.runId}/replay`, {})).status).toBe(409); // succeeded now

    dep.script([{ status: 400 }]);
    const d = await rt.post('/hooks/charge', { n: 901 });
    await rt.settle();
    expect((await rt.post(`/api/dead-letters/${d.body.runId}/discard`, {})).status).toBe(200);
    expect((await rt.post(`/api/dead-letters/${d.body.runId}/replay`, {})).status).toBe(409);

    dep.script([{ status: 503 }]);
    const w = await rt.post('/hooks/charge', { n: 902 });
    await rt.settle();
    expect((await rt.get(`/api/runs/${w.body.runId}`)).body.status).toBe('waiting');
    expect((await rt.post(`/api/runs/${w.body.runId}/cancel`, {})).status).toBe(200);
    const n = dep.requests.length;
    await walk(60_000, 10_000);
    expect(dep.requests.length).toBe(n);
    expect((await rt.get(`/api/runs/${w.body.runId}`)).body.status).toBe('cancelled');
  });

  it('bulk replay by flow', async () => {
    dep.script([{ status: 400 }, { status: 400 }], { status: 200 });
    const a = (await rt.post('/hooks/charge', { n: 1001 })).body.runId;
    const b = (await rt.post('/hooks/charge', { n: 1002 })).body.runId;
    await rt.settle();
    const res = await rt.post('/api/dead-letters/replay', { flowId: 'charge' });
    expect(res.status).toBe(202);
    expect(res.body.replayed).toEqual(expect.arrayContaining([a, b]));
    await rt.settle();
    expect((await rt.get(`/api/runs/${a}`)).body.status).toBe('succeeded');
    expect((await rt.get(`/api/runs/${b}`)).body.status).toBe('succeeded');
  });
});

describe('replay on the latest version', () => {
  it('{"version":"latest"} resumes a dead run on the current flow version; without it, on its own', async () => {
    dep.script([{ status: 400 }, { status: 400 }], { status: 200 });
    const a = (await rt.post('/hooks/charge', { n: 7001 })).body.runId;
    const b = (await rt.post('/hooks/charge', { n: 7002 })).body.runId;
    await rt.settle();
    const v1 = (await rt.get(`/api/runs/${a}`)).body.flowVersion;
    // a fix deployed after the failure: the call goes to another path
    const fixed = flow(dep.url);
    (fixed.nodes[0] as { params: { url: string } }).params.url = `${dep.url}/charge-v2`;
    const v2 = (await rt.put('/api/flows/charge', fixed)).body.version;
    expect(v2).toBeGreaterThan(v1);
    expect((await rt.post(`/api/runs/${a}/replay`, { version: 'latest' })).status).toBe(202);
    expect((await rt.post(`/api/runs/${b}/replay`, {})).status).toBe(202);
    await rt.settle();
    const ra = (await rt.get(`/api/runs/${a}`)).body;
    const rb = (await rt.get(`/api/runs/${b}`)).body;
    expect([ra.status, ra.flowVersion]).toEqual(['succeeded', v2]);
    expect([rb.status, rb.flowVersion]).toEqual(['succeeded', v1]);
    const last = (id: string) => dep.requests.filter((r) => r.key === `${id}:call`).at(-1)!.url;
    expect(last(a)).toBe('/charge-v2');
    expect(last(b)).toBe('/charge');
  });
});
