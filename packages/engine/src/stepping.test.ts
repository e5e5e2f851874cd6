// The interpreter's stepping node by node (steps.ts, run-state.ts, interpreter.ts): what each step
// records, which command it hands the runtime, and how results, reviews, replays and cancels move a run.
import { describe, expect, it } from 'vitest';
import type { Flow, FlowNode, Run } from '@flowdesk/schema';
import { advance, applyActionResult, applyTransitionResult, cancelRun, DEFAULT_ACTION_TIMEOUT_MS, evalContext, newRun, nextNode, prepareReplay, resolveReview, runRecordRef } from './interpreter.ts';
import { cloneRun, finish, idempotencyKeyFor, lastStep } from './run-state.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

function flowOf(nodes: FlowNode[], edges: Flow['edges'], extra: Partial<Flow> = {}): Flow {
  return { dsl: 1, id: 'f', name: 'Flow F', version: 3, trigger: { type: 'manual' }, nodes, edges, ...extra };
}
const start = (flow: Flow, payload: unknown = {}, id = 'r1') => newRun(flow, { id, payload, now: T0, idempotencyKey: null, trigger: { type: 'manual' } });
const linear = (nodes: FlowNode[], extra: Partial<Flow> = {}) => flowOf(nodes, [{ from: 'trigger', to: nodes[0]!.id }, ...nodes.slice(1).map((n, i) => ({ from: nodes[i]!.id, to: n.id }))], extra);
const end: FlowNode = { id: 'end', type: 'end' };
const call = (over: Partial<FlowNode> = {}): FlowNode => ({ id: 'call', type: 'action', action: 'http.request', params: { url: 'http://x/{{payload.n}}' }, retry: { delays: ['10s'] }, ...over }) as FlowNode;

describe('newRun', () => {
  it('starts queued at the trigger’s target, with the flow version, empty vars and steps', () => {
    const flow = linear([end]);
    const run = newRun(flow, { id: 'r9', payload: { a: 1 }, headers: { h: 'v' }, now: T0, idempotencyKey: 'k', trigger: { type: 'webhook', path: 'p' }, record: { entity: 'account', key: 'x' } });
    expect(run).toEqual({
      id: 'r9', flowId: 'f', flowVersion: 3, status: 'queued', idempotencyKey: 'k', trigger: { type: 'webhook', path: 'p' }, payload: { a: 1 }, headers: { h: 'v' },
      vars: {}, record: { entity: 'account', key: 'x' }, cursor: 'end', steps: [], createdAt: T0, startedAt: T0, updatedAt: T0,
    });
    const noVersion = { ...flow, version: undefined };
    expect(newRun(noVersion, { id: 'r', payload: {}, now: T0, idempotencyKey: null, trigger: { type: 'manual' } })).toMatchObject({ flowVersion: 1, headers: {}, cursor: 'end' });
    expect(start(flowOf([end], [])).cursor).toBeNull();
  });
});

describe('advance: guards', () => {
  it('a finished run is handed back as it is: command done', () => {
    for (const status of ['succeeded', 'dead', 'failed', 'cancelled'] as const) {
      const run = { ...start(linear([end])), status };
      const out = advance(linear([end]), run, { now: at(5) });
      expect(out.command).toEqual({ kind: 'done' });
      expect(out.run).toMatchObject({ status, steps: [], updatedAt: at(5) });
    }
  });
  it('no cursor, or a cursor on a node the version lacks, fails the run saying so', () => {
    const flow = linear([end]);
    expect(advance(flow, { ...start(flow), cursor: null }, { now: T0 }).run).toMatchObject({ status: 'failed', error: 'run has no node to go to', endedAt: T0 });
    expect(advance(flow, { ...start(flow), cursor: 'gone' }, { now: T0 }).run).toMatchObject({ status: 'failed', error: 'node "gone" is not in flow version 3' });
  });
  it('a graph that never stops is cut after 1000 pure steps', () => {
    const flow = flowOf([{ id: 'a', type: 'compute', set: {} }, { id: 'b', type: 'compute', set: {} }], [{ from: 'trigger', to: 'a' }, { from: 'a', to: 'b' }, { from: 'b', to: 'a' }]);
    const { run, command } = advance(flow, start(flow), { now: T0 });
    expect(command).toEqual({ kind: 'done' });
    expect(run).toMatchObject({ status: 'failed', error: 'more than 1000 steps without an action or wait' });
    expect(run.steps).toHaveLength(1000);
  });
  it('an error in a step fails the run with a failed step naming the node; expression errors keep their own message', () => {
    const flow = linear([{ id: 'pause', type: 'wait', for: '5x' } as FlowNode, end]);
    const { run } = advance(flow, start(flow), { now: T0 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^pause: invalid duration "5x"/);
    expect(run.steps.at(-1)).toEqual({ nodeId: 'pause', status: 'failed', attempts: [], error: run.error, startedAt: T0, endedAt: T0 });
    const logic = linear([{ id: 'c', type: 'compute', set: { x: { nope: [] } } }, end]);
    expect(advance(logic, start(logic), { now: T0 }).run.error).toMatch(/^c\.set\.x/);
  });
  it('a missing edge fails the run naming the node and port', () => {
    const flow = flowOf([{ id: 'c', type: 'compute', set: {} }], [{ from: 'trigger', to: 'c' }]);
    expect(advance(flow, start(flow), { now: T0 }).run).toMatchObject({ status: 'failed', error: 'node "c" has no edge for port "out"', cursor: null });
  });
  it('never changes the run it was given', () => {
    const flow = linear([{ id: 'c', type: 'compute', set: { a: 1 } }, end]);
    const input = start(flow);
    const frozen = structuredClone(input);
    advance(flow, input, { now: at(1) });
    expect(input).toEqual(frozen);
  });
});

describe('compute and route', () => {
  it('compute records its output and port; route records the rule that matched or "default"', () => {
    const flow = flowOf(
      [
        { id: 'c', type: 'compute', set: { n: { var: 'payload.n' }, twice: { '*': [{ var: 'vars.n' }, 2] } } },
        { id: 'r', type: 'route', rules: [{ port: 'big', when: { '>': [{ var: 'vars.twice' }, 10] } }, { port: 'mid', when: { '>': [{ var: 'vars.twice' }, 4] } }], default: 'small' },
        { id: 'e1', type: 'end' }, { id: 'e2', type: 'end' }, { id: 'e3', type: 'end' },
      ],
      [{ from: 'trigger', to: 'c' }, { from: 'c', to: 'r' }, { from: 'r', port: 'big', to: 'e1' }, { from: 'r', port: 'mid', to: 'e2' }, { from: 'r', port: 'small', to: 'e3' }],
    );
    const steps = (n: number) => advance(flow, start(flow, { n }), { now: at(2) }).run.steps;
    expect(steps(3)).toEqual([
      { nodeId: 'c', status: 'succeeded', output: { n: 3, twice: 6 }, port: 'out', attempts: [], startedAt: at(2), endedAt: at(2) },
      { nodeId: 'r', status: 'succeeded', output: { port: 'mid', rule: 1 }, port: 'mid', attempts: [], startedAt: at(2), endedAt: at(2) },
      { nodeId: 'e2', status: 'succeeded', attempts: [], startedAt: at(2), endedAt: at(2) },
    ]);
    expect(steps(9)[1]!.output).toEqual({ port: 'big', rule: 0 });
    expect(steps(1)[1]!.output).toEqual({ port: 'small', rule: 'default' });
    const done = advance(flow, start(flow, { n: 1 }), { now: at(2) }).run;
    expect(done).toMatchObject({ status: 'succeeded', cursor: null, endedAt: at(2), vars: { n: 1, twice: 2 } });
  });
});

describe('qa', () => {
  const qa = (checks: object, input: unknown = { var: 'payload.text' }): Flow =>
    flowOf(
      [{ id: 'q', type: 'qa', input, checks } as FlowNode, { id: 'ok', type: 'end' }, { id: 'bad', type: 'end' }],
      [{ from: 'trigger', to: 'q' }, { from: 'q', port: 'pass', to: 'ok' }, { from: 'q', port: 'fail', to: 'bad' }],
    );
  const run = (flow: Flow, payload: unknown, env: object = {}) => advance(flow, start(flow, payload), { now: T0, ...env }).run;
  it('passes or fails on the checks, recording what it checked', () => {
    const flow = qa({ bannedTerms: ['guarantee'] });
    const good = run(flow, { text: 'Hello there' });
    expect(good.steps[0]).toMatchObject({ nodeId: 'q', status: 'succeeded', input: 'Hello there', port: 'pass', output: { pass: true } });
    expect(good.steps[1]!.nodeId).toBe('ok');
    const bad = run(flow, { text: 'We guarantee it' });
    expect(bad.steps[0]).toMatchObject({ port: 'fail', output: { pass: false } });
    expect(bad.steps[1]!.nodeId).toBe('bad');
  });
  it('the account, stage and other accounts come from the run’s context; only strings count', () => {
    const flow = qa({ context: { account: { var: 'payload.account' }, stage: { var: 'payload.stage' }, otherAccounts: { var: 'payload.others' } } });
    expect(run(flow, { text: 'Acme is in delivery', account: 'Acme', stage: 'in_delivery', others: ['Globex'] }).steps[0]!.port).toBe('pass');
    expect(run(flow, { text: 'Acme and Globex are in delivery', account: 'Acme', stage: 'in_delivery', others: ['Globex', 7] }).steps[0]!.port).toBe('fail');
    expect(run(flow, { text: 'Acme is in delivery', account: 'Initech', stage: 'in_delivery', others: [] }).steps[0]!.port).toBe('fail');
    expect(run(flow, { text: 'Acme is in delivery', account: 'Acme', stage: 'won', others: [] }).steps[0]!.port).toBe('fail');
    // a non-string account or stage is no account/stage at all: the check names that
    const noName = run(flow, { text: 'Acme', account: 42, stage: 'won', others: 'Globex' }).steps[0]!.output as { failures: { message: string }[] };
    expect(noName.failures.map((f) => f.message)).toContain('no account name to check the output against (the record has none)');
    const noStage = run(flow, { text: 'Acme', account: 'Acme', stage: ['won'], others: [] }).steps[0]!.output as { failures: { message: string }[] };
    expect(noStage.failures.map((f) => f.message)).toContain('no stage to check the output against (the record has none)');
  });
  it('a schema check uses the injected validator when there is one', () => {
    const flow = qa({ schema: { type: 'object', required: ['subject'] } }, { var: 'payload.doc' });
    const seen: unknown[] = [];
    const validateSchema = (schema: unknown, value: unknown) => (seen.push([schema, value]), [{ path: '/subject', message: 'from the injected validator' }]);
    const r = run(flow, { doc: { subject: 'x' } }, { validateSchema });
    expect(seen).toEqual([[{ type: 'object', required: ['subject'] }, { subject: 'x' }]]);
    expect(r.steps[0]!.port).toBe('fail');
    expect(JSON.stringify(r.steps[0]!.output)).toContain('from the injected validator');
    expect(run(flow, { doc: { subject: 'x' } }).steps[0]!.port).toBe('pass'); // no validator: the built-in one
  });
});

describe('wait', () => {
  const waitFor = linear([{ id: 'pause', type: 'wait', for: '1h' }, end]);
  it('parks the run until its due time, and goes on at (not before) it', () => {
    const s = advance(waitFor, start(waitFor), { now: T0 });
    expect(s.command).toEqual({ kind: 'wait', nodeId: 'pause', until: at(3600) });
    expect(s.run).toMatchObject({ status: 'waiting', wakeAt: at(3600), cursor: 'pause' });
    expect(s.run.steps).toEqual([{ nodeId: 'pause', status: 'waiting', output: { until: at(3600) }, attempts: [], startedAt: T0 }]);
    const early = advance(waitFor, s.run, { now: at(3599) });
    expect(early.command).toEqual({ kind: 'wait', nodeId: 'pause', until: at(3600) });
    expect(early.run.steps).toHaveLength(1);
    const due = advance(waitFor, s.run, { now: at(3600) });
    expect(due.run.steps[0]).toEqual({ nodeId: 'pause', status: 'succeeded', output: { until: at(3600) }, attempts: [], startedAt: T0, endedAt: at(3600), port: 'out' });
    expect(due.run).toMatchObject({ status: 'succeeded', wakeAt: undefined });
  });
  it('`until` from an expression: an ISO string or epoch milliseconds; a time already past does not park', () => {
    const flow = linear([{ id: 'pause', type: 'wait', until: { var: 'payload.at' } }, end]);
    expect(advance(flow, start(flow, { at: at(60) }), { now: T0 }).command).toEqual({ kind: 'wait', nodeId: 'pause', until: at(60) });
    expect(advance(flow, start(flow, { at: Date.parse(at(90)) }), { now: T0 }).command).toEqual({ kind: 'wait', nodeId: 'pause', until: at(90) });
    for (const past of [T0, at(-60)]) {
      const r = advance(flow, start(flow, { at: past }), { now: T0 }).run;
      expect(r.status).toBe('succeeded');
      expect(r.steps[0]).toMatchObject({ nodeId: 'pause', status: 'succeeded', endedAt: T0, output: { until: past } });
    }
  });
  it('`until` that is not a time fails the run naming the field and the value', () => {
    const flow = linear([{ id: 'pause', type: 'wait', until: { var: 'payload.at' } }, end]);
    for (const v of ['soon', true, null]) {
      expect(advance(flow, start(flow, { at: v }), { now: T0 }).run.error).toBe(`pause.until did not give a time (got ${JSON.stringify(v)})`);
    }
  });
});

describe('review', () => {
  const review = (node: Partial<FlowNode>, extra: Partial<Flow> = {}) =>
    flowOf([{ id: 'rv', type: 'review', queue: 'q', decisions: ['yes', 'no'], ...node } as FlowNode, { id: 'y', type: 'end' }, { id: 'n', type: 'end' }], [{ from: 'trigger', to: 'rv' }, { from: 'rv', port: 'yes', to: 'y' }, { from: 'rv', port: 'no', to: 'n' }], extra);
  it('parks once for a decision, with a title and SOP from the node, else the flow', () => {
    const flow = review({ title: 'Check it', sop: ['call'] }, { sop: ['flow sop'] });
    const s = advance(flow, start(flow), { now: T0 });
    expect(s.command).toEqual({ kind: 'review', nodeId: 'rv', queue: 'q', title: 'Check it', decisions: ['yes', 'no'], sop: ['call'] });
    expect(s.run).toMatchObject({ status: 'needs_review', steps: [{ nodeId: 'rv', status: 'needs_review', attempts: [], startedAt: T0 }] });
    expect(advance(flow, s.run, { now: at(9) }).run.steps).toHaveLength(1); // asked again: not a second review step
    expect(advance(review({ name: 'Named' }, { sop: ['flow sop'] }), start(flow), { now: T0 }).command).toMatchObject({ title: 'Named', sop: ['flow sop'] });
    expect(advance(review({}), start(flow), { now: T0 }).command).toMatchObject({ title: 'Flow F: rv', sop: [] });
  });
  it('a decision continues on its port; anything else is refused', () => {
    const flow = review({});
    const parked = advance(flow, start(flow), { now: T0 }).run;
    const r = resolveReview(flow, parked, 'no', at(30));
    expect(r).toMatchObject({ status: 'running', cursor: 'n' });
    expect(r.steps[0]).toEqual({ nodeId: 'rv', status: 'succeeded', output: { decision: 'no' }, port: 'no', attempts: [], startedAt: T0, endedAt: at(30) });
    expect(() => resolveReview(flow, parked, 'maybe', T0)).toThrow('decision "maybe" is not one of yes, no');
    expect(() => resolveReview(flow, { ...parked, status: 'running' }, 'no', T0)).toThrow('run r1 is not waiting for a review');
    expect(() => resolveReview(flow, start(flow), 'no', T0)).toThrow('run r1 is not waiting for a review');
    const noEdge = flowOf([{ id: 'rv', type: 'review', queue: 'q', decisions: ['yes'] }], [{ from: 'trigger', to: 'rv' }]);
    expect(resolveReview(noEdge, advance(noEdge, start(noEdge), { now: T0 }).run, 'yes', T0)).toMatchObject({ status: 'failed', error: 'node "rv" has no edge for port "yes"' });
  });
});

describe('action', () => {
  const flow = linear([call({ timeout: '3s' }), end]);
  it('asks for the call with rendered params, its key, attempt number and timeout', () => {
    const s = advance(flow, start(flow, { n: 7 }), { now: T0 });
    expect(s.command).toEqual({
      kind: 'action', nodeId: 'call', action: 'http.request', params: { url: 'http://x/7' }, idempotencyKey: 'r1:call', attempt: 1, timeoutMs: 3000,
      // where the rendered values came from, for the egress guard: the payload filled the URL's path, not its origin
      provenance: { credential: false, fromEvent: ['/url'], misplacedSecrets: [], urlOriginFromEvent: [] },
    });
    expect(s.run).toMatchObject({ status: 'running', wakeAt: undefined });
    expect(s.run.steps).toEqual([{ nodeId: 'call', status: 'running', input: { url: 'http://x/7' }, attempts: [], startedAt: T0 }]);
    const noTimeout = linear([call(), end]);
    expect(advance(noTimeout, start(noTimeout, { n: 1 }), { now: T0 }).command).toMatchObject({ timeoutMs: DEFAULT_ACTION_TIMEOUT_MS });
    expect(DEFAULT_ACTION_TIMEOUT_MS).toBe(10_000);
  });
  it('a retry continues the same step: attempts kept, the next attempt number, only once due', () => {
    const first = advance(flow, start(flow, { n: 1 }), { now: T0 });
    const failed = applyActionResult(flow, first.run, { ok: false, status: 503, errorClass: '5xx', error: 'HTTP 503', response: 'down', durationMs: 12 }, at(1), T0);
    expect(failed).toMatchObject({ status: 'waiting', wakeAt: at(11) });
    expect(failed.steps[0]).toEqual({ nodeId: 'call', status: 'waiting', input: { url: 'http://x/1' }, attempts: [{ at: T0, status: 503, errorClass: '5xx', durationMs: 12, response: 'down', error: 'HTTP 503' }], startedAt: T0, error: 'HTTP 503' });
    expect(advance(flow, failed, { now: at(10) }).command).toEqual({ kind: 'wait', nodeId: 'call', until: at(11) });
    const again = advance(flow, failed, { now: at(11) });
    expect(again.command).toMatchObject({ kind: 'action', attempt: 2, idempotencyKey: 'r1:call' });
    expect(again.run.steps).toHaveLength(1);
    expect(again.run.steps[0]).toMatchObject({ status: 'running', attempts: [{ status: 503 }] });
    expect(again.run.wakeAt).toBeUndefined();
  });
  it('a success records the output and goes on; a missing ok edge fails the run', () => {
    const s = advance(flow, start(flow, { n: 1 }), { now: T0 });
    const ok = applyActionResult(flow, s.run, { ok: true, status: 201, output: { id: 9 }, durationMs: 5, error: 'ignored', response: 'ignored' }, at(2), at(1));
    expect(ok.steps[0]).toEqual({ nodeId: 'call', status: 'succeeded', input: { url: 'http://x/1' }, attempts: [{ at: at(1), status: 201, errorClass: undefined, durationMs: 5, response: undefined, error: undefined }], startedAt: T0, output: { id: 9 }, port: 'ok', error: null, endedAt: at(2) });
    expect(ok).toMatchObject({ status: 'running', cursor: 'end' });
    const dangling = flowOf([call()], [{ from: 'trigger', to: 'call' }]);
    const d = advance(dangling, start(dangling, { n: 1 }), { now: T0 });
    expect(applyActionResult(dangling, d.run, { ok: true, durationMs: 1 }, T0, T0)).toMatchObject({ status: 'failed', error: 'node "call" has no edge for port "ok"' });
  });
  it('the last failure dies with every attempt, or takes the error port when wired', () => {
    const once = linear([call({ retry: { delays: [] } }), end]);
    const s = advance(once, start(once, { n: 1 }), { now: T0 });
    const dead = applyActionResult(once, s.run, { ok: false, status: 400, errorClass: '4xx', error: 'HTTP 400', durationMs: 1 }, at(1), T0);
    expect(dead).toMatchObject({ status: 'dead', error: 'call: HTTP 400', endedAt: at(1), cursor: 'call' });
    expect(dead.steps[0]).toMatchObject({ status: 'failed', port: 'error', error: 'HTTP 400', endedAt: at(1) });
    expect(applyActionResult(once, s.run, { ok: false, errorClass: 'timeout', durationMs: 1 }, T0, T0)).toMatchObject({ error: 'call: timeout' });
    expect(applyActionResult(once, s.run, { ok: false, errorClass: 'timeout', durationMs: 1 }, T0, T0).steps[0]!.error).toBe('failed (timeout)');
    expect(applyActionResult(once, s.run, { ok: false, durationMs: 1 }, T0, T0)).toMatchObject({ error: 'call: failed' });
    expect(applyActionResult(once, s.run, { ok: false, durationMs: 1 }, T0, T0).steps[0]!.error).toBe('failed (error)');
    const handled = flowOf([call({ retry: { delays: [] } }), end, { id: 'fix', type: 'end' }], [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'end' }, { from: 'call', port: 'error', to: 'fix' }]);
    const h = advance(handled, start(handled, { n: 1 }), { now: T0 });
    const r = applyActionResult(handled, h.run, { ok: false, status: 500, errorClass: '5xx', durationMs: 1 }, T0, T0);
    expect(r).toMatchObject({ status: 'running', cursor: 'fix', outcome: 'error-handled' });
    expect(r.error).toBeUndefined();
    expect(advance(handled, r, { now: T0 }).run).toMatchObject({ status: 'succeeded', outcome: 'error-handled' });
  });
  it('a result for a run not at a running action is refused', () => {
    const s = advance(flow, start(flow, { n: 1 }), { now: T0 });
    expect(() => applyActionResult(flow, { ...s.run, cursor: 'end' }, { ok: true, durationMs: 1 }, T0, T0)).toThrow('run r1 has no running action');
    expect(() => applyActionResult(flow, { ...s.run, cursor: null }, { ok: true, durationMs: 1 }, T0, T0)).toThrow('run r1 has no running action');
    expect(() => applyActionResult(flow, { ...s.run, steps: [] }, { ok: true, durationMs: 1 }, T0, T0)).toThrow('run r1 has no running action');
  });
});

describe('end and transitions', () => {
  const exit = (key: unknown = { var: 'payload.email' }) => linear([{ id: 'done', type: 'end', exitState: { entity: 'account', key, state: 'won' } } as FlowNode]);
  it('an exit state asks for the transition once; its result ends or fails the run', () => {
    const flow = exit();
    const s = advance(flow, start(flow, { email: 'a@x.io' }), { now: T0 });
    expect(s.command).toEqual({ kind: 'transition', nodeId: 'done', entity: 'account', key: 'a@x.io', state: 'won' });
    expect(s.run.steps).toEqual([{ nodeId: 'done', status: 'running', input: { entity: 'account', key: 'a@x.io', state: 'won' }, attempts: [], startedAt: T0 }]);
    const asked = advance(flow, s.run, { now: at(1) });
    expect(asked.command).toEqual(s.command);
    expect(asked.run.steps).toHaveLength(1);
    const ok = applyTransitionResult(flow, s.run, { ok: true, record: { state: 'won' } }, at(2));
    expect(ok).toMatchObject({ status: 'succeeded', endedAt: at(2), cursor: null });
    expect(ok.steps[0]).toMatchObject({ status: 'succeeded', output: { state: 'won' }, endedAt: at(2) });
    expect(advance(flow, { ...ok, status: 'running', cursor: 'done' }, { now: at(3) }).run).toMatchObject({ status: 'succeeded', steps: [{ status: 'succeeded' }] });
    const no = applyTransitionResult(flow, s.run, { ok: false, error: 'captured → won is not allowed' }, at(2));
    expect(no).toMatchObject({ status: 'failed', error: 'captured → won is not allowed', cursor: null });
    expect(no.steps[0]).toMatchObject({ status: 'failed', error: 'captured → won is not allowed', endedAt: at(2) });
    expect(applyTransitionResult(flow, s.run, { ok: false }, at(2)).steps[0]!.error).toBe('transition refused');
    expect(() => applyTransitionResult(flow, { ...s.run, steps: [] }, { ok: true }, T0)).toThrow('run r1 has no running transition');
    expect(() => applyTransitionResult(flow, { ...s.run, cursor: null }, { ok: true }, T0)).toThrow('run r1 has no running transition');
  });
  it('a transition on a node that is not an end leaves the run going', () => {
    const flow = linear([{ id: 'w', type: 'wait', for: '1s' }, end]);
    const run: Run = { ...start(flow), status: 'running', cursor: 'w', steps: [{ nodeId: 'w', status: 'running', attempts: [], startedAt: T0 }] };
    expect(applyTransitionResult(flow, run, { ok: true }, T0)).toMatchObject({ status: 'running', cursor: 'w' });
  });
  it('an exit key that evaluates to nothing fails the run; a number is a key', () => {
    for (const v of [null, '']) expect(advance(exit(), start(exit(), { email: v }), { now: T0 }).run).toMatchObject({ status: 'failed', error: 'done.exitState.key evaluated to nothing' });
    expect(advance(exit(), start(exit(), {}), { now: T0 }).run.error).toBe('done.exitState.key evaluated to nothing');
    expect(advance(exit(), start(exit(), { email: 42 }), { now: T0 }).command).toMatchObject({ key: '42' });
  });
});

describe('replay and cancel', () => {
  const flow = linear([{ id: 'c', type: 'compute', set: { a: 1 } }, call({ retry: { delays: [] } }), end]);
  const deadRun = () => {
    const s = advance(flow, start(flow, { n: 1 }), { now: T0 });
    return applyActionResult(flow, s.run, { ok: false, status: 400, errorClass: '4xx', error: 'HTTP 400', durationMs: 1 }, at(1), T0);
  };
  it('a replay resumes at the failed step, earlier outputs kept, counted', () => {
    const r = prepareReplay(flow, { ...deadRun(), outcome: 'error-handled' }, at(5));
    expect(r).toMatchObject({ status: 'queued', cursor: 'call', replays: 1, error: undefined, endedAt: undefined, outcome: undefined, updatedAt: at(5), vars: { a: 1 } });
    expect(r.keySuffix).toBeUndefined();
    expect(r.steps.map((s) => s.nodeId)).toEqual(['c']);
    const again = prepareReplay(flow, { ...r, status: 'dead', steps: deadRun().steps }, at(6), { newIdempotencyKey: true });
    expect(again).toMatchObject({ replays: 2, keySuffix: 'r2' });
    expect(idempotencyKeyFor(again, 'call')).toBe('r1:call:r2');
    expect(idempotencyKeyFor(r, 'call')).toBe('r1:call');
  });
  it('only dead or failed runs replay, and only onto a node the flow has', () => {
    for (const status of ['succeeded', 'waiting', 'running', 'cancelled'] as const) expect(() => prepareReplay(flow, { ...deadRun(), status }, T0)).toThrow(`run r1 is ${status}; only dead or failed runs can be replayed`);
    const other = linear([end]);
    expect(() => prepareReplay(other, deadRun(), T0)).toThrow('run r1 cannot resume: node "call" is not in the flow');
    // a failed run with no failed step resumes at its cursor
    const failed = { ...start(flow), status: 'failed' as const, cursor: 'call' };
    expect(prepareReplay(flow, failed, T0)).toMatchObject({ status: 'queued', cursor: 'call' });
    expect(() => prepareReplay(flow, { ...failed, cursor: null }, T0)).toThrow('run r1 cannot resume: node "null" is not in the flow');
  });
  it('cancel ends the run and the step in progress, with the reason', () => {
    const waiting = applyActionResult(linear([call(), end]), advance(linear([call(), end]), start(linear([call(), end]), { n: 1 }), { now: T0 }).run, { ok: false, errorClass: '5xx', durationMs: 1 }, T0, T0);
    const c = cancelRun(waiting, at(4), 'paid');
    expect(c).toMatchObject({ status: 'cancelled', cursor: null, wakeAt: undefined, endedAt: at(4), error: 'paid' });
    expect(c.steps[0]).toMatchObject({ status: 'cancelled', endedAt: at(4), error: 'paid' });
    expect(cancelRun(waiting, at(4)).error).toBe('cancelled');
    const finishedStep = advance(flow, start(flow, { n: 1 }), { now: T0 }).run; // compute step ended, action running
    const c2 = cancelRun({ ...finishedStep, steps: finishedStep.steps.slice(0, 1) }, at(4));
    expect(c2.steps[0]).toMatchObject({ nodeId: 'c', status: 'succeeded', endedAt: T0 });
    expect(cancelRun({ ...finishedStep, steps: [] }, at(4)).steps).toEqual([]);
  });
});

describe('run-state', () => {
  it('nextNode: a portless edge leaves by the default port; an explicit port must match', () => {
    const flow = flowOf([call(), end, { id: 'x', type: 'end' }], [{ from: 'trigger', port: 'out', to: 'call' }, { from: 'call', to: 'end' }, { from: 'call', port: 'error', to: 'x' }]);
    expect(nextNode(flow, 'trigger')).toBe('call');
    expect(nextNode(flow, 'call')).toBe('end');
    expect(nextNode(flow, 'call', 'ok')).toBe('end');
    expect(nextNode(flow, 'call', 'error')).toBe('x');
    expect(nextNode(flow, 'call', 'other')).toBeUndefined();
    expect(nextNode(flow, 'nope')).toBeUndefined();
  });
  it('evalContext: finished steps by node, the record, config, and secrets only when asked for', () => {
    const run: Run = { ...start(linear([end]), { p: 1 }), vars: { v: 2 }, steps: [
      { nodeId: 'a', status: 'succeeded', output: 1, port: 'out', attempts: [], startedAt: T0 },
      { nodeId: 'b', status: 'failed', output: 2, port: 'error', attempts: [], startedAt: T0 },
      { nodeId: 'c', status: 'running', output: 3, attempts: [], startedAt: T0 },
    ] };
    const env = { now: at(1), secrets: { KEY: 's3cret' }, config: { URL: 'http://x' } };
    const open = evalContext(run, env, true);
    expect(open).toEqual({ payload: { p: 1 }, headers: {}, vars: { v: 2 }, record: null, run: { id: 'r1', flowId: 'f', startedAt: T0 }, now: at(1), secrets: { KEY: 's3cret' }, config: { URL: 'http://x' }, steps: { a: { output: 1, port: 'out' }, b: { output: 2, port: 'error' } } });
    const shut = evalContext(run, env, false);
    expect(shut.secrets!.KEY).toBe('[redacted]');
    expect(shut.secrets!.ANY_OTHER).toBe('[redacted]');
    expect(JSON.stringify(shut)).not.toContain('s3cret');
    expect(evalContext(run, { now: T0 }, true)).toMatchObject({ secrets: {}, config: {}, record: null });
    expect(evalContext(run, { now: T0, record: { entity: 'account', key: 'k', state: 'won' } as never }, false).record).toMatchObject({ key: 'k' });
  });
  it('finish keeps the cursor of a dead run (it replays there) and clears it otherwise; cloneRun copies', () => {
    const base = () => ({ ...start(linear([end])), cursor: 'end', wakeAt: at(9) });
    expect(finish(base(), 'dead', at(1)).run).toMatchObject({ status: 'dead', cursor: 'end', wakeAt: undefined, endedAt: at(1) });
    for (const s of ['succeeded', 'failed', 'cancelled'] as const) expect(finish(base(), s, at(1)).run.cursor).toBeNull();
    expect(finish(base(), 'failed', at(1), 'why').run.error).toBe('why');
    expect(finish(base(), 'failed', at(1)).run.error).toBeUndefined();
    const r = base();
    const c = cloneRun(r, at(2));
    c.vars.x = 1;
    c.steps.push({ nodeId: 'e', status: 'succeeded', attempts: [], startedAt: T0 });
    expect([r.vars, r.steps, c.updatedAt]).toEqual([{}, [], at(2)]);
    expect(lastStep(c, 'e')?.nodeId).toBe('e');
    expect(lastStep(c, 'other')).toBeUndefined();
    expect(lastStep(r, 'e')).toBeUndefined();
  });
  it('runRecordRef: the flow’s record key, or none when it evaluates to nothing', () => {
    const flow = linear([end], { record: { entity: 'account', key: { var: 'payload.email' } } });
    expect(runRecordRef(flow, { payload: { email: 'a@x.io' }, headers: {} })).toEqual({ entity: 'account', key: 'a@x.io' });
    expect(runRecordRef(flow, { payload: { email: 7 }, headers: {} })).toEqual({ entity: 'account', key: '7' });
    for (const email of [null, '', undefined]) expect(runRecordRef(flow, { payload: { email }, headers: {} })).toBeUndefined();
    expect(runRecordRef(linear([end]), { payload: { email: 'a@x.io' }, headers: {} })).toBeUndefined();
  });
});
