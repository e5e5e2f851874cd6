// The code and set steps (steps.ts) and how a sandbox answer moves the run (applySandboxResult): set
// with fields is pure; code and set-with-JSONata hand the runtime a sandbox command.
import { describe, expect, it } from 'vitest';
import type { Flow, FlowNode } from '@flowdesk/schema';
import { advance, applySandboxResult, newRun } from './interpreter.ts';
import { dryRun } from './dry-run.ts';
import { buildFields, seedOf } from './steps.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const flowOf = (nodes: FlowNode[], edges: Flow['edges']): Flow => ({ dsl: 1, id: 'f', name: 'F', version: 1, trigger: { type: 'manual' }, nodes, edges });
const start = (flow: Flow, payload: unknown = {}) => newRun(flow, { id: 'r1', payload, now: T0, idempotencyKey: null, trigger: { type: 'manual' } });
const end: FlowNode = { id: 'end', type: 'end' };
const oops: FlowNode = { id: 'oops', type: 'end' };

describe('set with fields', () => {
  it('builds nested objects and arrays from placeholders and $logic, field by field', () => {
    const set: FlowNode = {
      id: 'shape',
      type: 'set',
      fields: {
        'customer.email': '{{payload.email}}',
        'customer.name': 'Dear {{payload.name}}',
        'lines': [{ sku: '{{payload.items.0.sku}}', qty: '{{payload.items.0.qty}}' }],
        'total': { $logic: { '*': [{ var: 'payload.items.0.qty' }, 10] } },
        'fixed': 3,
      },
    };
    const flow = flowOf([set, end], [{ from: 'trigger', to: 'shape' }, { from: 'shape', to: 'end' }]);
    const { run, command } = advance(flow, start(flow, { email: 'a@x.io', name: 'Ada', items: [{ sku: 'k1', qty: 2 }] }), { now: T0 });
    expect(command).toEqual({ kind: 'done' });
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]).toMatchObject({
      nodeId: 'shape',
      status: 'succeeded',
      port: 'out',
      output: { customer: { email: 'a@x.io', name: 'Dear Ada' }, lines: [{ sku: 'k1', qty: 2 }], total: 20, fixed: 3 },
    });
  });

  it('buildFields: later paths merge into objects, replace non-objects', () => {
    expect(buildFields({ 'a.b': 1, 'a.c': 2, x: 5, 'x.y': 6 })).toEqual({ a: { b: 1, c: 2 }, x: { y: 6 } });
  });
});

describe('code and set with JSONata: a sandbox command', () => {
  const code: FlowNode = { id: 'calc', type: 'code', source: 'return 1;' };
  const flow = flowOf([{ id: 'pre', type: 'compute', set: { fit: 80 } }, code, end, oops], [
    { from: 'trigger', to: 'pre' },
    { from: 'pre', to: 'calc' },
    { from: 'calc', to: 'end' },
  ]);

  it('hands the runtime the source, the input (never secrets), now and a seed fixed per run and node', () => {
    const { run, command } = advance(flow, start(flow, { n: 1 }), { now: T0, secrets: { KEY: 'sekrit-value' } });
    expect(command).toEqual({
      kind: 'sandbox',
      nodeId: 'calc',
      language: 'javascript',
      source: 'return 1;',
      input: { payload: { n: 1 }, vars: { fit: 80 }, steps: { pre: { output: { fit: 80 }, port: 'out' } }, record: null },
      now: T0,
      seed: seedOf('r1:calc'),
    });
    expect(JSON.stringify(command)).not.toContain('sekrit');
    expect(run.steps.at(-1)).toMatchObject({ nodeId: 'calc', status: 'running', input: { language: 'javascript' } });
    expect(seedOf('r1:calc')).not.toBe(seedOf('r2:calc'));
    // stepping again (after a crash) repeats the same command without a second step
    const again = advance(flow, run, { now: T0 });
    expect(again.command).toMatchObject({ kind: 'sandbox', nodeId: 'calc', seed: seedOf('r1:calc') });
    expect(again.run.steps.filter((s) => s.nodeId === 'calc')).toHaveLength(1);
  });

  it('an answer is the step’s output and the run goes on by out', () => {
    const { run } = advance(flow, start(flow), { now: T0 });
    const next = applySandboxResult(flow, run, { ok: true, output: { total: 3 } }, T0);
    expect(next.steps.at(-1)).toMatchObject({ nodeId: 'calc', status: 'succeeded', output: { total: 3 }, port: 'out' });
    expect(next.cursor).toBe('end');
    expect(advance(flow, next, { now: T0 }).run.status).toBe('succeeded');
  });

  it('a failure fails the run naming the node, or takes the error port when wired', () => {
    const { run } = advance(flow, start(flow), { now: T0 });
    const failed = applySandboxResult(flow, run, { ok: false, reason: 'budget', error: 'stopped: budget' }, T0);
    expect(failed).toMatchObject({ status: 'failed', error: 'calc: stopped: budget', cursor: null });
    expect(failed.steps.at(-1)).toMatchObject({ status: 'failed', output: { reason: 'budget' } });
    const wired = { ...flow, edges: [...flow.edges, { from: 'calc', port: 'error', to: 'oops' }] };
    const handled = applySandboxResult(wired, advance(wired, start(wired), { now: T0 }).run, { ok: false, reason: 'error', error: 'boom' }, T0);
    expect(handled).toMatchObject({ status: 'running', cursor: 'oops', outcome: 'error-handled' });
  });

  it('set with jsonata asks the sandbox for JSONata', () => {
    const f = flowOf([{ id: 'shape', type: 'set', jsonata: '$sum(payload.x)' }, end], [{ from: 'trigger', to: 'shape' }, { from: 'shape', to: 'end' }]);
    expect(advance(f, start(f, { x: [1, 2] }), { now: T0 }).command).toMatchObject({ kind: 'sandbox', language: 'jsonata', source: '$sum(payload.x)', input: { payload: { x: [1, 2] } } });
  });

  it('applySandboxResult refuses a run not at a running code/set step', () => {
    expect(() => applySandboxResult(flow, start(flow), { ok: true, output: 1 }, T0)).toThrow(/no running code or set step/);
  });

  it('the dry run uses a given sandbox, and without one marks the step not run', () => {
    const seen: string[] = [];
    const out = dryRun(flow, { payload: {}, now: T0 }, (cmd) => {
      seen.push(cmd.nodeId);
      return { ok: true, output: 42 };
    });
    expect(seen).toEqual(['calc']);
    expect(out).toMatchObject({ ok: true, path: ['trigger', 'pre', 'calc', 'end'] });
    expect(dryRun(flow, { payload: {}, now: T0 }).ok).toBe(true);
  });
});
