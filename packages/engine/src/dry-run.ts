// Dry run: walks the flow on a sample payload with every action assumed to succeed (or fail, when
// asked), waits skipped and reviews decided — no side effects. The editor and the runtime share it.
import type { EntityRecord, Flow } from '@flowdesk/schema';
import { advance, applyActionResult, applyItemResult, applySandboxResult, applyTransitionResult, newRun, resolveReview, runRecordRef, type AdvanceEnv } from './interpreter.ts';
import type { DryRunResult, SandboxCommand, SandboxResult } from './types.ts';

export interface DryRunInput {
  payload: unknown;
  headers?: Record<string, string>;
  now: string;
  record?: EntityRecord;
  decisions?: Record<string, string>;
  actionResults?: Record<string, 'ok' | 'error'>;
  validateSchema?: AdvanceEnv['validateSchema'];
}

const MAX_COMMANDS = 50_000;

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

/** The walk, yielding each sandbox command and taking its answer. */
function* dryRunSteps(flow: Flow, input: DryRunInput): Generator<SandboxCommand, DryRunResult, SandboxResult> {
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
  const env = (): AdvanceEnv => ({ now, record: input.record ?? null, validateSchema: input.validateSchema });
  for (let i = 0; i < MAX_COMMANDS; i++) {
    const { run: next, command } = advance(flow, run, env());
    run = next;
    if (command.kind === 'done') break;
    const actionResult = (nodeId: string) =>
      (input.actionResults?.[nodeId] ?? 'ok') === 'ok'
        ? { ok: true, output: { dryRun: true }, durationMs: 0 }
        : { ok: false, errorClass: 'error' as const, error: 'failed (dry run)', durationMs: 0 };
    if (command.kind === 'items') {
      // a loop's items one command at a time, in index order
      for (const { index, command: c } of command.commands) {
        if (c.kind === 'action') {
          actions.push({ nodeId: c.nodeId, action: c.action, params: c.params });
          run = applyItemResult(flow, run, command.nodeId, index, { kind: 'action', result: actionResult(c.nodeId), startedAt: now }, now);
        } else {
          run = applyItemResult(flow, run, command.nodeId, index, { kind: 'sandbox', result: yield c }, now);
        }
      }
    } else if (command.kind === 'action') {
      actions.push({ nodeId: command.nodeId, action: command.action, params: command.params });
      run = applyActionResult(flow, run, actionResult(command.nodeId), now, now);
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
  const path = ['trigger', ...run.steps.map((s) => s.nodeId)];
  const edges = run.steps.map((s, i) => ({ from: i === 0 ? 'trigger' : run.steps[i - 1]!.nodeId, port: i === 0 ? undefined : run.steps[i - 1]!.port, to: s.nodeId }));
  const last = run.steps[run.steps.length - 1];
  if (!end && last && flow.nodes.find((n) => n.id === last.nodeId)?.type === 'end') end = { nodeId: last.nodeId };
  return { ok: errors.length === 0 && run.status === 'succeeded', errors, path, edges, vars: run.vars, actions, end, status: run.status };
}
