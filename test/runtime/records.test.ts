// The state map as the source of truth: illegal transitions, record triggers once per entry, runs on
// one record one at a time, and a schedule slot missed across a restart firing once.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { ManualClock } from '../../apps/runtime/src/clock.ts';
import { flowsDirWith, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const open: TestRuntime[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const rt of open) await rt.dispose().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
async function runtime(opts: Parameters<typeof startTestRuntime>[0] = {}) {
  const rt = await startTestRuntime({ flowsDir: flowsDirWith([]), ...opts });
  open.push(rt);
  return rt;
}
const setState = (rt: TestRuntime, entity: string, key: string, state: string) => rt.post(`/api/records/${entity}/${key}/state`, { state });

describe('records', () => {
  it('an illegal transition answers 409 naming both states and changes nothing', async () => {
    const rt = await runtime();
    expect((await setState(rt, 'invoice', 'inv-1', 'issued')).status).toBe(200);
    const bad = await setState(rt, 'invoice', 'inv-1', 'written_off');
    expect(bad.status).toBe(409);
    expect(bad.body).toMatchObject({ from: 'issued', to: 'written_off' });
    expect(bad.body.error).toContain('issued');
    expect(bad.body.error).toContain('written_off');
    const rec = (await rt.get('/api/records/invoice/inv-1')).body;
    expect(rec.state).toBe('issued');
    expect(rec.history).toHaveLength(1);
    expect(rec.history[0]).toMatchObject({ from: null, to: 'issued', cause: { manual: true } });
    expect((await setState(rt, 'nope', 'x', 'issued')).status).toBe(404);
    expect((await rt.post('/api/records/invoice/inv-1/state', {})).status).toBe(422);
  });

  it('a record trigger fires once per entry into its state, not on re-saves', async () => {
    const rt = await runtime();
    expect(
      (
        await rt.put('/api/flows/on-invoiced', {
          dsl: 1, id: 'on-invoiced', name: 'On invoiced',
          trigger: { type: 'record', entity: 'account', state: 'invoice_issued' },
          nodes: [{ id: 'end', type: 'end' }],
          edges: [{ from: 'trigger', to: 'end' }],
        })
      ).status,
    ).toBe(200);
    const runs = async () => (await rt.get('/api/runs?flowId=on-invoiced')).body as { payload: { key: string; transitionId: string } }[];
    for (const s of ['captured', 'qualified', 'won', 'in_delivery', 'invoice_issued']) expect((await setState(rt, 'account', 'acme', s)).status).toBe(200);
    await rt.settle();
    expect(await runs()).toHaveLength(1);
    expect((await setState(rt, 'account', 'acme', 'invoice_issued')).status).toBe(200); // a re-save
    await rt.settle();
    expect(await runs()).toHaveLength(1);
    await setState(rt, 'account', 'acme', 'in_delivery');
    await setState(rt, 'account', 'acme', 'invoice_issued'); // a second entry
    await rt.settle();
    const all = await runs();
    expect(all).toHaveLength(2);
    expect(new Set(all.map((r) => r.payload.transitionId)).size).toBe(2);
    expect(all.every((r) => r.payload.key === 'acme')).toBe(true);
  });

  it('two events for one record fired at once are processed one after the other, in arrival order', async () => {
    // the dependency holds every call until the test releases it: overlap is seen, not timed
    const held: { n: number; release: () => void }[] = [];
    const arrived: number[] = [];
    let inHand = 0;
    let peakSame = 0;
    let arrival: (() => void) | undefined;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const n = (JSON.parse(body) as { n: number }).n;
        arrived.push(n);
        if (n !== 9) peakSame = Math.max(peakSame, ++inHand);
        held.push({ n, release: () => (n !== 9 && inHand--, res.writeHead(200).end('{}')) });
        arrival?.();
      });
    });
    const nextArrival = () => new Promise<void>((ok) => (arrival = ok));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const rt = await runtime();
      const port = (server.address() as AddressInfo).port;
      await rt.put('/api/flows/touch', {
        dsl: 1, id: 'touch', name: 'Touch',
        record: { entity: 'account', key: { var: 'payload.account' } },
        trigger: { type: 'webhook', path: 'touch', auth: { type: 'none' } },
        nodes: [
          { id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${port}/`, body: { n: '{{payload.n}}' } } },
          { id: 'end', type: 'end' },
        ],
        edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'end' }],
      });
      let came = nextArrival();
      expect((await rt.post('/hooks/touch', { account: 'same', n: 1 })).status).toBe(202);
      await came; // the first run's call is in hand at the dependency
      // two more for the same record, acknowledged one after the other (arrival order known), and one for another record
      for (const n of [2, 3]) expect((await rt.post('/hooks/touch', { account: 'same', n })).status).toBe(202);
      came = nextArrival();
      expect((await rt.post('/hooks/touch', { account: 'other', n: 9 })).status).toBe(202);
      await came;
      // another record is not held up behind them: its call arrived while the first is still held
      expect(arrived).toEqual([1, 9]);
      for (const n of [2, 3]) {
        came = nextArrival();
        held.find((h) => h.n === n - 1)!.release();
        await came;
        expect(arrived.at(-1)).toBe(n); // the next of the record's runs starts only once the one before it is done
      }
      held.find((h) => h.n === 3)!.release();
      held.find((h) => h.n === 9)!.release();
      await rt.settle();
      expect(arrived).toEqual([1, 9, 2, 3]);
      expect(peakSame).toBe(1);
      const runs = (await rt.get('/api/runs?flowId=touch')).body as { status: string }[];
      expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });

  it('a schedule slot missed across a restart fires once, then the schedule goes on', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const clock = new ManualClock(Date.parse('2026-03-02T09:30:00.000Z'));
    const flow = {
      dsl: 1, id: 'hourly', name: 'Hourly',
      trigger: { type: 'schedule', cron: '0 * * * *', timezone: 'Europe/Paris' },
      nodes: [{ id: 'end', type: 'end' }],
      edges: [{ from: 'trigger', to: 'end' }],
    };
    let rt = await startTestRuntime({ dataDir, clock, flowsDir: flowsDirWith([]) });
    expect((await rt.put('/api/flows/hourly', flow)).status).toBe(200);
    await rt.advance(31 * 60_000); // 10:01: the 10:00 slot fires
    expect((await rt.get('/api/runs?flowId=hourly')).body).toHaveLength(1);
    await rt.close();
    clock.set('2026-03-02T14:20:00.000Z'); // down through 11:00, 12:00, 13:00 and 14:00
    rt = await startTestRuntime({ dataDir, clock, flowsDir: flowsDirWith([]) });
    open.push(rt);
    await rt.settle();
    const runs = (await rt.get('/api/runs?flowId=hourly')).body as { trigger: { scheduledFor: string } }[];
    expect(runs).toHaveLength(2);
    expect(runs[0]!.trigger.scheduledFor).toBe('2026-03-02T11:00:00.000Z');
    await rt.advance(45 * 60_000); // 15:05: the 15:00 slot
    expect((await rt.get('/api/runs?flowId=hourly')).body).toHaveLength(3);
  });
});

describe('record triggers after a crash', () => {
  it('a run that resumes after setting a state fires the triggers it may have missed, once', async () => {
    const rt = await runtime();
    await rt.put('/api/flows/on-won', {
      dsl: 1, id: 'on-won', name: 'On won',
      trigger: { type: 'record', entity: 'account', state: 'won' },
      nodes: [{ id: 'end', type: 'end' }],
      edges: [{ from: 'trigger', to: 'end' }],
    });
    // as if the process died right after the transition, before the triggered run was created
    const rec = await rt.store.transitionRecord({ entity: 'account', key: 'crashy', to: 'won', at: new Date(rt.clock.now()).toISOString(), cause: { runId: 'run-1', nodeId: 'close' }, expectFrom: null });
    expect(rec.state).toBe('won');
    const services = rt.ctx.services;
    await services.setRecordState({ entity: 'account', key: 'crashy', state: 'won', cause: { runId: 'run-1', nodeId: 'close' } }); // the resumed run
    await services.setRecordState({ entity: 'account', key: 'crashy', state: 'won', cause: { runId: 'run-1', nodeId: 'close' } }); // and again
    await services.setRecordState({ entity: 'account', key: 'crashy', state: 'won', cause: { manual: true } }); // a plain re-save
    await rt.settle();
    expect((await rt.get('/api/runs?flowId=on-won')).body).toHaveLength(1);
  });

  it('a manual state POST retried after a crash cut off its triggers fires them, once', async () => {
    const rt = await runtime();
    await rt.put('/api/flows/on-paid', {
      dsl: 1, id: 'on-paid', name: 'On paid',
      trigger: { type: 'record', entity: 'invoice', state: 'paid' },
      nodes: [{ id: 'end', type: 'end' }],
      edges: [{ from: 'trigger', to: 'end' }],
    });
    await setState(rt, 'invoice', 'inv-9', 'issued');
    // the first POST stored its transition, then the process died before the triggered run existed
    await rt.store.transitionRecord({ entity: 'invoice', key: 'inv-9', to: 'paid', at: new Date(rt.clock.now()).toISOString(), cause: { manual: true }, expectFrom: 'issued' });
    expect((await setState(rt, 'invoice', 'inv-9', 'paid')).status).toBe(200); // the client retries
    expect((await setState(rt, 'invoice', 'inv-9', 'paid')).status).toBe(200); // and again
    await rt.settle();
    expect((await rt.get('/api/runs?flowId=on-paid')).body).toHaveLength(1);
    // a re-save days later is just a re-save
    await rt.advance(2 * 86_400_000);
    await setState(rt, 'invoice', 'inv-9', 'paid');
    await rt.settle();
    expect((await rt.get('/api/runs?flowId=on-paid')).body).toHaveLength(1);
  });
});
