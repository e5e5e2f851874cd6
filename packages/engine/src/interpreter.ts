// The interpreter: steps a run over its flow graph. Pure — every function takes the run and
// returns a new run plus the one Command the runtime must perform; results come back in. What each
// node type does is its step function (steps.ts).
import type { Flow, FlowNode, Run } from '@flowdesk/schema';
import { evaluateLogic, LogicError } from './logic.ts';
import { nextRetry } from './retry.ts';
import { cloneRun, evalContext, finish, follow, idempotencyKeyFor, lastStep, nextNode, nodeById, type AdvanceEnv } from './run-state.ts';
import { DEFAULT_ACTION_TIMEOUT_MS, STEPS, type StepFn } from './steps.ts';
import { reopenLoop } from './foreach.ts';

export { applyItemResult, itemView } from './foreach.ts';
import type { ActionResult, SandboxResult, Step } from './types.ts';

/** Pure nodes processed in one advance() before giving control back (guards a runaway graph). */
const MAX_PURE_STEPS = 1000;

export type { AdvanceEnv };
export { DEFAULT_ACTION_TIMEOUT_MS, evalContext, idempotencyKeyFor, nextNode, nodeById };

export interface NewRunInput {
  id: string;
  payload: unknown;
  headers?: Record<string, string>;
  now: string;
  idempotencyKey: string | null;
  trigger: Run['trigger'];
  record?: Run['record'];
  parent?: Run['parent'];
}

export function newRun(flow: Flow, input: NewRunInput): Run {
  return {
    id: input.id,
    flowId: flow.id,
    flowVersion: flow.version ?? 1,
    status: 'queued',
    idempotencyKey: input.idempotencyKey,
    trigger: input.trigger,
    payload: input.payload,
    headers: input.headers ?? {},
    vars: {},
    record: input.record,
    ...(input.parent ? { parent: input.parent } : {}),
    cursor: nextNode(flow, 'trigger') ?? null,
    steps: [],
    createdAt: input.now,
    startedAt: input.now,
    updatedAt: input.now,
  };
}

/**
 * A held run (accepted while its flow was paused with hold) made ready to start on `flow`, the
 * version active when the flow was switched back on: queued at that version's first node, its record
 * as that version names it. Its id, payload, key and arrival time stay.
 */
export function releaseHeld(flow: Flow, run: Run, now: string): Run {
  let record = run.record;
  try {
    record = runRecordRef(flow, { payload: run.payload, headers: run.headers }) ?? (flow.record ? undefined : run.record);
  } catch {
    // a record key that does not evaluate on the new version: the run fails on its first step, as any would
  }
  return { ...run, flowVersion: flow.version ?? run.flowVersion, status: 'queued', record, cursor: nextNode(flow, 'trigger') ?? null, steps: [], vars: {}, startedAt: now, updatedAt: now };
}

/**
 * Steps the run from its cursor until it needs the outside world (an action, a timer, a review, a
 * record transition) or ends. Pure nodes (compute, route, qa) are recomputed identically after a crash.
 */
export function advance(flow: Flow, input: Run, env: AdvanceEnv): Step {
  const run = cloneRun(input, env.now);
  if (run.status === 'succeeded' || run.status === 'dead' || run.status === 'failed' || run.status === 'cancelled') {
    return { run, command: { kind: 'done' } };
  }
  run.status = 'running';
  for (let i = 0; i < MAX_PURE_STEPS; i++) {
    if (!run.cursor) return finish(run, 'failed', env.now, 'run has no node to go to');
    const node = nodeById(flow, run.cursor);
    if (!node) return finish(run, 'failed', env.now, `node "${run.cursor}" is not in flow version ${run.flowVersion}`);
    try {
      const out = stepNode(flow, run, node, env);
      if (out) return out;
    } catch (e) {
      const msg = e instanceof LogicError ? e.message : `${node.id}: ${(e as Error).message}`;
      run.steps.push({ nodeId: node.id, status: 'failed', attempts: [], error: msg, startedAt: env.now, endedAt: env.now });
      return finish(run, 'failed', env.now, msg);
    }
  }
  return finish(run, 'failed', env.now, `more than ${MAX_PURE_STEPS} steps without an action or wait`);
}

/** Runs the node's step function from the table (packages/engine/src/steps.ts). */
function stepNode(flow: Flow, run: Run, node: FlowNode, env: AdvanceEnv): Step | null {
  const step = STEPS[node.type] as StepFn<FlowNode>;
  return step({ flow, run, node, env, ctx: () => evalContext(run, env, false) });
}

/** Applies one attempt's result to the running action step: move on, schedule a retry, take the error port, or die. */
export function applyActionResult(flow: Flow, input: Run, result: ActionResult, now: string, attemptStartedAt: string): Run {
  const run = cloneRun(input, now);
  const node = run.cursor ? nodeById(flow, run.cursor) : undefined;
  const step = node ? lastStep(run, node.id) : undefined;
  if (!node || node.type !== 'action' || !step) throw new Error(`run ${run.id} has no running action`);
  const attempt = {
    at: attemptStartedAt,
    status: result.status,
    errorClass: result.ok ? undefined : result.errorClass,
    durationMs: result.durationMs,
    response: result.ok ? undefined : result.response,
    error: result.ok ? undefined : result.error,
  };
  if (result.ok && result.pending) {
    // not an attempt: the step waits (durably, on a timer) and asks again; a finishing child wakes it sooner
    run.steps[run.steps.length - 1] = { ...step, status: 'waiting', output: result.output };
    run.status = 'waiting';
    run.wakeAt = new Date(Date.parse(now) + result.pending.pollMs).toISOString();
    return run;
  }
  const attempts = [...step.attempts, attempt];
  if (result.notConfigured) {
    // nothing went out: the step is passed over, marked, and the run goes on (a fresh install runs end to end)
    run.steps[run.steps.length - 1] = { ...step, attempts, status: 'skipped', outcome: 'not-configured', output: undefined, port: 'ok', error: result.error ?? 'not configured', endedAt: now };
    run.outcome ??= 'not-configured';
    run.status = 'running';
    const stop = follow(run, flow, node.id, 'ok', now);
    return stop ? stop.run : run;
  }
  if (result.ok) {
    run.steps[run.steps.length - 1] = { ...step, attempts, status: 'succeeded', output: result.output, port: 'ok', error: null, endedAt: now };
    run.status = 'running';
    const stop = follow(run, flow, node.id, 'ok', now);
    return stop ? stop.run : run;
  }
  const decision = nextRetry(node, attempts.length, result.errorClass, `${run.id}:${node.id}`, result.retryAfterMs);
  if (decision.retry) {
    run.steps[run.steps.length - 1] = { ...step, attempts, status: 'waiting', error: result.error ?? null };
    run.status = 'waiting';
    run.wakeAt = new Date(Date.parse(now) + decision.delayMs).toISOString();
    return run;
  }
  run.steps[run.steps.length - 1] = { ...step, attempts, status: 'failed', error: result.error ?? `failed (${result.errorClass ?? 'error'})`, port: 'error', endedAt: now };
  if (nextNode(flow, node.id, 'error')) {
    run.outcome = 'error-handled';
    run.cursor = nextNode(flow, node.id, 'error')!;
    run.status = 'running';
    return run;
  }
  run.status = 'dead';
  run.error = `${node.id}: ${result.error ?? result.errorClass ?? 'failed'}`;
  run.endedAt = now;
  return run;
}

/** Applies a sandbox answer to a running code or set node: its output and the `out` port, or on failure
 * the `error` port if wired, else the run fails (replay runs the same code again, so it is not dead). */
export function applySandboxResult(flow: Flow, input: Run, result: SandboxResult, now: string): Run {
  const run = cloneRun(input, now);
  const node = run.cursor ? nodeById(flow, run.cursor) : undefined;
  const step = node ? lastStep(run, node.id) : undefined;
  if (!node || (node.type !== 'code' && node.type !== 'set') || !step || step.status !== 'running') throw new Error(`run ${run.id} has no running code or set step`);
  if (result.ok) {
    run.steps[run.steps.length - 1] = { ...step, status: 'succeeded', output: result.output, port: 'out', error: null, endedAt: now };
    run.status = 'running';
    const stop = follow(run, flow, node.id, 'out', now);
    return stop ? stop.run : run;
  }
  const error = `${node.id}: ${result.error}`;
  run.steps[run.steps.length - 1] = { ...step, status: 'failed', output: { reason: result.reason }, error, port: 'error', endedAt: now };
  const to = nextNode(flow, node.id, 'error');
  if (to) {
    run.outcome = 'error-handled';
    run.cursor = to;
    run.status = 'running';
    return run;
  }
  return finish(run, 'failed', now, error).run;
}

/** Applies the result of an exitState transition (the end node): success ends the run; an illegal transition fails it. */
export function applyTransitionResult(flow: Flow, input: Run, result: { ok: boolean; error?: string; record?: unknown }, now: string): Run {
  const run = cloneRun(input, now);
  const step = run.cursor ? lastStep(run, run.cursor) : undefined;
  if (!step) throw new Error(`run ${run.id} has no running transition`);
  const node = nodeById(flow, step.nodeId);
  if (result.ok) {
    run.steps[run.steps.length - 1] = { ...step, status: 'succeeded', output: result.record, endedAt: now };
    if (node?.type === 'end') return finish(run, 'succeeded', now).run;
    return run;
  }
  run.steps[run.steps.length - 1] = { ...step, status: 'failed', error: result.error ?? 'transition refused', endedAt: now };
  return finish(run, 'failed', now, result.error).run;
}

/** Continues a run parked at a review node along the decision's port. */
export function resolveReview(flow: Flow, input: Run, decision: string, now: string): Run {
  const run = cloneRun(input, now);
  const node = run.cursor ? nodeById(flow, run.cursor) : undefined;
  const step = node ? lastStep(run, node.id) : undefined;
  if (!node || node.type !== 'review' || !step || run.status !== 'needs_review') throw new Error(`run ${run.id} is not waiting for a review`);
  if (!node.decisions.includes(decision)) throw new Error(`decision "${decision}" is not one of ${node.decisions.join(', ')}`);
  run.steps[run.steps.length - 1] = { ...step, status: 'succeeded', output: { decision }, port: decision, endedAt: now };
  run.status = 'running';
  const stop = follow(run, flow, node.id, decision, now);
  return stop ? stop.run : run;
}

/**
 * Prepares a dead or failed run for a replay at its failed step: the step is retried from a fresh
 * attempt count, earlier steps' outputs are kept.
 */
export function prepareReplay(flow: Flow, input: Run, now: string, opts: { newIdempotencyKey?: boolean } = {}): Run {
  const run = cloneRun(input, now);
  if (run.status !== 'dead' && run.status !== 'failed') throw new Error(`run ${run.id} is ${run.status}; only dead or failed runs can be replayed`);
  const failedIdx = run.steps.map((s) => s.status).lastIndexOf('failed');
  const failed = failedIdx >= 0 ? run.steps[failedIdx]! : undefined;
  if (failed) {
    run.steps.splice(failedIdx, 1);
    run.cursor = failed.nodeId;
    reopenLoop(run, failed.nodeId);
  }
  if (!run.cursor || !nodeById(flow, run.cursor)) throw new Error(`run ${run.id} cannot resume: node "${run.cursor}" is not in the flow`);
  run.replays = (run.replays ?? 0) + 1;
  if (opts.newIdempotencyKey) run.keySuffix = `r${run.replays}`;
  run.status = 'queued';
  run.error = undefined;
  run.endedAt = undefined;
  run.outcome = undefined;
  return run;
}

export function cancelRun(input: Run, now: string, reason = 'cancelled'): Run {
  const run = cloneRun(input, now);
  const last = run.steps[run.steps.length - 1];
  if (last && !last.endedAt) run.steps[run.steps.length - 1] = { ...last, status: 'cancelled', endedAt: now, error: reason };
  run.status = 'cancelled';
  run.cursor = null;
  run.wakeAt = undefined;
  run.endedAt = now;
  run.error = reason;
  return run;
}

/** The record a run concerns, from the flow's `record` field (entity + key rule). */
export function runRecordRef(flow: Flow, ctx: { payload: unknown; headers: Record<string, string> }): Run['record'] {
  if (!flow.record) return undefined;
  const key = evaluateLogic(flow.record.key, { ...ctx, vars: {}, now: '' }, 'record.key');
  return key === null || key === undefined || key === '' ? undefined : { entity: flow.record.entity, key: String(key) };
}
