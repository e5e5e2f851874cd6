// One step function per node type, in a table the compiler checks against the node specs: a node type
// added to packages/schema/src/nodes/ does not compile until it has its step here.
//
// A step gets the run (a working copy it may change) at the node its cursor is on, and returns the one
// Command the runtime must perform (an action, a timer, a review, a record transition, done), or null
// when it moved the cursor on and the interpreter should go on stepping.
import { parseDuration, type Flow, type NodeOf, type NodeType, type Run } from '@flowdesk/schema';
import { evaluateLogic, LogicError, truthy } from './logic.ts';
import { runQaChecks } from './qa.ts';
import { renderActionParams } from './params.ts';
import { renderParams, renderString } from './template.ts';
import { evalContext, finish, follow, idempotencyKeyFor, lastStep, redactedContext, type AdvanceEnv } from './run-state.ts';
import type { Command, EvalContext, Step } from './types.ts';
import { foreachStep } from './foreach.ts';

export const DEFAULT_ACTION_TIMEOUT_MS = 10_000;

const noSecretParams = new WeakMap<object, boolean>();
/**
 * Whether an action's params can never read a secret: no `$logic` (a computed `var` may name anything)
 * and no `secrets` anywhere in their text, so every placeholder path is literal and none is under
 * `secrets`. Rendered with or without the secrets' values, such params come out the same. Per node
 * object (a flow version's nodes never change).
 */
function readsNoSecret(params: unknown): boolean {
  if (params === null || typeof params !== 'object') return true;
  let v = noSecretParams.get(params);
  if (v === undefined) {
    const text = JSON.stringify(params);
    v = !text.includes('secrets') && !text.includes('$logic');
    noSecretParams.set(params, v);
  }
  return v;
}

export interface StepInput<N> {
  flow: Flow;
  run: Run;
  node: N;
  env: AdvanceEnv;
  /** the expression context (secrets redacted) */
  ctx(): EvalContext;
}

export type StepFn<N> = (s: StepInput<N>) => Step | null;

export const STEPS: { readonly [K in NodeType]: StepFn<NodeOf<K>> } = {
  compute({ flow, run, node, env, ctx }) {
    const set: Record<string, unknown> = {};
    for (const [k, rule] of Object.entries(node.set)) {
      set[k] = evaluateLogic(rule, { ...ctx(), vars: { ...run.vars, ...set } }, `${node.id}.set.${k}`);
    }
    Object.assign(run.vars, set);
    run.steps.push({ nodeId: node.id, status: 'succeeded', output: set, port: 'out', attempts: [], startedAt: env.now, endedAt: env.now });
    return follow(run, flow, node.id, 'out', env.now);
  },

  set({ flow, run, node, env, ctx }) {
    if (node.jsonata !== undefined) return sandboxStep(run, node.id, 'jsonata', node.jsonata, ctx(), env.now);
    const output = buildFields(renderParams(node.fields ?? {}, ctx(), `${node.id}.fields`) as Record<string, unknown>);
    run.steps.push({ nodeId: node.id, status: 'succeeded', output, port: 'out', attempts: [], startedAt: env.now, endedAt: env.now });
    return follow(run, flow, node.id, 'out', env.now);
  },

  code({ run, node, env, ctx }) {
    return sandboxStep(run, node.id, 'javascript', node.source, ctx(), env.now);
  },

  foreach: (s) => foreachStep(s),

  route({ flow, run, node, env, ctx }) {
    const c = ctx();
    const idx = node.rules.findIndex((r, i) => truthy(evaluateLogic(r.when, c, `${node.id}.rules[${i}].when`)));
    const port = idx >= 0 ? node.rules[idx]!.port : node.default;
    run.steps.push({ nodeId: node.id, status: 'succeeded', output: { port, rule: idx >= 0 ? idx : 'default' }, port, attempts: [], startedAt: env.now, endedAt: env.now });
    return follow(run, flow, node.id, port, env.now);
  },

  qa({ flow, run, node, env, ctx }) {
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
    run.steps.push({ nodeId: node.id, status: 'succeeded', input: output, output: result, port, attempts: [], startedAt: env.now, endedAt: env.now });
    return follow(run, flow, node.id, port, env.now);
  },

  wait({ flow, run, node, env, ctx }) {
    const now = env.now;
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
  },

  review({ flow, run, node, env, ctx }) {
    const step = lastStep(run, node.id);
    if (!step || step.status !== 'needs_review') run.steps.push({ nodeId: node.id, status: 'needs_review', attempts: [], startedAt: env.now });
    run.status = 'needs_review';
    return {
      run,
      command: {
        kind: 'review',
        nodeId: node.id,
        queue: node.queue,
        // a title may name who the item is about ({{payload.email}}); untitled, the run's record says it
        title: node.title?.includes('{{') ? String(renderString(node.title, ctx())) : (node.title ?? `${node.name ?? `${flow.name}: ${node.id}`}${run.record ? ` — ${run.record.key}` : ''}`),
        decisions: node.decisions,
        sop: node.sop ?? flow.sop ?? [],
        ...(node.timeout ? { timeout: { after: node.timeout.after, decision: node.timeout.decision } } : {}),
      },
    };
  },

  action({ run, node, env }) {
    const now = env.now;
    let step = lastStep(run, node.id);
    if (step && step.status === 'waiting' && run.wakeAt && Date.parse(now) < Date.parse(run.wakeAt)) {
      run.status = 'waiting';
      return { run, command: { kind: 'wait', nodeId: node.id, until: run.wakeAt } };
    }
    const full = evalContext(run, env, true);
    const redacted = redactedContext(full, env);
    const { params, provenance } = renderActionParams(node.action, node.params, full, redacted, `${node.id}.params`);
    if (!step || (step.status !== 'waiting' && step.status !== 'running')) {
      // params that can read no secret render the same with and without them: not rendered twice
      const logged = readsNoSecret(node.params) ? params : renderActionParams(node.action, node.params, redacted, redacted, `${node.id}.params`).params;
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
        provenance,
        ...(step.output !== undefined ? { previousOutput: step.output } : {}),
      },
    };
  },

  end({ run, node, env, ctx }) {
    const now = env.now;
    const step = lastStep(run, node.id);
    if (node.exitState && !(step && step.status === 'succeeded')) {
      const key = evaluateLogic(node.exitState.key, ctx(), `${node.id}.exitState.key`);
      if (key === null || key === undefined || key === '') throw new LogicError(`${node.id}.exitState.key evaluated to nothing`);
      const cmd: Command = { kind: 'transition', nodeId: node.id, entity: node.exitState.entity, key: String(key), state: node.exitState.state };
      if (!step) run.steps.push({ nodeId: node.id, status: 'running', input: { entity: cmd.entity, key: cmd.key, state: cmd.state }, attempts: [], startedAt: now });
      return { run, command: cmd };
    }
    if (!step) {
      const output = node.output !== undefined ? evaluateLogic(node.output, ctx(), `${node.id}.output`) : undefined;
      run.steps.push({ nodeId: node.id, status: 'succeeded', ...(node.output !== undefined ? { output } : {}), attempts: [], startedAt: now, endedAt: now });
    }
    return finish(run, 'succeeded', now);
  },
};

/** Parks the run on a sandbox command (code, set with JSONata); applySandboxResult takes the answer. */
function sandboxStep(run: Run, nodeId: string, language: 'javascript' | 'jsonata', source: string, c: EvalContext, now: string): Step {
  if (!lastStep(run, nodeId)) run.steps.push({ nodeId, status: 'running', input: { language }, attempts: [], startedAt: now });
  run.status = 'running';
  const input: Record<string, unknown> = { payload: c.payload, vars: c.vars, steps: c.steps ?? {}, record: c.record };
  if (run.loopItem) Object.assign(input, { item: run.loopItem.item, index: run.loopItem.index });
  const seed = seedOf(`${run.id}:${nodeId}${run.loopItem ? `:${run.loopItem.index}` : ''}`);
  return { run, command: { kind: 'sandbox', nodeId, language, source, input, now, seed } };
}

/** A 32-bit FNV-1a hash: the sandbox's random seed, fixed per run and node. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `{"a.b": 1, "a.c": 2}` → `{a: {b: 1, c: 2}}`; a later path under a non-object replaces it. */
export function buildFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(fields)) {
    const parts = path.split('.');
    let cur = out;
    for (const part of parts.slice(0, -1)) {
      const next = cur[part];
      cur = (cur[part] = next && typeof next === 'object' && !Array.isArray(next) ? next : {}) as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]!] = value;
  }
  return out;
}

function toIso(v: unknown, field: string): string {
  const t = typeof v === 'string' || typeof v === 'number' ? Date.parse(typeof v === 'number' ? new Date(v).toISOString() : v) : NaN;
  if (Number.isNaN(t)) throw new LogicError(`${field} did not give a time (got ${JSON.stringify(v)})`);
  return new Date(t).toISOString();
}
