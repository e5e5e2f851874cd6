// Hold while paused, in process: POST /api/flows/:id/active {"active": false, "hold": true} keeps the
// webhook answering — events are checked (auth, contract, dedupe) and kept as `held` runs (202
// {runId, held}); switching the flow back on starts them in arrival order on the version active then;
// the owner can see how many wait and discard them; a schedule slot missed while held fires once on
// resume; a plain deactivated path still answers 404. On the embedded store and on PostgreSQL. (The
// SIGKILL case is hold-crash.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startFailServer, type FailServer } from '../support/fail-server.ts';
import { afterRunRead } from '../support/interleave.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { flowsDirWithDocs, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { eventually, hookFlow, rejectedOf, runsOf, send } from './support.ts';

let pgServer: PostgresInstance | undefined;
afterAll(async () => pgServer?.stop());

describe.each(['lowdb', 'postgres'] as const)('on %s', (storeKind) => {
let rt: TestRuntime;
let dep: FailServer;
const orders = (version: string) =>
  hookFlow(
    'orders',
    {
      auth: { type: 'token', secret: 'ORDERS' },
      payloadSchema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
      idempotencyKey: { var: 'payload.n' },
    },
    {
      nodes: [
        { id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: `${dep.url}/orders`, body: { n: '{{payload.n}}', version } } },
        { id: 'done', type: 'end' },
      ],
      edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'done' }],
    },
  );
const nightly = {
  dsl: 1,
  id: 'nightly',
  name: 'nightly',
  trigger: { type: 'schedule', cron: '0 2 * * *', timezone: 'UTC' },
  nodes: [{ id: 'done', type: 'end' }],
  edges: [{ from: 'trigger', to: 'done' }],
};
const onWon = { dsl: 1, id: 'on-won', name: 'on won', trigger: { type: 'record', entity: 'account', state: 'won' }, nodes: [{ id: 'done', type: 'end' }], edges: [{ from: 'trigger', to: 'done' }] };

beforeAll(async () => {
  dep = await startFailServer();
  let databaseUrl: string | undefined;
  if (storeKind === 'postgres') {
    pgServer ??= await startPostgres();
    databaseUrl = (await createDatabase(pgServer)).url;
  }
  rt = await startTestRuntime({ flowsDir: flowsDirWithDocs([orders('v1'), nightly, onWon]), env: { FLOWDESK_SECRET_ORDERS: 'tok' }, databaseUrl });
}, 120_000);
afterAll(async () => {
  await rt?.dispose();
  await dep?.close();
});

const order = (n: unknown, token = 'tok') => send(rt, '/hooks/orders', JSON.stringify({ n }), { 'content-type': 'application/json', 'x-flowdesk-token': token });
const setActive = (id: string, body: unknown) => rt.post(`/api/flows/${id}/active`, body);
const calls = () => dep.requests.filter((r) => r.url === '/orders').map((r) => JSON.parse(r.body) as { n: number; version: string });

describe('hold while paused', () => {
  it('refuses hold with active true, on a trigger with nothing to hold, and a hold that is not a boolean', async () => {
    expect((await setActive('orders', { active: true, hold: true })).status).toBe(422);
    expect((await setActive('orders', { active: false, hold: 'yes' })).body.errors[0].path).toBe('/hold');
    const rec = await setActive('on-won', { active: false, hold: true });
    expect(rec.status).toBe(422);
    expect(rec.body.errors[0].message).toMatch(/record trigger has no events to hold/);
  });

  it('held events are checked and stored (202 held); duplicates answer the same run; bad ones are refused; nothing runs', async () => {
    expect((await setActive('orders', { active: false, hold: true })).body).toMatchObject({ active: false, hold: true });
    const acked: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await order(n);
      expect(res.status, res.text).toBe(202);
      expect(res.body).toEqual({ runId: expect.any(String), held: true });
      acked.push(res.body.runId);
    }
    const dup = await order(2);
    expect(dup.status).toBe(200);
    expect(dup.body).toEqual({ runId: acked[1], duplicate: true, held: true });
    expect((await order('x')).status).toBe(422);
    expect((await order(4, 'wrong')).status).toBe(401);
    // the rejected log is written beside the answer, not before it
    expect(await eventually(async () => {
      const got = (await rejectedOf(rt, 'orders')).map((r) => r.status).sort();
      return got.length === 2 ? got : undefined;
    })).toEqual([401, 422]);
    await rt.settle();
    expect(calls()).toEqual([]);
    for (const id of acked) expect((await rt.get(`/api/runs/${id}`)).body.status).toBe('held');
    expect((await rt.get('/api/runs?status=held')).body.map((r: { id: string }) => r.id).sort()).toEqual([...acked].sort());
    const list = (await rt.get('/api/flows')).body.find((f: { id: string }) => f.id === 'orders');
    expect(list).toMatchObject({ active: false, hold: true, heldRuns: 3 });
    expect((await rt.get('/api/flows/orders/held')).body).toMatchObject({ hold: true, count: 3, runs: acked.map((id) => ({ id })) });
  });

  it('switched back on, the held runs start in arrival order on the version active then', async () => {
    // a new version deployed while paused with hold stays paused with hold
    const put = await rt.put('/api/flows/orders', { ...orders('v2'), active: false });
    expect(put.status).toBe(200);
    expect((await rt.get('/api/flows/orders')).body).toMatchObject({ version: 2, active: false, hold: true });
    expect((await order(5)).body.held).toBe(true);
    const on = await setActive('orders', { active: true });
    expect(on.body).toMatchObject({ active: true, released: 4 });
    await rt.settle();
    expect(calls()).toEqual([1, 2, 3, 5].map((n) => ({ n, version: 'v2' })));
    const runs = await runsOf(rt, 'orders');
    expect(runs.filter((r) => r.status === 'succeeded').map((r) => r.flowVersion)).toEqual([2, 2, 2, 2]);
    expect((await rt.get('/api/runs?status=held')).body).toEqual([]);
    // on again: events run at once, and a redelivery of a once-held event is still a duplicate
    expect((await order(6)).status).toBe(202);
    expect((await order(1)).body).toMatchObject({ duplicate: true });
    await rt.settle();
    expect(calls().map((c) => c.n)).toEqual([1, 2, 3, 5, 6]);
  });

  it('the owner discards held events: they are cancelled and never run', async () => {
    await setActive('orders', { active: false, hold: true });
    const a = await order(7);
    const b = await order(8);
    expect((await rt.post('/api/flows/orders/held/discard', {})).body).toEqual({ discarded: 2 });
    for (const r of [a, b]) expect((await rt.get(`/api/runs/${r.body.runId}`)).body).toMatchObject({ status: 'cancelled', error: 'discarded while held' });
    expect((await setActive('orders', { active: true })).body.released).toBe(0);
    await rt.settle();
    expect(calls().map((c) => c.n)).not.toContain(7);
  });

  it('an event whose body was still arriving when the flow was switched back on runs: it is not left held', async () => {
    await setActive('orders', { active: false, hold: true });
    // the webhook looks its flow up (and so decides "held") as soon as the headers are in
    const registry = rt.ctx.flows;
    const lookup = registry.byHook.bind(registry);
    const lookedUp = new Promise<void>((ok) => {
      registry.byHook = (path) => {
        if (path === 'orders') {
          registry.byHook = lookup;
          ok();
        }
        return lookup(path);
      };
    });
    const body = JSON.stringify({ n: 10 });
    const req = request(`${rt.url}/hooks/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-flowdesk-token': 'tok' } });
    const answered = new Promise<{ status: number; body: any }>((ok, fail) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => ok({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', fail);
    });
    req.write(body.slice(0, 3));
    await lookedUp;
    // switched on while that body is on its way: nothing held is on disk yet to release
    expect((await setActive('orders', { active: true })).body).toMatchObject({ active: true, released: 0 });
    req.end(body.slice(3));
    const res = await answered;
    expect(res).toMatchObject({ status: 202, body: { held: true } });
    await eventually(async () => ((await rt.get(`/api/runs/${res.body.runId}`)).body.status === 'succeeded' ? true : undefined));
    await rt.settle();
    expect(calls().filter((c) => c.n === 10)).toHaveLength(1);
  });

  it('a held event released elsewhere while it is being cancelled is not cancelled: the cancel answers 409 and the event runs once', async () => {
    await setActive('orders', { active: false, hold: true });
    const held = await order(11);
    expect(held.body.held).toBe(true);
    const runId = held.body.runId as string;
    // the cancel reads the run (held), then — as another instance switching the flow on would — the run
    // is released before the cancel writes
    afterRunRead(rt.ctx.store, runId, 2, async (run) => {
      expect(await rt.ctx.store.saveRunFrom({ ...run, status: 'queued' }, 'held')).toBe(true);
    });
    const cancel = await rt.post(`/api/runs/${runId}/cancel`, {});
    expect(cancel.status).toBe(409);
    expect((await rt.get(`/api/runs/${runId}`)).body.status).toBe('queued');
    // the releasing instance drives it (here: this runtime's runner stands in for it)
    await rt.ctx.runner.enqueue({ id: runId });
    await rt.settle();
    expect((await rt.get(`/api/runs/${runId}`)).body.status).toBe('succeeded');
    expect(calls().filter((c) => c.n === 11)).toHaveLength(1);
    await setActive('orders', { active: true });
  });

  it('a rollback while paused with hold switches the flow on: its held events run, on the version rolled back to', async () => {
    await setActive('orders', { active: false, hold: true });
    const held = await order(12);
    expect(held.body.held).toBe(true);
    const back = await rt.post('/api/flows/orders/rollback', { version: 1 });
    expect(back.status).toBe(200);
    expect((await rt.get('/api/flows/orders')).body).toMatchObject({ active: true });
    expect((await rt.get('/api/flows/orders')).body.hold).toBeFalsy();
    await eventually(async () => ((await rt.get(`/api/runs/${held.body.runId}`)).body.status === 'succeeded' ? true : undefined));
    expect(calls().filter((c) => c.n === 12)).toEqual([{ n: 12, version: 'v1' }]);
  });

  it('a plain deactivated path still answers 404', async () => {
    await setActive('orders', { active: false });
    const res = await order(9);
    expect(res.status).toBe(404);
    await setActive('orders', { active: true });
  });

  it('a schedule slot missed while held fires once on resume; a plain pause skips missed slots', async () => {
    const fired = async () => (await runsOf(rt, 'nightly')).length;
    // 09:00 now: the next slot is 02:00 tomorrow
    await setActive('nightly', { active: false, hold: true });
    await rt.advance(3 * 86_400_000); // three slots pass while held
    expect(await fired()).toBe(0);
    await setActive('nightly', { active: true });
    await rt.settle();
    expect(await fired()).toBe(1);
    const [run] = await runsOf(rt, 'nightly');
    expect(run.trigger.scheduledFor).toBe('2026-03-03T02:00:00.000Z');
    await rt.advance(86_400_000); // the next slot fires as usual
    expect(await fired()).toBe(2);
    await setActive('nightly', { active: false });
    await rt.advance(2 * 86_400_000);
    await setActive('nightly', { active: true });
    await rt.settle();
    expect(await fired()).toBe(2);
  });

  it('record triggers do not fire while their flow is off', async () => {
    await setActive('on-won', { active: false });
    await rt.post('/api/records/account/held-co/state', { state: 'captured' });
    await rt.post('/api/records/account/held-co/state', { state: 'won' });
    await rt.settle();
    expect(await runsOf(rt, 'on-won')).toEqual([]);
  });
});
});
