import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Flow } from '@flowdesk/schema';
import { advance, applyActionResult, applyTransitionResult, cancelRun, newRun, prepareReplay, resolveReview } from './interpreter.ts';
import { dryRun } from './dry-run.ts';
import { leadFlow } from './fixtures.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const start = (payload: unknown, flow: Flow = leadFlow) => newRun(flow, { id: 'r1', payload, now: T0, idempotencyKey: null, trigger: { type: 'webhook' } });
const env = { now: T0, secrets: { CRM_KEY: 'sk_live_123' }, config: { CRM_URL: 'http://crm.local' } };

describe('advance', () => {
  it('computes vars in order (later keys see earlier ones) and takes the first matching rule', () => {
    const { run, command } = advance(leadFlow, start({ email: 'a@x.io', budget: 9000 }), env);
    expect(run.vars).toEqual({ fit: 80, double: 160 });
    expect(run.steps.map((s) => [s.nodeId, s.port])).toEqual([['score', 'out'], ['qualify', 'fast'], ['welcome', undefined]]);
    expect(command.kind).toBe('action');
  });

  it('rule order matters: fit 30 matches the second rule, not the default', () => {
    const { run } = advance(leadFlow, start({ email: 'a@x.io', budget: 10 }), env);
    expect(run.steps[1]!.output).toEqual({ port: 'also', rule: 1 });
  });

  it('falls to the default port when no rule matches', () => {
    const flow: Flow = structuredClone(leadFlow);
    (flow.nodes[1] as { rules: unknown[] }).rules = [{ port: 'fast', when: { '>=': [{ var: 'vars.fit' }, 99] } }];
    flow.edges = flow.edges.filter((e) => e.port !== 'also');
    const { run, command } = advance(flow, start({ email: 'a@x.io', budget: 9000 }), env);
    expect(run.steps[1]!.output).toEqual({ port: 'review', rule: 'default' });
    expect(command).toMatchObject({ kind: 'review', queue: 'leads', decisions: ['approved', 'rejected'], sop: ['Call the lead'] });
    expect(run.status).toBe('needs_review');
  });

  it('renders params: placeholders, typed whole placeholders, $logic, secrets only in the command', () => {
    const { run, command } = advance(leadFlow, start({ email: 'a@x.io', budget: 9000 }), env);
    if (command.kind !== 'action') throw new Error('expected action');
    expect(command.params).toEqual({
      method: 'POST',
      url: 'http://crm.local/leads',
      headers: { authorization: 'Bearer sk_live_123' },
      body: { email: 'a@x.io', fit: 80, tag: 'lead-80' },
    });
    expect(command.idempotencyKey).toBe('r1:welcome');
    expect(JSON.stringify(run.steps)).not.toContain('sk_live_123');
    expect((run.steps[2]!.input as { headers: { authorization: string } }).headers.authorization).toBe('Bearer [redacted]');
  });

  it('retries on 5xx at 30s, 2m, 10m, then dies with every attempt kept', () => {
    let { run } = advance(leadFlow, start({ email: 'a@x.io', budget: 9000 }), env);
    let now = Date.parse(T0);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const iso = new Date(now).toISOString();
      const step = advance(leadFlow, run, { ...env, now: iso });
      expect(step.command.kind).toBe('action');
      seen.push(now - Date.parse(T0));
      run = applyActionResult(leadFlow, step.run, { ok: false, status: 503, errorClass: '5xx', error: 'HTTP 503', durationMs: 5 }, iso, iso);
      if (run.wakeAt) {
        // not due yet: advance keeps waiting
        expect(advance(leadFlow, run, { ...env, now: iso }).command.kind).toBe('wait');
        now = Date.parse(run.wakeAt);
      }
    }
    expect(seen).toEqual([0, 30_000, 150_000, 750_000]);
    expect(run.status).toBe('dead');
    expect(run.steps[2]!.attempts).toHaveLength(4);
  });

  it('a 4xx other than 429 fails at once; Retry-After replaces the delay', () => {
    const s = advance(leadFlow, start({ email: 'a@x.io', budget: 9000 }), env);
    expect(applyActionResult(leadFlow, s.run, { ok: false, status: 400, errorClass: '4xx', durationMs: 1 }, T0, T0).status).toBe('dead');
    const r = applyActionResult(leadFlow, s.run, { ok: false, status: 429, errorClass: '429', retryAfterMs: 5000, durationMs: 1 }, T0, T0);
    expect(Date.parse(r.wakeAt!) - Date.parse(T0)).toBe(5000);
  });

  it('takes the error port when wired and marks the outcome', () => {
    const flow: Flow = structuredClone(leadFlow);
    flow.edges.push({ from: 'welcome', port: 'error', to: 'manual' });
    const s = advance(flow, start({ email: 'a@x.io', budget: 9000 }), env);
    const r = applyActionResult(flow, s.run, { ok: false, status: 400, errorClass: '4xx', durationMs: 1 }, T0, T0);
    expect(r).toMatchObject({ status: 'running', cursor: 'manual', outcome: 'error-handled' });
  });

  it('end with exitState asks for a transition, then succeeds', () => {
    const s = advance(leadFlow, start({ email: 'a@x.io', budget: 9000 }), env);
    const r = applyActionResult(leadFlow, s.run, { ok: true, status: 200, output: { status: 200 }, durationMs: 1 }, T0, T0);
    const t = advance(leadFlow, r, env);
    expect(t.command).toEqual({ kind: 'transition', nodeId: 'done', entity: 'account', key: 'a@x.io', state: 'qualified' });
    const done = applyTransitionResult(leadFlow, t.run, { ok: true }, T0);
    expect(done.status).toBe('succeeded');
    expect(advance(leadFlow, done, env).command.kind).toBe('done');
  });

  it('review decisions continue on their port; replay resumes at the failed step', () => {
    const s = advance(leadFlow, start({ email: 'a@x.io', budget: 10 }), env);
    const r = resolveReview(leadFlow, s.run, 'rejected', T0);
    expect(advance(leadFlow, r, env).run.status).toBe('succeeded');
    expect(() => resolveReview(leadFlow, s.run, 'maybe', T0)).toThrow(/not one of/);
    const a = advance(leadFlow, start({ email: 'a@x.io', budget: 9000 }), env);
    const dead = applyActionResult(leadFlow, a.run, { ok: false, status: 400, errorClass: '4xx', durationMs: 1 }, T0, T0);
    const replay = prepareReplay(leadFlow, dead, T0, { newIdempotencyKey: true });
    const again = advance(leadFlow, replay, env);
    expect(again.command).toMatchObject({ kind: 'action', nodeId: 'welcome', attempt: 1, idempotencyKey: 'r1:welcome:r1' });
    expect(again.run.steps.map((x) => x.nodeId)).toEqual(['score', 'qualify', 'welcome']);
  });

  it('a runtime expression error fails the run naming the node', () => {
    const flow: Flow = structuredClone(leadFlow);
    flow.nodes[0] = { id: 'score', type: 'compute', set: { fit: { nope: [1] } } };
    const { run } = advance(flow, start({}), env);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/score\.set\.fit/);
  });

  it('waits: for a duration, then resumes when due; cancel ends a waiting run', () => {
    const flow: Flow = {
      dsl: 1, id: 'w', name: 'w', version: 1, trigger: { type: 'manual' },
      nodes: [{ id: 'pause', type: 'wait', until: { add_duration: [{ var: 'payload.due' }, '-3d'] } }, { id: 'end', type: 'end' }],
      edges: [{ from: 'trigger', to: 'pause' }, { from: 'pause', to: 'end' }],
    };
    const s = advance(flow, start({ due: '2026-01-10T00:00:00.000Z' }, flow), env);
    expect(s.command).toEqual({ kind: 'wait', nodeId: 'pause', until: '2026-01-07T00:00:00.000Z' });
    expect(advance(flow, s.run, { now: '2026-01-06T00:00:00.000Z' }).command.kind).toBe('wait');
    expect(advance(flow, s.run, { now: '2026-01-07T00:00:00.000Z' }).run.status).toBe('succeeded');
    expect(cancelRun(s.run, T0).status).toBe('cancelled');
  });
});

describe('properties', () => {
  const payload = fc.record({ email: fc.emailAddress(), budget: fc.oneof(fc.integer({ min: -10, max: 20000 }), fc.constant(null), fc.string()) });
  it('routing is deterministic and every run ends terminal or parked', () => {
    fc.assert(
      fc.property(payload, fc.constantFrom('ok', 'error'), fc.constantFrom('approved', 'rejected'), (p, act, decision) => {
        const a = dryRun(leadFlow, { payload: p, now: T0, actionResults: { welcome: act as 'ok' | 'error' }, decisions: { manual: decision } });
        const b = dryRun(leadFlow, { payload: p, now: T0, actionResults: { welcome: act as 'ok' | 'error' }, decisions: { manual: decision } });
        expect(a).toEqual(b);
        expect(['succeeded', 'dead', 'failed', 'waiting', 'needs_review']).toContain(a.status);
        const s = advance(leadFlow, start(p), env);
        expect(['action', 'review', 'wait', 'transition', 'done']).toContain(s.command.kind);
        expect(['running', 'waiting', 'needs_review', 'succeeded', 'failed', 'dead']).toContain(s.run.status);
      }),
      { numRuns: 300 },
    );
  });
});

describe('dryRun', () => {
  it('reports path, edges, vars, actions and the exit state', () => {
    const r = dryRun(leadFlow, { payload: { email: 'a@x.io', budget: 9000 }, now: T0 });
    expect(r.path).toEqual(['trigger', 'score', 'qualify', 'welcome', 'done']);
    expect(r.edges[2]).toEqual({ from: 'qualify', port: 'fast', to: 'welcome' });
    expect(r.actions[0]!.action).toBe('http.request');
    expect(r.end).toEqual({ nodeId: 'done', exitState: { entity: 'account', key: 'a@x.io', state: 'qualified' } });
    expect(r.ok).toBe(true);
  });
});

describe('ports and operators agree with the validator', () => {
  it('an edge from the trigger written with port "out" and a portless edge from a single-"out" route are followed', () => {
    const flow: Flow = {
      dsl: 1, id: 'p', name: 'p', version: 1, trigger: { type: 'manual' },
      nodes: [{ id: 'r', type: 'route', rules: [], default: 'out' }, { id: 'end', type: 'end' }],
      edges: [{ from: 'trigger', port: 'out', to: 'r' }, { from: 'r', to: 'end' }],
    };
    expect(advance(flow, start({}, flow), env).run.status).toBe('succeeded');
  });
  it('the engine registers exactly the custom operators the validator knows', async () => {
    const { CUSTOM_LOGIC_OPERATORS } = await import('@flowdesk/schema');
    const { CUSTOM_OPERATIONS } = await import('./logic.ts');
    expect(Object.keys(CUSTOM_OPERATIONS).sort()).toEqual([...CUSTOM_LOGIC_OPERATORS].sort());
  });
});

describe('dry run: params the runtime would refuse', () => {
  const mailFlow = {
    dsl: 1,
    id: 'orders',
    name: 'Orders',
    trigger: { type: 'webhook', path: 'orders', auth: { type: 'none' } },
    nodes: [
      { id: 'mail', type: 'action', action: 'email.send', params: { to: '{{payload.email}}', subject: 'Order', text: 'Thanks' } },
      { id: 'hook', type: 'action', action: 'http.request', params: { method: 'POST', url: '{{config.CRM_URL}}/orders' } },
      { id: 'done', type: 'end' },
    ],
    edges: [
      { from: 'trigger', to: 'mail' },
      { from: 'mail', to: 'hook' },
      { from: 'hook', to: 'done' },
    ],
  } as unknown as Flow;
  it('a required param resolving to null fails the action, as the real run would, naming the placeholder', () => {
    const r = dryRun(mailFlow, { payload: { amount: 5 }, now: T0 });
    expect(r.status).toBe('dead');
    expect(r.ok).toBe(false);
    expect(r.actions[0]).toMatchObject({ nodeId: 'mail', error: expect.stringMatching(/params\.to is required.*\{\{payload\.email\}\}/) });
    expect(r.errors[0]).toMatchObject({ nodeId: 'mail' });
  });
  it('passes when the payload gives it, and does not judge params built from config (unknown to a dry run)', () => {
    const r = dryRun(mailFlow, { payload: { email: 'ada@example.com' }, now: T0 });
    expect(r.status).toBe('succeeded');
    expect(r.actions.map((a) => a.error)).toEqual([undefined, undefined]);
  });
});
