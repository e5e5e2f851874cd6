// GET /api/runs by date range (from inclusive, to exclusive) beside key and record, with refusals that
// name the query parameter; GET /api/state-map for the editor's pickers (issue 14, item 8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let rt: TestRuntime;
const started: { id: string; at: string }[] = [];
beforeAll(async () => {
  rt = await startTestRuntime();
  const flow = { dsl: 1, id: 'dated', name: 'Dated', trigger: { type: 'webhook', path: 'dated', auth: { type: 'none' }, idempotencyKey: { var: 'payload.orderId' } }, record: { entity: 'account', key: { var: 'payload.email' } }, nodes: [{ id: 'done', type: 'end' }], edges: [{ from: 'trigger', to: 'done' }] };
  expect((await rt.put('/api/flows/dated', flow)).status).toBe(200);
  for (const [i, email] of ['ada@x.io', 'bob@x.io', 'ada@x.io'].entries()) {
    const at = new Date(rt.clock.now()).toISOString();
    const res = await rt.post('/hooks/dated', { orderId: `O-${i}`, email });
    started.push({ id: res.body.runId, at });
    await rt.advance(24 * 3600_000); // one day apart
  }
  await rt.settle();
});
afterAll(async () => rt?.dispose());

const ids = async (query: string) => ((await rt.get(`/api/runs?${query}`)).body as { id: string }[]).map((r) => r.id);

describe('GET /api/runs filters', () => {
  it('from (inclusive) and to (exclusive) cut by creation time, with flowId, key and record', async () => {
    const [a, b, c] = started;
    expect(await ids(`from=${encodeURIComponent(b!.at)}`)).toEqual([c!.id, b!.id]);
    expect(await ids(`to=${encodeURIComponent(b!.at)}`)).toEqual([a!.id]);
    expect(await ids(`from=${a!.at.slice(0, 10)}&to=${c!.at.slice(0, 10)}`)).toEqual([b!.id, a!.id]);
    expect(await ids(`flowId=dated&record=ada%40x.io&from=${encodeURIComponent(b!.at)}`)).toEqual([c!.id]);
    expect(await ids('key=O-1')).toEqual([b!.id]);
    expect(await ids('record=account%3Aada%40x.io')).toEqual([c!.id, a!.id]);
  });

  it('refuses a bad from/to naming the parameter (400), and from after to', async () => {
    for (const [query, path] of [['from=yesterday', 'from'], ['to=2026-13-45', 'to'], ['from=2026-03-01T09:00', 'from'], ['from=2026-03-01&from=2026-03-02', 'from']] as const) {
      const res = await rt.get(`/api/runs?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors[0].path, query).toBe(path);
      expect(res.body.error, query).toContain(path);
    }
    const reversed = await rt.get('/api/runs?from=2026-03-05&to=2026-03-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body.errors).toEqual([{ path: 'from', message: 'is after to (2026-03-01)' }]);
  });
});

describe('GET /api/state-map', () => {
  it('answers the entities, their states and moves', async () => {
    const res = await rt.get('/api/state-map');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.entities)).toEqual(expect.arrayContaining(['account', 'invoice']));
    expect(res.body.entities.account.initial).toBe('captured');
    expect(res.body.entities.account.states.captured.next).toContain('qualified');
  });
});
