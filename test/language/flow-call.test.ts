// flow.call over real HTTP: the parent waits durably for its child and receives the child's end
// output; a child failure takes the parent's error port; a restart while the parent waits loses
// nothing; call cycles and over-deep chains are refused at deploy. flow.emit stays fire-and-forget.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { ManualClock } from '../../apps/runtime/src/index.ts';
import { startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const manual = (id: string, nodes: unknown[], edges: unknown[], extra: Record<string, unknown> = {}) => ({ dsl: 1, id, name: id, trigger: { type: 'manual' }, nodes, edges, ...extra });
const caller = (id: string, target: string, errorPort = false) =>
  manual(
    id,
    [
      { id: 'call', type: 'action', action: 'flow.call', params: { flowId: target, payload: { n: '{{payload.n}}' } } },
      { id: 'end', type: 'end', output: { var: 'steps.call.output.output' } },
      ...(errorPort ? [{ id: 'handled', type: 'end' }] : []),
    ],
    [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'end' }, ...(errorPort ? [{ from: 'call', port: 'error', to: 'handled' }] : [])],
  );
const doubler = manual('doubler', [{ id: 'calc', type: 'compute', set: { twice: { '*': [{ var: 'payload.n' }, 2] } } }, { id: 'end', type: 'end', output: { var: 'vars.twice' } }], [
  { from: 'trigger', to: 'calc' },
  { from: 'calc', to: 'end' },
]);

async function started(rt: TestRuntime): Promise<TestRuntime> {
  cleanups.push(() => rt.dispose());
  return rt;
}

/** Settles until the run reaches one of the statuses (a woken parent is queued just after its child ends). */
async function until(rt: TestRuntime, runId: string, statuses: string[]) {
  for (let i = 0; i < 200; i++) {
    await rt.settle();
    const run = (await rt.get(`/api/runs/${runId}`)).body;
    if (statuses.includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`run ${runId} did not reach ${statuses.join('/')}`);
}

describe('flow.call', { timeout: 120_000 }, () => {
  it('the parent receives the child’s end output; the runs link parent ↔ child', async () => {
    const rt = await started(await startTestRuntime());
    expect((await rt.put('/api/flows/doubler', doubler)).status).toBe(200);
    expect((await rt.put('/api/flows/parent', caller('parent', 'doubler'))).status).toBe(200);
    const res = await rt.post('/api/flows/parent/run', { payload: { n: 21 } });
    expect(res.status).toBe(202);
    const parent = await until(rt, res.body.runId, ['succeeded', 'dead', 'failed']);
    expect(parent.status).toBe('succeeded');
    const call = parent.steps.find((s: { nodeId: string }) => s.nodeId === 'call');
    expect(call.output).toEqual({ runId: expect.any(String), output: 42 });
    expect(parent.steps.at(-1)).toMatchObject({ nodeId: 'end', output: 42 });
    const child = (await rt.get(`/api/runs/${call.output.runId}`)).body;
    expect(child).toMatchObject({ flowId: 'doubler', status: 'succeeded', payload: { n: 21 }, parent: { runId: parent.id, nodeId: 'call', flowId: 'parent' } });
    // one child only
    expect((await rt.get('/api/runs?flowId=doubler')).body).toHaveLength(1);
  });

  it('a child failure takes the parent’s error port; without one the parent is dead', async () => {
    const rt = await started(await startTestRuntime());
    const broken = manual('broken', [{ id: 'calc', type: 'code', source: 'throw new Error("cannot price " + input.payload.n);' }, { id: 'end', type: 'end' }], [
      { from: 'trigger', to: 'calc' },
      { from: 'calc', to: 'end' },
    ]);
    expect((await rt.put('/api/flows/broken', broken)).status).toBe(200);
    expect((await rt.put('/api/flows/handles', caller('handles', 'broken', true))).status).toBe(200);
    expect((await rt.put('/api/flows/unhandled', caller('unhandled', 'broken'))).status).toBe(200);
    const a = await rt.post('/api/flows/handles/run', { payload: { n: 7 } });
    const handled = await until(rt, a.body.runId, ['succeeded', 'dead', 'failed']);
    expect(handled).toMatchObject({ status: 'succeeded', outcome: 'error-handled' });
    expect(handled.steps.at(-1).nodeId).toBe('handled');
    expect(handled.steps.find((s: { nodeId: string }) => s.nodeId === 'call').error).toMatch(/child run .* of broken failed: calc: cannot price 7/);
    const b = await rt.post('/api/flows/unhandled/run', { payload: { n: 8 } });
    const dead = await until(rt, b.body.runId, ['succeeded', 'dead', 'failed']);
    expect(dead.status).toBe('dead');
    expect((await rt.get('/api/dead-letters')).body.map((d: { runId: string }) => d.runId)).toContain(dead.id);
  });

  it('a restart while the parent waits: the child finishes after it and the parent gets the result', async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
    const slow = manual('slow', [{ id: 'pause', type: 'wait', for: '1h' }, { id: 'end', type: 'end', output: { cat: ['done ', { var: 'payload.n' }] } }], [
      { from: 'trigger', to: 'pause' },
      { from: 'pause', to: 'end' },
    ]);
    let rt = await startTestRuntime({ dataDir, clock });
    expect((await rt.put('/api/flows/slow', slow)).status).toBe(200);
    expect((await rt.put('/api/flows/waiter', caller('waiter', 'slow'))).status).toBe(200);
    const res = await rt.post('/api/flows/waiter/run', { payload: { n: 5 } });
    await rt.settle();
    const waiting = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(waiting.status).toBe('waiting');
    expect(waiting.steps.at(-1)).toMatchObject({ nodeId: 'call', status: 'waiting', output: { runId: expect.any(String), status: expect.stringMatching(/^(queued|running|waiting)$/) } });
    const childId = waiting.steps.at(-1).output.runId;
    await rt.close(); // the data dir stays
    rt = await startTestRuntime({ dataDir, clock });
    cleanups.push(() => rt.close());
    expect((await rt.get(`/api/runs/${res.body.runId}`)).body.status).toBe('waiting');
    clock.advance(3_600_000);
    const done = await until(rt, res.body.runId, ['succeeded', 'dead', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.steps.find((s: { nodeId: string }) => s.nodeId === 'call').output).toEqual({ runId: childId, output: 'done 5' });
    // still one child: the restart did not start another
    expect((await rt.get('/api/runs?flowId=slow')).body.map((r: { id: string }) => r.id)).toEqual([childId]);
  });

  it('deploy refuses a call cycle and a chain deeper than 5', async () => {
    const rt = await started(await startTestRuntime());
    const self = await rt.put('/api/flows/self', caller('self', 'self'));
    expect(self.status).toBe(422);
    expect(self.body.errors).toContainEqual({ path: '/nodes/0/params/flowId', nodeId: 'call', message: 'flow.call cycle: "self" → "self"' });
    expect((await rt.put('/api/flows/a', caller('a', 'b'))).status).toBe(200); // b not deployed yet: fine
    const b = await rt.put('/api/flows/b', caller('b', 'a'));
    expect(b.status).toBe(422);
    expect(b.body.errors[0].message).toBe('flow.call cycle: "b" → "a" → "b"');
    expect((await rt.get('/api/flows/b')).status).toBe(404);
    // c1 → c2 → … → c6 is 5 calls deep: fine; c0 → c1 would make 6
    for (let i = 6; i >= 1; i--) {
      const doc = i === 6 ? doubler : caller(`c${i}`, `c${i + 1}`);
      expect((await rt.put(`/api/flows/c${i}`, { ...doc, id: `c${i}`, name: `c${i}` })).status).toBe(200);
    }
    const deep = await rt.put('/api/flows/c0', caller('c0', 'c1'));
    expect(deep.status).toBe(422);
    expect(deep.body.errors[0].message).toMatch(/chain 6 deep/);
  });
});

describe('flow.emit (fire-and-forget)', () => {
  it('starts the child and goes on at once with its run id', async () => {
    const rt = await started(await startTestRuntime());
    expect((await rt.put('/api/flows/doubler', doubler)).status).toBe(200);
    const emitter = manual('emitter', [{ id: 'emit', type: 'action', action: 'flow.emit', params: { flowId: 'doubler', payload: { n: '{{payload.n}}' } } }, { id: 'end', type: 'end' }], [
      { from: 'trigger', to: 'emit' },
      { from: 'emit', to: 'end' },
    ]);
    expect((await rt.put('/api/flows/emitter', emitter)).status).toBe(200);
    const res = await rt.post('/api/flows/emitter/run', { payload: { n: 4 } });
    const run = await until(rt, res.body.runId, ['succeeded', 'dead', 'failed']);
    expect(run.status).toBe('succeeded');
    const emitted = run.steps.find((s: { nodeId: string }) => s.nodeId === 'emit').output;
    expect(emitted).toEqual({ runId: expect.any(String), duplicate: false });
    const child = await until(rt, emitted.runId, ['succeeded']);
    expect(child).toMatchObject({ flowId: 'doubler', payload: { n: 4 } });
    expect(child.parent).toBeUndefined();
    expect(child.steps.at(-1)).toMatchObject({ nodeId: 'end', output: 8 });
  });

  it('hands a webhook flow an event without its auth: its contract and key apply; a refused payload or a trigger of another type fails the step, naming why', async () => {
    const rt = await started(await startTestRuntime());
    const hooked = {
      dsl: 1, id: 'hooked', name: 'hooked',
      trigger: { type: 'webhook', path: 'hooked', auth: { type: 'token', secret: 'HOOKED' }, payloadSchema: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } }, idempotencyKey: { var: 'payload.email' } },
      nodes: [{ id: 'end', type: 'end' }],
      edges: [{ from: 'trigger', to: 'end' }],
    };
    const nightly = { dsl: 1, id: 'nightly', name: 'nightly', trigger: { type: 'schedule', cron: '0 2 * * *', timezone: 'UTC' }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
    expect((await rt.put('/api/flows/hooked', hooked)).status).toBe(200);
    expect((await rt.put('/api/flows/nightly', nightly)).status).toBe(200);
    const emitter = (target: string) =>
      manual('emitter', [{ id: 'emit', type: 'action', action: 'flow.emit', params: { flowId: target, payload: { email: '{{payload.email}}' } }, retry: { delays: [] } }, { id: 'end', type: 'end' }], [
        { from: 'trigger', to: 'emit' },
        { from: 'emit', to: 'end' },
      ]);
    expect((await rt.put('/api/flows/emitter', emitter('hooked'))).status).toBe(200);
    const emitted = async (email: string) => {
      const res = await rt.post('/api/flows/emitter/run', { payload: { email } });
      return until(rt, res.body.runId, ['succeeded', 'dead', 'failed']);
    };
    const first = await emitted('ada@example.com');
    const out = first.steps.find((s: { nodeId: string }) => s.nodeId === 'emit').output;
    expect(out).toEqual({ runId: expect.any(String), duplicate: false });
    expect(await until(rt, out.runId, ['succeeded'])).toMatchObject({ flowId: 'hooked', idempotencyKey: 'ada@example.com' });
    // the same address again: the webhook flow's key makes it the same run
    const again = await emitted('ada@example.com');
    expect(again.steps.find((s: { nodeId: string }) => s.nodeId === 'emit').output).toEqual({ runId: out.runId, duplicate: true });
    // its contract refuses: the step fails naming the field, no run of the webhook flow
    const refused = await emitted('not-an-address');
    expect(refused.status).toBe('dead');
    expect(JSON.stringify(refused.steps.find((s: { nodeId: string }) => s.nodeId === 'emit'))).toMatch(/flow hooked refused the payload: \/email must match format/);
    expect((await rt.get('/api/runs?flowId=hooked')).body).toHaveLength(1);
    // a schedule flow is not something to emit into
    expect((await rt.put('/api/flows/emitter', emitter('nightly'))).status).toBe(200);
    const wrong = await emitted('bo@example.com');
    expect(wrong.status).toBe('dead');
    expect(JSON.stringify(wrong.steps.find((s: { nodeId: string }) => s.nodeId === 'emit'))).toContain('flow nightly has a schedule trigger; flow.emit starts manual and webhook triggers only');
  });
});
