// The code and set nodes over real HTTP: deploy refuses code and JSONata that do not parse; runs get
// the sandbox's answers; a runaway JSONata expression is stopped by the budget while webhooks are
// still answered (the sandbox runs in a worker thread, never on the event loop).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const manual = (id: string, nodes: unknown[], edges: unknown[]) => ({ dsl: 1, id, name: id, trigger: { type: 'manual' }, nodes, edges });
const chain = (id: string, node: Record<string, unknown>, extra: { nodes?: unknown[]; edges?: unknown[] } = {}) =>
  manual(id, [node, { id: 'end', type: 'end' }, ...(extra.nodes ?? [])], [{ from: 'trigger', to: node.id }, { from: node.id, to: 'end' }, ...(extra.edges ?? [])]);

let rt: TestRuntime;
beforeAll(async () => {
  // a large budget keeps the runaway expression busy long enough to answer a webhook meanwhile
  rt = await startTestRuntime({ sandboxLimits: { interruptBudget: 20_000 } });
});
afterAll(async () => rt?.dispose());

async function runToEnd(flowId: string, payload: unknown) {
  const started = await rt.post(`/api/flows/${flowId}/run`, { payload });
  expect(started.status).toBe(202);
  await rt.settle();
  return (await rt.get(`/api/runs/${started.body.runId}`)).body;
}

describe('deploy checks', { timeout: 120_000 }, () => {
  it('code that does not parse is refused with its line', async () => {
    const res = await rt.put('/api/flows/bad-code', chain('bad-code', { id: 'calc', type: 'code', source: 'const x = ;\nreturn x;' }));
    expect(res.status).toBe(422);
    expect(res.body.errors).toContainEqual(expect.objectContaining({ nodeId: 'calc', path: '/nodes/0/source', message: expect.stringMatching(/does not parse.*line 1/) }));
  });

  it('a set node needs fields or jsonata, not both, and JSONata that parses', async () => {
    const both = await rt.put('/api/flows/bad-set', chain('bad-set', { id: 'shape', type: 'set', fields: { a: 1 }, jsonata: '$' }));
    expect(both.status).toBe(422);
    expect(JSON.stringify(both.body.errors)).toMatch(/not both/);
    const none = await rt.put('/api/flows/bad-set', chain('bad-set', { id: 'shape', type: 'set' }));
    expect(none.status).toBe(422);
    const unparsable = await rt.put('/api/flows/bad-set', chain('bad-set', { id: 'shape', type: 'set', jsonata: 'payload.(' }));
    expect(unparsable.status).toBe(422);
    expect(unparsable.body.errors).toContainEqual(expect.objectContaining({ nodeId: 'shape', path: '/nodes/0/jsonata', message: expect.stringMatching(/does not parse/) }));
    expect((await rt.get('/api/flows/bad-set')).status).toBe(404);
  });
});

describe('code node', { timeout: 120_000 }, () => {
  it('its result is the step output, seen by later steps', async () => {
    const flow = manual(
      'code-ok',
      [
        { id: 'calc', type: 'code', source: 'const t = input.payload.items.reduce((s, i) => s + i.price * i.qty, 0);\nreturn { total: t, big: t > 100 };' },
        { id: 'route', type: 'route', rules: [{ port: 'big', when: { var: 'steps.calc.output.big' } }], default: 'small' },
        { id: 'big-end', type: 'end' },
        { id: 'small-end', type: 'end' },
      ],
      [{ from: 'trigger', to: 'calc' }, { from: 'calc', to: 'route' }, { from: 'route', port: 'big', to: 'big-end' }, { from: 'route', port: 'small', to: 'small-end' }],
    );
    expect((await rt.put('/api/flows/code-ok', flow)).status).toBe(200);
    const run = await runToEnd('code-ok', { items: [{ price: 60, qty: 2 }, { price: 5, qty: 1 }] });
    expect(run.status).toBe('succeeded');
    expect(run.steps.find((s: { nodeId: string }) => s.nodeId === 'calc')).toMatchObject({ status: 'succeeded', output: { total: 125, big: true }, port: 'out' });
    expect(run.steps.at(-1).nodeId).toBe('big-end');
  });

  it('a thrown error takes the error port when wired, else fails the run naming the node', async () => {
    const thrower = { id: 'calc', type: 'code', source: 'throw new Error("no invoice " + input.payload.id);' };
    await rt.put('/api/flows/code-throw', chain('code-throw', thrower));
    const failed = await runToEnd('code-throw', { id: 'inv-7' });
    expect(failed).toMatchObject({ status: 'failed', error: 'calc: no invoice inv-7' });
    await rt.put('/api/flows/code-handled', chain('code-handled', thrower, { nodes: [{ id: 'handled', type: 'end' }], edges: [{ from: 'calc', port: 'error', to: 'handled' }] }));
    const handled = await runToEnd('code-handled', { id: 'inv-8' });
    expect(handled).toMatchObject({ status: 'succeeded', outcome: 'error-handled' });
    expect(handled.steps.at(-1).nodeId).toBe('handled');
  });

  it('an infinite loop fails the step by the budget; the runtime goes on serving', async () => {
    await rt.put('/api/flows/code-loop', chain('code-loop', { id: 'spin', type: 'code', source: 'for (;;) {}' }));
    const run = await runToEnd('code-loop', {});
    expect(run.status).toBe('failed');
    expect(run.steps.at(-1)).toMatchObject({ nodeId: 'spin', status: 'failed', output: { reason: 'budget' } });
    expect((await rt.get('/healthz')).status).toBe(200);
  });

  it('the dry run runs the code in the sandbox', async () => {
    const res = await rt.post('/api/flows/code-ok/dry-run', { payload: { items: [{ price: 1, qty: 1 }] } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, path: ['trigger', 'calc', 'route', 'small-end'] });
  });
});

describe('set node', { timeout: 120_000 }, () => {
  it('field by field', async () => {
    await rt.put('/api/flows/set-fields', chain('set-fields', { id: 'shape', type: 'set', fields: { 'contact.email': '{{payload.email}}', 'contact.tags': ['lead', '{{payload.source}}'], score: { $logic: { '+': [{ var: 'payload.budget' }, 1] } } } }));
    const run = await runToEnd('set-fields', { email: 'ada@example.com', source: 'referral', budget: 99 });
    expect(run.status).toBe('succeeded');
    expect(run.steps[0].output).toEqual({ contact: { email: 'ada@example.com', tags: ['lead', 'referral'] }, score: 100 });
  });

  it('with JSONata', async () => {
    await rt.put('/api/flows/set-jsonata', chain('set-jsonata', { id: 'shape', type: 'set', jsonata: '{ "total": $sum(payload.lines.(qty * price)), "skus": payload.lines.sku }' }));
    const run = await runToEnd('set-jsonata', { lines: [{ sku: 'a', qty: 2, price: 3 }, { sku: 'b', qty: 1, price: 4 }] });
    expect(run.status).toBe('succeeded');
    expect(run.steps[0].output).toEqual({ total: 10, skus: ['a', 'b'] });
  });

  it('a runaway JSONata expression is stopped, and a webhook is answered while it runs', async () => {
    await rt.put('/api/flows/set-runaway', chain('set-runaway', { id: 'shape', type: 'set', jsonata: '$match(payload.s, /(a+)+$/)' }));
    const hookFlow = { dsl: 1, id: 'hook-side', name: 'hook', trigger: { type: 'webhook', path: 'side', auth: { type: 'none' } }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
    expect((await rt.put('/api/flows/hook-side', hookFlow)).status).toBe(200);
    const started = await rt.post('/api/flows/set-runaway/run', { payload: { s: `${'a'.repeat(48)}!` } });
    expect(started.status).toBe(202);
    const sandbox = rt.ctx.sandbox;
    for (let i = 0; i < 2000 && sandbox.pending === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(sandbox.pending).toBe(1);
    const hook = await rt.post('/hooks/side', { hello: 1 });
    expect(hook.status).toBe(202);
    // answered while the expression was still running
    expect(sandbox.pending).toBe(1);
    await rt.settle();
    const run = (await rt.get(`/api/runs/${started.body.runId}`)).body;
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({ nodeId: 'shape', status: 'failed', output: { reason: 'budget' } });
    expect((await rt.get(`/api/runs/${hook.body.runId}`)).body.status).toBe('succeeded');
  }, 180_000);
});
