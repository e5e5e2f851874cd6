// The dry run's step-by-step testing (issue 17, item 5): pinned outputs stand in for steps (an action is
// not "called", code is not run), and stopAt ends the walk at a node — after it ran, or just before an
// action it would call, with its params as logged (secrets redacted).
import { describe, expect, it } from 'vitest';
import type { Flow, FlowNode } from '@flowdesk/schema';
import { dryRun } from './dry-run.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const nodes: FlowNode[] = [
  { id: 'fetch', type: 'action', action: 'http.request', params: { url: 'https://crm.example/leads/{{payload.id}}', headers: { authorization: 'Bearer {{secrets.CRM}}' } } },
  { id: 'calc', type: 'code', source: 'return input.steps.fetch.output.body.score * 2;' },
  { id: 'shape', type: 'compute', set: { doubled: { var: 'steps.calc.output' } } },
  { id: 'mail', type: 'action', action: 'email.send', params: { to: 'a@x.io', subject: 'Score {{vars.doubled}}', text: 'hi' } },
  { id: 'end', type: 'end' },
];
const flow: Flow = {
  dsl: 1, id: 'f', name: 'F', version: 1, trigger: { type: 'manual' }, nodes,
  edges: [{ from: 'trigger', to: 'fetch' }, { from: 'fetch', to: 'calc' }, { from: 'calc', to: 'shape' }, { from: 'shape', to: 'mail' }, { from: 'mail', to: 'end' }],
};
const sandbox = (output: (input: Record<string, unknown>) => unknown) => (cmd: { input: Record<string, unknown> }) => ({ ok: true as const, output: output(cmd.input) });
const double = sandbox((i) => ((i.steps as { fetch: { output: { body: { score: number } } } }).fetch.output.body.score) * 2);

describe('dry run with pinned outputs and stopAt', () => {
  it('a pinned action output is what later steps read, and the step is marked pinned (not listed as called)', () => {
    const out = dryRun(flow, { payload: { id: 7 }, now: T0, pinned: { fetch: { status: 200, body: { score: 21 } } } }, double);
    expect(out.ok).toBe(true);
    expect(out.vars).toEqual({ doubled: 42 });
    expect(out.steps?.find((s) => s.nodeId === 'fetch')).toEqual({ nodeId: 'fetch', status: 'succeeded', port: 'ok', output: { status: 200, body: { score: 21 } }, pinned: true });
    expect(out.steps?.find((s) => s.nodeId === 'calc')).toMatchObject({ output: 42 });
    expect(out.steps?.find((s) => s.nodeId === 'calc')?.pinned).toBeUndefined();
    expect(out.actions.map((a) => a.nodeId)).toEqual(['mail']);
  });

  it('a pinned code output stands in for the code (the sandbox is not asked)', () => {
    const asked: string[] = [];
    const out = dryRun(flow, { payload: { id: 7 }, now: T0, pinned: { fetch: { body: { score: 1 } }, calc: 99 } }, (cmd) => {
      asked.push(cmd.nodeId);
      return { ok: true, output: 0 };
    });
    expect(asked).toEqual([]);
    expect(out.vars).toEqual({ doubled: 99 });
  });

  it('stopAt an action: stops before it would call, with its params as logged (secrets redacted) and whether it calls outside', () => {
    const out = dryRun(flow, { payload: { id: 7 }, now: T0, stopAt: 'fetch', secrets: { CRM: 's3cret' } });
    expect(out.stopped).toEqual({ nodeId: 'fetch', reached: true, action: { action: 'http.request', params: { url: 'https://crm.example/leads/7', headers: { authorization: 'Bearer [redacted]' } }, outside: true } });
    expect(out.path).toEqual(['trigger', 'fetch']);
    expect(out.actions).toEqual([]);
    expect(JSON.stringify(out)).not.toContain('s3cret');
  });

  it('stopAt a code step: runs it on the pinned earlier output and stops there (nothing after it runs)', () => {
    const out = dryRun(flow, { payload: { id: 7 }, now: T0, stopAt: 'calc', pinned: { fetch: { body: { score: 5 } } } }, double);
    expect(out.stopped).toEqual({ nodeId: 'calc', reached: true });
    expect(out.path).toEqual(['trigger', 'fetch', 'calc']);
    expect(out.steps?.at(-1)).toEqual({ nodeId: 'calc', status: 'succeeded', port: 'out', output: 10 });
    expect(out.vars).toEqual({});
    expect(out.actions).toEqual([]);
  });

  it('stopAt a pure step cuts the path there; stopAt a node the walk never reaches says so', () => {
    const at = dryRun(flow, { payload: { id: 7 }, now: T0, stopAt: 'shape', pinned: { fetch: { body: { score: 5 } } } }, double);
    expect(at.path).toEqual(['trigger', 'fetch', 'calc', 'shape']);
    expect(at.stopped).toEqual({ nodeId: 'shape', reached: true });
    expect(at.actions).toEqual([]);
    const never = dryRun(flow, { payload: { id: 7 }, now: T0, stopAt: 'nowhere', pinned: { fetch: { body: { score: 5 } } } }, double);
    expect(never.stopped).toEqual({ nodeId: 'nowhere', reached: false });
    expect(never.ok).toBe(true);
  });

  it('a thrown error in the step stopped at is its result (failed, with the error)', () => {
    const out = dryRun(flow, { payload: {}, now: T0, stopAt: 'calc', pinned: { fetch: {} } }, () => ({ ok: false, error: 'Error: no score', reason: 'error' }));
    expect(out.stopped).toEqual({ nodeId: 'calc', reached: true });
    expect(out.steps?.at(-1)).toMatchObject({ nodeId: 'calc', status: 'failed', error: expect.stringContaining('no score') });
    expect(out.ok).toBe(false);
  });
});
