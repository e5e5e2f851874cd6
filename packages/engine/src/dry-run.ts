// Dry run: walks the flow on a sample payload with every action assumed to succeed (or fail, when
// asked), waits skipped and reviews decided — no side effects. The editor and the runtime share it.
import { actionSpec, checkResolvedParams, type ActionType, type EntityRecord, type Flow } from '@flowdesk/schema';
import { advance, applyActionResult, applyItemResult, applySandboxResult, applyTransitionResult, newRun, resolveReview, runRecordRef, type AdvanceEnv } from './interpreter.ts';
import type { ActionCommand, DryRunResult, SandboxCommand, SandboxResult } from './types.ts';

export interface DryRunInput {
  payload: unknown;
  headers?: Record<string, string>;
  now: string;
  record?: EntityRecord;
  decisions?: Record<string, string>;
  actionResults?: Record<string, 'ok' | 'error'>;
  validateSchema?: AdvanceEnv['validateSchema'];
  /** node id → an output that stands in for the step (an action is not called, code is not run): the editor's pinned data */
  pinned?: Record<string, unknown>;
  /** "Run this step": stop once this node has run, or just before it calls an action (see result.stopped) */
  stopAt?: string;
  /** values for {{secrets.x}} / {{config.x}} (the runtime's "Run this step"; never given by the editor) */
  secrets?: Record<string, string>;
  config?: Record<string, string>;
}

const MAX_COMMANDS = 50_000;
const UNKNOWN_HERE = /\{\{\s*(config|secrets)\./; // their values are not known to a dry run

/**
 * What the runtime would refuse in an action's resolved params, said in the flow's terms; a param
 * built from config or secrets is not judged (a dry run does not know their values).
 */
function paramsProblem(flow: Flow, nodeId: string, action: string, params: Record<string, unknown>): string | undefined {
  const node = flow.nodes.find((n) => n.id === nodeId);
  const raw = (node?.type === 'action' ? node.params ?? {} : {}) as Record<string, unknown>;
  const { problems } = checkResolvedParams(action, params);
  const said = problems
    .map((p) => ({ p, key: p.path.split('/')[1] ?? '' }))
    .filter(({ key }) => !(typeof raw[key] === 'string' && UNKNOWN_HERE.test(raw[key] as string)))
    .map(({ p, key }) => {
      const written = raw[key];
      if (params[key] === null && typeof written === 'string') return `params.${key} is required, and ${JSON.stringify(written)} gives nothing for this payload`;
      return `params${p.path.replace(/\//g, '.')} ${p.message}`;
    });
  return said.length ? `${action} would fail: ${said.join('; ')}` : undefined;
}

/** A code or set-with-JSONata step in a dry run: the runtime's sandbox when there is one, else marked not run. */
export type DrySandbox = (cmd: SandboxCommand) => SandboxResult;
const NOT_RUN: SandboxResult = { ok: true, output: { dryRun: true, notRun: 'sandboxed code runs only where a sandbox is given' } };

export function dryRun(flow: Flow, input: DryRunInput, sandbox?: DrySandbox): DryRunResult {
  const walk = dryRunSteps(flow, input);
  let next = walk.next();
  while (!next.done) next = walk.next(sandbox ? sandbox(next.value) : NOT_RUN);
  return next.value;
}

/** The dry run with the runtime's sandbox (a worker, so asynchronous). */
export async function dryRunAsync(flow: Flow, input: DryRunInput, sandbox: (cmd: SandboxCommand) => Promise<SandboxResult>): Promise<DryRunResult> {
  const walk = dryRunSteps(flow, input);
  let next = walk.next();
  while (!next.done) next = walk.next(await sandbox(next.value));
  return next.value;
}

/**
 * "Run this step" (input.stopAt): the walk up to that node, and when it stopped before an action, the
 * action's command (params resolved with input.secrets: for the runtime to perform, never to show).
 */
export async function dryRunUntil(flow: Flow, input: DryRunInput & { stopAt: string }, sandbox: (cmd: SandboxCommand) => Promise<SandboxResult>): Promise<{ result: DryRunResult; command?: ActionCommand }> {
  const stop: { command?: ActionCommand } = {};
  const walk = dryRunSteps(flow, input, stop);
  let next = walk.next();
  while (!next.done) next = walk.next(await sandbox(next.value));
  return { result: next.value, ...(stop.command ? { command: stop.command } : {}) };
}

/** The walk, yielding each sandbox command and taking its answer. */
function* dryRunSteps(flow: Flow, input: DryRunInput, stop: { command?: ActionCommand } = {}): Generator<SandboxCommand, DryRunResult, SandboxResult> {
  let now = input.now;
  const headers = input.headers ?? {};
  let run = newRun(flow, {
    id: 'dry-run',
    payload: input.payload,
    headers,
    now,
    idempotencyKey: null,
    trigger: { type: flow.trigger.type },
    record: runRecordRef(flow, { payload: input.payload, headers }),
  });
  const actions: DryRunResult['actions'] = [];
  const errors: DryRunResult['errors'] = [];
  let end: DryRunResult['end'];
  const env = (): AdvanceEnv => ({ now, record: input.record ?? null, validateSchema: input.validateSchema, ...(input.secrets ? { secrets: input.secrets } : {}), ...(input.config ? { config: input.config } : {}) });
  const pinned = input.pinned ?? {};
  const isPinned = (nodeId: string) => Object.prototype.hasOwnProperty.call(pinned, nodeId);
  const pinnedUsed = new Set<string>();
  const stopAt = input.stopAt;
  const ranStopAt = () => stopAt !== undefined && run.steps.some((s) => s.nodeId === stopAt && s.status !== 'running');
  let stopped: DryRunResult['stopped'];
  for (let i = 0; i < MAX_COMMANDS; i++) {
    if (ranStopAt()) break;
    const { run: next, command } = advance(flow, run, env());
    run = next;
    if (command.kind === 'done' || ranStopAt()) break;
    if (command.kind === 'action' && command.nodeId === stopAt && !isPinned(stopAt)) {
      // "Run this step" on an action: the caller decides whether it really calls (the params as logged: secrets redacted)
      const logged = run.steps[run.steps.length - 1]?.input ?? {};
      stopped = { nodeId: stopAt, reached: true, action: { action: command.action, params: logged, outside: actionSpec(command.action)?.outside ?? true } };
      stop.command = command;
      break;
    }
    const actionResult = (nodeId: string, invalid?: string) =>
      !invalid && (input.actionResults?.[nodeId] ?? 'ok') === 'ok'
        ? { ok: true, output: { dryRun: true }, durationMs: 0 }
        : { ok: false, errorClass: 'error' as const, error: invalid ?? 'failed (dry run)', durationMs: 0 };
    // the params the runtime would refuse (a required one resolving to null) fail the step here too
    const checked = (nodeId: string, action: ActionType, params: Record<string, unknown>) => {
      const invalid = paramsProblem(flow, nodeId, action, params);
      actions.push({ nodeId, action, params, ...(invalid ? { error: invalid } : {}) });
      if (invalid) errors.push({ path: '', message: invalid, nodeId });
      return invalid;
    };
    if (command.kind === 'items') {
      // a loop's items one command at a time, in index order
      for (const { index, command: c } of command.commands) {
        if (isPinned(c.nodeId)) {
          pinnedUsed.add(c.nodeId);
          const output = pinned[c.nodeId];
          run = applyItemResult(flow, run, command.nodeId, index, c.kind === 'action' ? { kind: 'action', result: { ok: true, output, durationMs: 0 }, startedAt: now } : { kind: 'sandbox', result: { ok: true, output } }, now);
        } else if (c.kind === 'action') {
          const invalid = checked(c.nodeId, c.action, c.params);
          run = applyItemResult(flow, run, command.nodeId, index, { kind: 'action', result: actionResult(c.nodeId, invalid), startedAt: now }, now);
        } else {
          run = applyItemResult(flow, run, command.nodeId, index, { kind: 'sandbox', result: yield c }, now);
        }
      }
    } else if (command.kind === 'action' && isPinned(command.nodeId)) {
      pinnedUsed.add(command.nodeId);
      run = applyActionResult(flow, run, { ok: true, output: pinned[command.nodeId], durationMs: 0 }, now, now);
    } else if (command.kind === 'sandbox' && isPinned(command.nodeId)) {
      pinnedUsed.add(command.nodeId);
      run = applySandboxResult(flow, run, { ok: true, output: pinned[command.nodeId] }, now);
    } else if (command.kind === 'action') {
      const invalid = checked(command.nodeId, command.action, command.params);
      run = applyActionResult(flow, run, actionResult(command.nodeId, invalid), now, now);
      if (run.status === 'dead') break;
    } else if (command.kind === 'wait') {
      now = command.until;
    } else if (command.kind === 'review') {
      run = resolveReview(flow, run, input.decisions?.[command.nodeId] ?? command.decisions[0]!, now);
    } else if (command.kind === 'sandbox') {
      run = applySandboxResult(flow, run, yield command, now);
    } else if (command.kind === 'transition') {
      end = { nodeId: command.nodeId, exitState: { entity: command.entity, key: command.key, state: command.state } };
      run = applyTransitionResult(flow, run, { ok: true, record: end.exitState }, now);
    }
  }
  if (run.status === 'failed' && run.error) errors.push({ path: '', message: run.error, nodeId: run.steps[run.steps.length - 1]?.nodeId });
  // stopped at a node: what came after it in the same pure stretch is not part of the answer
  const cut = stopAt !== undefined ? run.steps.findIndex((s) => s.nodeId === stopAt) : -1;
  const taken = cut >= 0 ? run.steps.slice(0, cut + 1) : run.steps;
  if (stopAt !== undefined && !stopped) stopped = { nodeId: stopAt, reached: cut >= 0 };
  const path = ['trigger', ...taken.map((s) => s.nodeId)];
  const edges = taken.map((s, i) => ({ from: i === 0 ? 'trigger' : taken[i - 1]!.nodeId, port: i === 0 ? undefined : taken[i - 1]!.port, to: s.nodeId }));
  const last = taken[taken.length - 1];
  if (!end && last && flow.nodes.find((n) => n.id === last.nodeId)?.type === 'end') end = { nodeId: last.nodeId };
  const steps = taken.map((s) => ({ nodeId: s.nodeId, status: s.status, ...(s.port !== undefined ? { port: s.port } : {}), ...(s.output !== undefined ? { output: s.output } : {}), ...(s.error ? { error: s.error } : {}), ...(pinnedUsed.has(s.nodeId) ? { pinned: true } : {}) }));
  return { ok: errors.length === 0 && (run.status === 'succeeded' || (stopped?.reached ?? false)), errors, path, edges, vars: run.vars, actions, end, status: run.status, steps, ...(stopped ? { stopped } : {}) };
}
