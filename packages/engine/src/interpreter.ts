// The interpreter: steps a run over its flow graph. Pure — every function takes the run and
// returns a new run plus the one Command the runtime must perform; results come back in.
import { outputPorts, parseDuration, type ActionNode, type EntityRecord, type Flow, type FlowNode, type Run, type Step as RunStep } from '@flowdesk/schema';
import { evaluateLogic, LogicError, truthy } from './logic.ts';
import { renderParams } from './template.ts';
import { nextRetry } from './retry.ts';
import { runQaChecks } from './qa.ts';
import type { ActionResult, Command, EvalContext, Step } from './types.ts';

export const DEFAULT_ACTION_TIMEOUT_MS = 10_000;
/** Pure nodes processed in one advance() before giving control back (guards a runaway graph). */
const MAX_PURE_STEPS = 1000;

export interface AdvanceEnv {
  now: string;
  record?: EntityRecord | null;
  secrets?: Record<string, string>;
  config?: Record<string, string>;
  /** validates generated JSON against a qa node's checks.schema (AJV, injected so the engine stays I/O- and AJV-free) */
  validateSchema?: (schema: unknown, value: unknown) => { path: string; message: string }[];
}

export interface NewRunInput {
  id: string;
  payload: unknown;
  headers?: Record<string, string>;
  now: string;
  idempotencyKey: string | null;
  trigger: Run['trigger'];
  record?: Run['record'];
}

export function nodeById(flow: Flow, id: string): FlowNode | undefined {
  return flow.nodes.find((n) => n.id === id);
}

/** The node an output port leads to. An edge without a port is the node's default output
 * (`ok` for an action, `out` for a node whose only output is `out`, and the trigger's one output). */
export function nextNode(flow: Flow, from: string, port?: string): string | undefined {
  const dflt = from === 'trigger' ? 'out' : defaultPortOf(nodeById(flow, from));
  const want = port ?? dflt;
  return flow.edges.find((e) => e.from === from && (e.port ?? dflt) === want)?.to;
}

function defaultPortOf(node: FlowNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'action') return 'ok';
  const ports = outputPorts(node);
  return ports.length === 1 && ports[0] === 'out' ? 'out' : undefined;
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
    cursor: nextNode(flow, 'trigger') ?? null,
    steps: [],
    createdAt: input.now,
    startedAt: input.now,
    updatedAt: input.now,
  };
}

export function evalContext(run: Run, env: AdvanceEnv, withSecrets: boolean): EvalContext {
  const steps: Record<string, unknown> = {};
  for (const s of run.steps) if (s.status === 'succeeded' || s.status === 'failed') steps[s.nodeId] = { output: s.output, port: s.port };
  return {
    payload: run.payload,
    headers: run.headers,
    vars: run.vars,
    record: env.record ?? null,
    run: { id: run.id, flowId: run.flowId, startedAt: run.startedAt },
    now: env.now,
    secrets: withSecrets ? env.secrets ?? {} : redactedNames(env.secrets),
    config: env.config ?? {},
    steps,
  };
}

function redactedNames(secrets: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(secrets ?? {})) out[k] = '[redacted]';
  return new Proxy(out, { get: (t, k) => (typeof k === 'string' ? t[k] ?? '[redacted]' : undefined) });
}

function clone(run: Run, now: string): Run {
  return { ...run, vars: { ...run.vars }, steps: run.steps.slice(), updatedAt: now };
}

function lastStep(run: Run, nodeId: string): RunStep | undefined {
  const s = run.steps[run.steps.length - 1];
  return s && s.nodeId === nodeId ? s : undefined;
}

function finish(run: Run, status: Run['status'], now: string, error?: string): Step {
  run.status = status;
  run.cursor = status === 'succeeded' || status === 'failed' || status === 'cancelled' ? null : run.cursor;
  run.endedAt = now;
  run.wakeAt = undefined;
  if (error) run.error = error;
  return { run, command: { kind: 'done' } };
}

/** Follows `port` out of node `from`; a missing edge fails the run (validateFlow prevents it). */
function follow(run: Run, flow: Flow, from: string, port: string | undefined, now: string): Step | null {
  const to = nextNode(flow, from, port);
  if (!to) return finish(run, 'failed', now, `node "${from}" has no edge for port "${port ?? 'out'}"`);
  run.cursor = to;
  return null;
}

/**
 * Steps the run from its cursor until it needs the outside world (an action, a timer, a review, a
 * record transition) or ends. Pure nodes (compute, route, qa) are recomputed identically after a crash.
 */
export function advance(flow: Flow, input: Run, env: AdvanceEnv): Step {
  const run = clone(input, env.now);
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

function stepNode(flow: Flow, run: Run, node: FlowNode, env: AdvanceEnv): Step | null {
  const now = env.now;
  const ctx = () => evalContext(run, env, false);
  switch (node.type) {
    case 'compute': {
      const set: Record<string, unknown> = {};
      for (const [k, rule] of Object.entries(node.set)) {
        set[k] = evaluateLogic(rule, { ...ctx(), vars: { ...run.vars, ...set } }, `${node.id}.set.${k}`);
      }
      Object.assign(run.vars, set);
      run.steps.push({ nodeId: node.id, status: 'succeeded', output: set, port: 'out', attempts: [], startedAt: now, endedAt: now });
      return follow(run, flow, node.id, 'out', now);
    }
    case 'route': {
      const c = ctx();
      const idx = node.rules.findIndex((r, i) => truthy(evaluateLogic(r.when, c, `${node.id}.rules[${i}].when`)));
      const port = idx >= 0 ? node.rules[idx]!.port : node.default;
      run.steps.push({ nodeId: node.id, status: 'succeeded', output: { port, rule: idx >= 0 ? idx : 'default' }, port, attempts: [], startedAt: now, endedAt: now });
      return follow(run, flow, node.id, port, now);
    }
    case 'qa': {
      const c = ctx();
      const output = evaluateLogic(node.input, c, `${node.id}.input`);
      const rules = node.checks.context ?? {};
      const account = rules.account !== undefined ? evaluateLogic(rules.account, c, `${node.id}.checks.context.account`) : undefined;
      const stage = rules.stage !== undefined ? evaluateLogic(rules.stage, c, `${node.id}.checks.context.stage`) : undefined;
      const others = rules.otherAccounts !== undefined ? evaluateLogic(rules.otherAccounts, c, `${node.id}.checks.context.otherAccounts`) : undefined;
      const schema = node.checks.schema;
      const result = runQaChecks({
        output,
        checks: node.checks,
        context: {
          account: typeof account === 'string' ? account : undefined,
          stage: typeof stage === 'string' ? stage : undefined,
          otherAccounts: Array.isArray(others) ? others.filter((x): x is string => typeof x === 'string') : undefined,
        },
        validateSchema: schema !== undefined && env.validateSchema ? (v) => env.validateSchema!(schema, v) : undefined,
      });
      const port = result.pass ? 'pass' : 'fail';
      run.steps.push({ nodeId: node.id, status: 'succeeded', input: output, output: result, port, attempts: [], startedAt: now, endedAt: now });
      return follow(run, flow, node.id, port, now);
    }
    case 'wait': {
      const step = lastStep(run, node.id);
      if (step && step.status === 'waiting') {
        if (run.wakeAt && Date.parse(now) < Date.parse(run.wakeAt)) {
          run.status = 'waiting';
          return { run, command: { kind: 'wait', nodeId: node.id, until: run.wakeAt } };
        }
        run.steps[run.steps.length - 1] = { ...step, status: 'succeeded', endedAt: now, port: 'out' };
        run.wakeAt = undefined;
        return follow(run, flow, node.id, 'out', now);
      }
      const until = node.for
        ? new Date(Date.parse(now) + parseDuration(node.for)).toISOString()
        : toIso(evaluateLogic(node.until, ctx(), `${node.id}.until`), `${node.id}.until`);
      run.steps.push({ nodeId: node.id, status: 'waiting', output: { until }, attempts: [], startedAt: now });
      if (Date.parse(until) <= Date.parse(now)) {
        run.steps[run.steps.length - 1]!.status = 'succeeded';
        run.steps[run.steps.length - 1]!.endedAt = now;
        return follow(run, flow, node.id, 'out', now);
      }
      run.status = 'waiting';
      run.wakeAt = until;
      return { run, command: { kind: 'wait', nodeId: node.id, until } };
    }
    case 'review': {
      const step = lastStep(run, node.id);
      if (!step || step.status !== 'needs_review') {
        run.steps.push({ nodeId: node.id, status: 'needs_review', attempts: [], startedAt: now });
      }
      run.status = 'needs_review';
      return {
        run,
        command: {
          kind: 'review',
          nodeId: node.id,
          queue: node.queue,
          title: node.title ?? node.name ?? `${flow.name}: ${node.id}`,
          decisions: node.decisions,
          sop: node.sop ?? flow.sop ?? [],
        },
      };
    }
    case 'action':
      return actionCommand(run, node, env);
    case 'end': {
      const step = lastStep(run, node.id);
      if (node.exitState && !(step && step.status === 'succeeded')) {
        const key = evaluateLogic(node.exitState.key, ctx(), `${node.id}.exitState.key`);
        if (key === null || key === undefined || key === '') throw new LogicError(`${node.id}.exitState.key evaluated to nothing`);
        const cmd: Command = { kind: 'transition', nodeId: node.id, entity: node.exitState.entity, key: String(key), state: node.exitState.state };
        if (!step) run.steps.push({ nodeId: node.id, status: 'running', input: { entity: cmd.entity, key: cmd.key, state: cmd.state }, attempts: [], startedAt: now });
        return { run, command: cmd };
      }
      if (!step) run.steps.push({ nodeId: node.id, status: 'succeeded', attempts: [], startedAt: now, endedAt: now });
      return finish(run, 'succeeded', now);
    }
  }
}

function toIso(v: unknown, field: string): string {
  const t = typeof v === 'string' || typeof v === 'number' ? Date.parse(typeof v === 'number' ? new Date(v).toISOString() : v) : NaN;
  if (Number.isNaN(t)) throw new LogicError(`${field} did not give a time (got ${JSON.stringify(v)})`);
  return new Date(t).toISOString();
}

export function idempotencyKeyFor(run: Run, nodeId: string): string {
  return `${run.id}:${nodeId}${run.keySuffix ? `:${run.keySuffix}` : ''}`;
}

function actionCommand(run: Run, node: ActionNode, env: AdvanceEnv): Step {
  const now = env.now;
  let step = lastStep(run, node.id);
  if (step && step.status === 'waiting' && run.wakeAt && Date.parse(now) < Date.parse(run.wakeAt)) {
    run.status = 'waiting';
    return { run, command: { kind: 'wait', nodeId: node.id, until: run.wakeAt } };
  }
  const params = (renderParams(node.params ?? {}, evalContext(run, env, true), `${node.id}.params`) ?? {}) as Record<string, unknown>;
  if (!step || (step.status !== 'waiting' && step.status !== 'running')) {
    const logged = renderParams(node.params ?? {}, evalContext(run, env, false), `${node.id}.params`);
    step = { nodeId: node.id, status: 'running', input: logged, attempts: [], startedAt: now };
    run.steps.push(step);
  } else {
    step = { ...step, status: 'running' };
    run.steps[run.steps.length - 1] = step;
  }
  run.wakeAt = undefined;
  run.status = 'running';
  return {
    run,
    command: {
      kind: 'action',
      nodeId: node.id,
      action: node.action,
      params,
      idempotencyKey: idempotencyKeyFor(run, node.id),
      attempt: step.attempts.length + 1,
      timeoutMs: node.timeout ? parseDuration(node.timeout) : DEFAULT_ACTION_TIMEOUT_MS,
    },
  };
}

/** Applies one attempt's result to the running action step: move on, schedule a retry, take the error port, or die. */
export function applyActionResult(flow: Flow, input: Run, result: ActionResult, now: string, attemptStartedAt: string): Run {
  const run = clone(input, now);
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
  const attempts = [...step.attempts, attempt];
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

/** Applies the result of an exitState transition (the end node): success ends the run; an illegal transition fails it. */
export function applyTransitionResult(flow: Flow, input: Run, result: { ok: boolean; error?: string; record?: unknown }, now: string): Run {
  const run = clone(input, now);
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
  const run = clone(input, now);
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
  const run = clone(input, now);
  if (run.status !== 'dead' && run.status !== 'failed') throw new Error(`run ${run.id} is ${run.status}; only dead or failed runs can be replayed`);
  const failedIdx = run.steps.map((s) => s.status).lastIndexOf('failed');
  const failed = failedIdx >= 0 ? run.steps[failedIdx]! : undefined;
  if (failed) {
    run.steps.splice(failedIdx, 1);
    run.cursor = failed.nodeId;
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
  const run = clone(input, now);
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
