// The foreach node, stepped the way the runtime steps it: an 'items' command's commands are performed
// at once, answers come back in any order, each applied result is written before the item's next step.
// Unit cases for ordering, concurrency, stop/continue, keys, item/index and maxItems; fast-check
// properties over item counts, completion orders and a crash at every step boundary (concurrency 1, 4).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Flow, FlowNode, Run } from '@flowdesk/schema';
import { advance, applyItemResult, newRun, prepareReplay } from './interpreter.ts';
import { dryRun } from './dry-run.ts';
import type { ActionResult, ItemsCommand } from './types.ts';

const T0 = '2026-01-01T00:00:00.000Z';

function loopFlow(opts: { concurrency?: number; onItemError?: 'stop' | 'continue'; maxItems?: number; endOutput?: boolean } = {}): Flow {
  const nodes: FlowNode[] = [
    { id: 'each', type: 'foreach', items: { var: 'payload.items' }, ...(opts.concurrency ? { concurrency: opts.concurrency } : {}), ...(opts.onItemError ? { onItemError: opts.onItemError } : {}), ...(opts.maxItems ? { maxItems: opts.maxItems } : {}) },
    { id: 'double', type: 'compute', set: { d: { '*': [{ var: 'item.n' }, 2] }, at: { var: 'index' } } },
    { id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: 'http://crm.test/items/{{index}}', body: { n: '{{item.n}}', d: '{{vars.d}}', at: '{{vars.at}}' } } },
    opts.endOutput === false ? { id: 'item-end', type: 'end' } : { id: 'item-end', type: 'end', output: { var: 'steps.call.output.echo' } },
    { id: 'after', type: 'compute', set: { total: { reduce: [{ var: 'steps.each.output.items' }, { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 0] } } },
    { id: 'end', type: 'end' },
  ];
  return {
    dsl: 1, id: 'loop', name: 'Loop', version: 1, trigger: { type: 'manual' }, nodes,
    edges: [
      { from: 'trigger', to: 'each' },
      { from: 'each', port: 'item', to: 'double' },
      { from: 'double', to: 'call' },
      { from: 'call', to: 'item-end' },
      { from: 'each', port: 'done', to: 'after' },
      { from: 'after', to: 'end' },
    ],
  };
}

type Cmd = ItemsCommand['commands'][number];
interface Call { key: string; index: number; body: Record<string, unknown> }

/**
 * Drives a run like the runner: performs every listed item command not already in flight, lets `pick`
 * choose which in-flight answer arrives next, applies and "writes" it. `crashAt` (a boundary number)
 * throws away everything not written and resumes from the last written run, in-flight calls lost.
 */
function drive(flow: Flow, payload: unknown, o: { pick?: (n: number) => number; crashAt?: number[]; fail?: Set<number>; maxInFlightSeen?: { n: number } } = {}) {
  const calls: Call[] = [];
  const written: Run[] = [];
  let saved = newRun(flow, { id: 'run-1', payload, now: T0, idempotencyKey: null, trigger: { type: 'manual' } });
  let run = saved;
  let inFlight: Cmd[] = [];
  let boundary = 0;
  const crashes = new Set(o.crashAt ?? []);
  const finishedWhenCalled: number[] = [];
  const boundaryPassed = () => {
    boundary++;
    if (!crashes.has(boundary)) return false;
    run = saved; // the process dies: memory and calls in flight are gone
    inFlight = [];
    return true;
  };
  for (let guard = 0; guard < 100_000; guard++) {
    const { run: next, command } = advance(flow, run, { now: T0 });
    run = next;
    if (command.kind === 'done') {
      saved = run;
      written.push(run);
      return { run, calls, boundaries: boundary, finishedWhenCalled };
    }
    if (command.kind !== 'items') throw new Error(`unexpected ${command.kind}`);
    let crashed = false;
    for (const c of command.commands) {
      if (inFlight.some((f) => f.index === c.index)) continue;
      if (c.command.kind !== 'action') throw new Error('only actions here');
      // the call reaches the receiver as soon as it is made
      const doneBefore = saved.loops?.each?.states[c.index]?.status === 'succeeded';
      if (doneBefore) finishedWhenCalled.push(c.index);
      calls.push({ key: c.command.idempotencyKey, index: c.index, body: c.command.params.body as Record<string, unknown> });
      inFlight.push(c);
      if (o.maxInFlightSeen) o.maxInFlightSeen.n = Math.max(o.maxInFlightSeen.n, inFlight.length);
      if (boundaryPassed()) {
        crashed = true;
        break;
      }
    }
    if (crashed) continue;
    const at = o.pick ? o.pick(inFlight.length) % inFlight.length : 0;
    const [c] = inFlight.splice(at, 1) as [Cmd];
    const body = (c.command as unknown as { params: { body: Record<string, unknown> } }).params.body;
    const result: ActionResult = o.fail?.has(c.index)
      ? { ok: false, status: 422, errorClass: '4xx', error: 'HTTP 422', durationMs: 1 }
      : { ok: true, status: 200, output: { echo: body.d }, durationMs: 1 };
    run = applyItemResult(flow, run, 'each', c.index, { kind: 'action', result, startedAt: T0 }, T0);
    saved = run;
    written.push(run);
    boundaryPassed();
  }
  throw new Error('did not finish');
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i + 1 }));

describe('foreach: unit cases', () => {
  it('runs the body once per item, in order, collecting each end output into steps.<id>.output.items', () => {
    const { run, calls } = drive(loopFlow(), { items: items(3) });
    expect(run.status).toBe('succeeded');
    const step = run.steps.find((s) => s.nodeId === 'each')!;
    expect(step).toMatchObject({ status: 'succeeded', port: 'done', output: { items: [2, 4, 6], failed: [] }, input: { count: 3 } });
    expect(calls.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(run.vars.total).toBe(12);
    expect(run.steps.map((s) => s.nodeId)).toEqual(['each', 'after', 'end']);
  });

  it('item and index are in the body’s context; each item’s steps and vars are its own', () => {
    const { run, calls } = drive(loopFlow(), { items: [{ n: 10 }, { n: 20 }] });
    expect(calls.map((c) => c.body)).toEqual([{ n: 10, d: 20, at: 0 }, { n: 20, d: 40, at: 1 }]);
    const states = run.loops!.each!.states;
    expect(states.map((s) => s.steps.map((x) => x.nodeId))).toEqual([['double', 'call', 'item-end'], ['double', 'call', 'item-end']]);
    expect(states.map((s) => s.vars)).toEqual([{ d: 20, at: 0 }, { d: 40, at: 1 }]);
    expect(run.vars).toEqual({ total: 60 }); // item vars do not leak into the run
  });

  it('an action in the body carries Idempotency-Key <runId>:<nodeId>:<index>', () => {
    const { calls } = drive(loopFlow(), { items: items(3) });
    expect(calls.map((c) => c.key)).toEqual(['run-1:call:0', 'run-1:call:1', 'run-1:call:2']);
  });

  it('without an end output, the item result is the output of the step before the end', () => {
    const { run } = drive(loopFlow({ endOutput: false }), { items: items(2) });
    expect(run.steps[0]!.output).toEqual({ items: [{ echo: 2 }, { echo: 4 }], failed: [] });
  });

  it('concurrency: up to that many items are in flight at once, and results still land in item order', () => {
    const seen = { n: 0 };
    const { run } = drive(loopFlow({ concurrency: 4 }), { items: items(10) }, { pick: (n) => n - 1, maxInFlightSeen: seen });
    expect(seen.n).toBe(4);
    expect(run.steps[0]!.output).toEqual({ items: [2, 4, 6, 8, 10, 12, 14, 16, 18, 20], failed: [] });
    const first = advance(loopFlow({ concurrency: 4 }), newRun(loopFlow({ concurrency: 4 }), { id: 'r', payload: { items: items(10) }, now: T0, idempotencyKey: null, trigger: { type: 'manual' } }), { now: T0 });
    expect(first.command).toMatchObject({ kind: 'items', nodeId: 'each' });
    expect((first.command as ItemsCommand).commands.map((c) => c.index)).toEqual([0, 1, 2, 3]);
  });

  it('onItemError stop (the default): no new item starts after a failure; the run is dead naming the item', () => {
    const { run, calls } = drive(loopFlow(), { items: items(5) }, { fail: new Set([1]) });
    expect(calls.map((c) => c.index)).toEqual([0, 1]);
    expect(run.status).toBe('dead');
    expect(run.error).toMatch(/^each: item 1 failed: /);
    expect(run.steps[0]).toMatchObject({ nodeId: 'each', status: 'failed' });
  });

  it('stop with concurrency: items already in flight finish, nothing new starts', () => {
    const { run, calls } = drive(loopFlow({ concurrency: 3 }), { items: items(8) }, { fail: new Set([0]) });
    expect(calls.map((c) => c.index).sort()).toEqual([0, 1, 2]);
    expect(run.status).toBe('dead');
    expect(run.loops!.each!.states.map((s) => s.status)).toEqual(['failed', 'succeeded', 'succeeded', 'pending', 'pending', 'pending', 'pending', 'pending']);
  });

  it('a replay of a stopped loop reruns the failed item and the rest; finished items are not called again', () => {
    const flow = loopFlow();
    const first = drive(flow, { items: items(4) }, { fail: new Set([2]) });
    expect(first.run.status).toBe('dead');
    let run = prepareReplay(flow, first.run, T0);
    const calls: number[] = [];
    for (let i = 0; i < 100; i++) {
      const { run: next, command } = advance(flow, run, { now: T0 });
      run = next;
      if (command.kind === 'done') break;
      const c = (command as ItemsCommand).commands[0]!;
      calls.push(c.index);
      run = applyItemResult(flow, run, 'each', c.index, { kind: 'action', result: { ok: true, output: { echo: 'again' }, durationMs: 1 }, startedAt: T0 }, T0);
    }
    expect(calls).toEqual([2, 3]);
    expect(run.status).toBe('succeeded');
    expect(run.steps.find((s) => s.nodeId === 'each')!.output).toEqual({ items: [2, 4, 'again', 'again'], failed: [] });
  });

  it('onItemError continue: every item runs, failed indexes are collected, results keep their places', () => {
    const { run, calls } = drive(loopFlow({ onItemError: 'continue' }), { items: items(5) }, { fail: new Set([1, 3]) });
    expect(calls.map((c) => c.index)).toEqual([0, 1, 2, 3, 4]);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]!.output).toEqual({ items: [2, null, 6, null, 10], failed: [1, 3] });
  });

  it('more items than maxItems fails the step with a clear error; a non-list too', () => {
    const flow = loopFlow({ maxItems: 3 });
    const start = (payload: unknown) => newRun(flow, { id: 'r', payload, now: T0, idempotencyKey: null, trigger: { type: 'manual' } });
    const over = advance(flow, start({ items: items(4) }), { now: T0 }).run;
    expect(over).toMatchObject({ status: 'failed', error: 'each: 4 items is more than maxItems (3)' });
    expect(over.steps[0]).toMatchObject({ nodeId: 'each', status: 'failed' });
    expect(advance(flow, start({ items: 'nope' }), { now: T0 }).run.error).toBe('each.items did not give a list (got string)');
    const empty = advance(flow, start({ items: [] }), { now: T0 }).run;
    expect(empty.status).toBe('succeeded');
    expect(empty.steps[0]!.output).toEqual({ items: [], failed: [] });
  });

  it('a retry in an item parks the run on a timer for that item', () => {
    const flow = loopFlow();
    const retrying = { ...flow, nodes: flow.nodes.map((n) => (n.id === 'call' ? { ...n, retry: { delays: ['30s'] } } : n)) } as Flow;
    let run = newRun(retrying, { id: 'r', payload: { items: items(1) }, now: T0, idempotencyKey: null, trigger: { type: 'manual' } });
    run = advance(retrying, run, { now: T0 }).run;
    run = applyItemResult(retrying, run, 'each', 0, { kind: 'action', result: { ok: false, errorClass: '5xx', status: 503, error: 'HTTP 503', durationMs: 1 }, startedAt: T0 }, T0);
    const parked = advance(retrying, run, { now: T0 });
    expect(parked.command).toEqual({ kind: 'wait', nodeId: 'each', until: '2026-01-01T00:00:30.000Z' });
    expect(parked.run).toMatchObject({ status: 'waiting', wakeAt: '2026-01-01T00:00:30.000Z' });
    const woke = advance(retrying, parked.run, { now: '2026-01-01T00:00:30.000Z' });
    expect(woke.command).toMatchObject({ kind: 'items', commands: [{ index: 0, command: { kind: 'action', attempt: 2, idempotencyKey: 'r:call:0' } }] });
  });

  it('the dry run walks every item', () => {
    const out = dryRun(loopFlow({ concurrency: 2 }), { payload: { items: items(3) }, now: T0 });
    expect(out.ok).toBe(true);
    expect(out.actions.map((a) => a.params.url)).toEqual(['http://crm.test/items/0', 'http://crm.test/items/1', 'http://crm.test/items/2']);
  });
});

describe('foreach: properties', () => {
  const scenario = fc.record({
    count: fc.integer({ min: 0, max: 9 }),
    concurrency: fc.constantFrom(1, 4),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
  });
  const picker = (picks: number[]) => {
    let i = 0;
    return (n: number) => picks[i++ % picks.length]! % Math.max(n, 1);
  };

  it('any completion order: results in item order, concurrency never exceeded, each item called once', () => {
    fc.assert(
      fc.property(scenario, ({ count, concurrency, picks }) => {
        const seen = { n: 0 };
        const { run, calls } = drive(loopFlow({ concurrency }), { items: items(count) }, { pick: picker(picks), maxInFlightSeen: seen });
        expect(run.status).toBe('succeeded');
        expect(run.steps[0]!.output).toEqual({ items: items(count).map((x) => x.n * 2), failed: [] });
        expect(seen.n).toBeLessThanOrEqual(concurrency);
        expect(seen.n).toBe(Math.min(concurrency, count));
        expect(calls.map((c) => c.key).sort()).toEqual(items(count).map((_, i) => `run-1:call:${i}`).sort());
      }),
      { numRuns: 60 },
    );
  });

  it('a crash at every step boundary: no finished item called again, none skipped, results in order (concurrency 1 and 4)', () => {
    fc.assert(
      fc.property(scenario, ({ count, concurrency, picks }) => {
        const flow = loopFlow({ concurrency });
        const clean = drive(flow, { items: items(count) }, { pick: picker(picks) });
        for (let k = 1; k <= clean.boundaries; k++) {
          const seen = { n: 0 };
          const out = drive(flow, { items: items(count) }, { pick: picker(picks), crashAt: [k], maxInFlightSeen: seen });
          expect(out.run.status).toBe('succeeded');
          expect(out.run.steps[0]!.output).toEqual({ items: items(count).map((x) => x.n * 2), failed: [] });
          expect(out.finishedWhenCalled).toEqual([]);
          expect(new Set(out.calls.map((c) => c.index))).toEqual(new Set(items(count).map((_, i) => i)));
          for (const c of out.calls) expect(c.key).toBe(`run-1:call:${c.index}`);
          expect(seen.n).toBeLessThanOrEqual(concurrency);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('several crashes in one run, and onItemError continue, keep the same guarantees', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 4 }), fc.array(fc.nat({ max: 8 }), { maxLength: 3 }), ({ count, concurrency, picks }, crashAt, failing) => {
        const fail = new Set(failing.filter((i) => i < count));
        const out = drive(loopFlow({ concurrency, onItemError: 'continue' }), { items: items(count) }, { pick: picker(picks), crashAt, fail });
        expect(out.run.status).toBe('succeeded');
        expect(out.run.steps[0]!.output).toEqual({ items: items(count).map((x, i) => (fail.has(i) ? null : x.n * 2)), failed: [...fail].sort((a, b) => a - b) });
        expect(out.finishedWhenCalled).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
