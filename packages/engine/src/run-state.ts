// Small operations on a run the interpreter and the node steps share: the graph walk (which edge a port
// takes), the expression context, and how a step is recorded and a run finished. Pure.
import { defaultPortOf, TRIGGER_NODE_ID, TRIGGER_PORT, type EntityRecord, type Flow, type FlowNode, type Run, type Step as RunStep } from '@flowdesk/schema';
import type { EvalContext, Step } from './types.ts';

export interface AdvanceEnv {
  now: string;
  record?: EntityRecord | null;
  secrets?: Record<string, string>;
  config?: Record<string, string>;
  /** validates generated JSON against a qa node's checks.schema (AJV, injected so the engine stays I/O- and AJV-free) */
  validateSchema?: (schema: unknown, value: unknown) => { path: string; message: string }[];
}

export function nodeById(flow: Flow, id: string): FlowNode | undefined {
  return flow.nodes.find((n) => n.id === id);
}

/** The node an output port leads to. An edge without a port leaves by the node's default port (ports.ts). */
export function nextNode(flow: Flow, from: string, port?: string): string | undefined {
  const dflt = from === TRIGGER_NODE_ID ? TRIGGER_PORT : defaultPortOf(nodeById(flow, from));
  const want = port ?? dflt;
  return flow.edges.find((e) => e.from === from && (e.port ?? dflt) === want)?.to;
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
    ...(run.loopItem ? { item: run.loopItem.item, index: run.loopItem.index } : {}),
  };
}

/** The secrets as a context without them sees them: every name reads "[redacted]". */
function redactedNames(secrets: Record<string, string> | undefined): Record<string, string> {
  if (!secrets) return NO_SECRETS;
  // one per secrets object (the runner hands out the same one until a secret changes), not per step
  let r = redactedBySecrets.get(secrets);
  if (!r) redactedBySecrets.set(secrets, (r = redactedProxy(Object.keys(secrets))));
  return r;
}
const redactedProxy = (names: string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const k of names) out[k] = '[redacted]';
  // shared by every step that reads them: nothing may write into it
  Object.freeze(out);
  return new Proxy(out, { get: (t, k) => (typeof k === 'string' ? t[k] ?? '[redacted]' : undefined) });
};
const NO_SECRETS = redactedProxy([]);
const redactedBySecrets = new WeakMap<Record<string, string>, Record<string, string>>();

/** The same context as `withSecrets` (from evalContext(run, env, true)), its secrets redacted. */
export function redactedContext(withSecrets: EvalContext, env: AdvanceEnv): EvalContext {
  return { ...withSecrets, secrets: redactedNames(env.secrets) };
}

export function cloneRun(run: Run, now: string): Run {
  return { ...run, vars: { ...run.vars }, steps: run.steps.slice(), updatedAt: now };
}

/** The run's last step, when it belongs to `nodeId`. */
export function lastStep(run: Run, nodeId: string): RunStep | undefined {
  const s = run.steps[run.steps.length - 1];
  return s && s.nodeId === nodeId ? s : undefined;
}

export function finish(run: Run, status: Run['status'], now: string, error?: string): Step {
  run.status = status;
  run.cursor = status === 'succeeded' || status === 'failed' || status === 'cancelled' ? null : run.cursor;
  run.endedAt = now;
  run.wakeAt = undefined;
  if (error) run.error = error;
  return { run, command: { kind: 'done' } };
}

/** Follows `port` out of node `from`; a missing edge fails the run (validateFlow prevents it). */
export function follow(run: Run, flow: Flow, from: string, port: string | undefined, now: string): Step | null {
  const to = nextNode(flow, from, port);
  if (!to) return finish(run, 'failed', now, `node "${from}" has no edge for port "${port ?? 'out'}"`);
  run.cursor = to;
  return null;
}

export function idempotencyKeyFor(run: Run, nodeId: string): string {
  return `${run.id}:${nodeId}${run.keySuffix ? `:${run.keySuffix}` : ''}`;
}
