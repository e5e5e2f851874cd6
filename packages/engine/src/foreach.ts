// The foreach node: runs its loop body once per item, at most `concurrency` items at once. Each item
// is a small run of its own over the body (its cursor, steps and vars, kept in run.loops), stepped by
// the same step functions as the run itself; its actions carry `<runId>:<nodeId>:<index>` as their key.
// A finished item's result is written before anything else moves, so after a crash every unfinished
// item resumes where it was and no finished item runs again. Pure, like every step.
import { DEFAULT_MAX_ITEMS, type Flow, type FlowNode, type LoopItem, type LoopState, type NodeOf, type Run } from '@flowdesk/schema';
import { evaluateLogic, LogicError } from './logic.ts';
import { applyActionResult, applySandboxResult } from './interpreter.ts';
import { cloneRun, evalContext, finish, follow, lastStep, nextNode, nodeById, type AdvanceEnv } from './run-state.ts';
import { STEPS, type StepFn, type StepInput } from './steps.ts';
import type { ItemResult, ItemsCommand, Step } from './types.ts';

/** Pure steps one item may take in one pass (guards a runaway body). */
const MAX_ITEM_STEPS = 1000;

type ForeachNode = NodeOf<'foreach'>;

export function foreachStep({ flow, run, node, env, ctx }: StepInput<ForeachNode>): Step | null {
  const loops = run.loops ?? {};
  let loop = loops[node.id];
  const last = lastStep(run, node.id);
  if (!loop || loop.status === 'done') {
    const items = evaluateLogic(node.items, ctx(), `${node.id}.items`);
    if (!Array.isArray(items)) throw new LogicError(`${node.id}.items did not give a list (got ${items === null ? 'null' : typeof items})`);
    const max = node.maxItems ?? DEFAULT_MAX_ITEMS;
    if (items.length > max) throw new LogicError(`${node.id}: ${items.length} items is more than maxItems (${max})`);
    loop = { status: 'running', items, states: items.map((_, index): LoopItem => ({ index, status: 'pending', cursor: null, steps: [], vars: {} })) };
    run.steps.push({ nodeId: node.id, status: 'running', input: { count: items.length }, attempts: [], startedAt: env.now });
  } else if (!last || last.status !== 'running') {
    // a replay resumes a loop that stopped: its finished items stay finished
    run.steps.push({ nodeId: node.id, status: 'running', input: { count: loop.items.length }, attempts: [], startedAt: env.now });
  }
  loop = { ...loop, states: loop.states.slice() };
  run.loops = { ...loops, [node.id]: loop };
  return stepLoop(flow, run, node, loop, env);
}

function stepLoop(flow: Flow, run: Run, node: ForeachNode, loop: LoopState, env: AdvanceEnv): Step | null {
  const concurrency = node.concurrency ?? 1;
  const stopOnError = (node.onItemError ?? 'stop') === 'stop';
  const isActive = (s: LoopItem) => s.status === 'running' || s.status === 'waiting';
  const anyFailed = () => loop.states.some((s) => s.status === 'failed');
  const commands: ItemsCommand['commands'] = [];
  let until: string | undefined;
  for (let i = 0; i < loop.states.length; i++) {
    let st = loop.states[i]!;
    if (st.status === 'pending') {
      if ((stopOnError && anyFailed()) || loop.states.filter(isActive).length >= concurrency) continue;
      st = { ...st, status: 'running', cursor: nextNode(flow, node.id, 'item') ?? null, steps: [], vars: {} };
    }
    if (!isActive(st)) continue;
    const out = stepItem(flow, run, loop.items[i], st, env);
    loop.states[i] = out.state;
    if (out.command) commands.push({ index: i, command: out.command });
    if (out.state.status === 'waiting' && out.state.wakeAt && (!until || out.state.wakeAt < until)) until = out.state.wakeAt;
  }
  const finished = loop.states.every((s) => s.status === 'succeeded' || s.status === 'failed');
  const failed = loop.states.filter((s) => s.status === 'failed');
  const step = lastStep(run, node.id)!;
  if (stopOnError && failed.length && !loop.states.some(isActive)) {
    const first = failed[0]!;
    const error = `${node.id}: item ${first.index} failed: ${first.error ?? 'failed'}`;
    run.steps[run.steps.length - 1] = { ...step, status: 'failed', output: progress(loop), error, port: undefined, endedAt: env.now };
    run.status = 'dead';
    run.error = error;
    run.endedAt = env.now;
    run.wakeAt = undefined;
    return { run, command: { kind: 'done' } };
  }
  if (finished) {
    run.loops = { ...run.loops, [node.id]: { ...loop, status: 'done' } };
    const output = { items: loop.states.map((s) => (s.status === 'succeeded' ? (s.result ?? null) : null)), failed: failed.map((s) => s.index) };
    run.steps[run.steps.length - 1] = { ...step, status: 'succeeded', output, port: 'done', endedAt: env.now };
    return follow(run, flow, node.id, 'done', env.now);
  }
  if (commands.length) {
    run.status = 'running';
    run.wakeAt = undefined;
    return { run, command: { kind: 'items', nodeId: node.id, commands } };
  }
  if (until) {
    run.status = 'waiting';
    run.wakeAt = until;
    return { run, command: { kind: 'wait', nodeId: node.id, until } };
  }
  return finish(run, 'failed', env.now, `${node.id}: the loop has items left but none can go on`);
}

/** Counts by status, for a loop that stopped. */
function progress(loop: LoopState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of loop.states) out[s.status] = (out[s.status] ?? 0) + 1;
  return out;
}

/** The run as one item sees it: the item's cursor, steps and vars, `item`/`index` in the context, its key. */
export function itemView(run: Run, st: LoopItem, item: unknown): Run {
  return {
    ...run,
    cursor: st.cursor,
    steps: st.steps.slice(),
    vars: { ...run.vars, ...st.vars },
    status: st.status === 'waiting' ? 'waiting' : 'running',
    wakeAt: st.wakeAt,
    outcome: st.outcome,
    error: undefined,
    endedAt: undefined,
    loops: undefined,
    loopItem: { item, index: st.index },
    keySuffix: run.keySuffix ? `${st.index}:${run.keySuffix}` : String(st.index),
  };
}

/** The item's state after its view moved on. */
function fromView(run: Run, st: LoopItem, view: Run, flow: Flow): LoopItem {
  const vars: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(view.vars)) if (run.vars[k] !== v) vars[k] = v;
  const base: LoopItem = { index: st.index, status: 'running', cursor: view.cursor, steps: view.steps, vars, ...(view.outcome ? { outcome: view.outcome } : {}) };
  if (view.status === 'waiting') return { ...base, status: 'waiting', wakeAt: view.wakeAt };
  if (view.status === 'dead' || view.status === 'failed') return { ...base, status: 'failed', cursor: null, error: view.error ?? 'failed' };
  if (view.status === 'succeeded') return { ...base, status: 'succeeded', cursor: null, result: itemResult(view, flow) };
  return base;
}

/** The body end's output when it has one, else the output of the step before the end. */
function itemResult(view: Run, flow: Flow): unknown {
  const end = view.steps[view.steps.length - 1];
  const endNode = end ? nodeById(flow, end.nodeId) : undefined;
  if (endNode?.type === 'end' && endNode.output !== undefined) return end!.output ?? null;
  return view.steps[view.steps.length - 2]?.output ?? null;
}

function stepItem(flow: Flow, run: Run, item: unknown, st: LoopItem, env: AdvanceEnv): { state: LoopItem; command?: ItemsCommand['commands'][number]['command'] } {
  const view = itemView(run, st, item);
  const fail = (error: string, nodeId?: string) => {
    if (nodeId) view.steps.push({ nodeId, status: 'failed', attempts: [], error, startedAt: env.now, endedAt: env.now });
    return { state: { ...fromView(run, st, view, flow), status: 'failed' as const, cursor: null, error } };
  };
  for (let k = 0; k < MAX_ITEM_STEPS; k++) {
    if (!view.cursor) return fail('the item has no node to go to');
    const n = nodeById(flow, view.cursor);
    if (!n) return fail(`node "${view.cursor}" is not in flow version ${run.flowVersion}`);
    let out: Step | null;
    try {
      out = (STEPS[n.type] as StepFn<FlowNode>)({ flow, run: view, node: n, env, ctx: () => evalContext(view, env, false) });
    } catch (e) {
      return fail(e instanceof LogicError ? e.message : `${n.id}: ${(e as Error).message}`, n.id);
    }
    if (!out) continue;
    const cmd = out.command;
    if (cmd.kind === 'done' || cmd.kind === 'wait') return { state: fromView(run, st, view, flow) };
    if (cmd.kind === 'action' || cmd.kind === 'sandbox') return { state: fromView(run, st, view, flow), command: cmd };
    return fail(`${n.id}: a ${n.type} step cannot run inside a loop body`, n.id);
  }
  return fail(`more than ${MAX_ITEM_STEPS} steps in one item without an action`);
}

/** Applies one item's command result (an action attempt, a sandbox answer) to the loop: written before
 * the item's next step starts. */
export function applyItemResult(flow: Flow, input: Run, nodeId: string, index: number, result: ItemResult, now: string): Run {
  const run = cloneRun(input, now);
  const loop = run.loops?.[nodeId];
  const st = loop?.states[index];
  if (!loop || !st || st.status !== 'running') throw new Error(`run ${run.id} has no running item ${index} in "${nodeId}"`);
  const view = itemView(run, st, loop.items[index]);
  const after = result.kind === 'action' ? applyActionResult(flow, view, result.result, now, result.startedAt) : applySandboxResult(flow, view, result.result, now);
  const states = loop.states.slice();
  states[index] = fromView(run, st, after, flow);
  // a connector in the body that could not run marks the run, as it does outside a loop
  if (after.outcome === 'not-configured') run.outcome ??= 'not-configured';
  run.loops = { ...run.loops, [nodeId]: { ...loop, states } };
  return run;
}

/** For a replay of a run that stopped in a loop: failed items go back to pending (finished ones stay). */
export function reopenLoop(run: Run, nodeId: string): void {
  const loop = run.loops?.[nodeId];
  if (!loop || loop.status !== 'running') return;
  run.loops = {
    ...run.loops,
    [nodeId]: { ...loop, states: loop.states.map((s) => (s.status === 'failed' ? { index: s.index, status: 'pending', cursor: null, steps: [], vars: {} } : s)) },
  };
}
