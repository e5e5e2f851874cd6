// defineExecutor: an action's runtime half. It takes the action's spec and a function that performs one
// attempt with typed params; the wrapper checks the resolved params against the spec's schema, times
// the attempt and turns every outcome into an ActionResult (a thrown ActionFailure keeps its error
// class; anything else thrown is a final 'error'). Executors never catch for the sake of the runner.
import type { Static } from '@sinclair/typebox';
import { checkResolvedParams, type ActionType, type AnyActionSpec, type ErrorClass } from '@flowdesk/schema';
import type { ActionResult } from '@flowdesk/engine';
import type { ActionCommand, ActionDeps } from './types.ts';

/** A failed attempt, classified: '5xx', '429', 'timeout' and 'network' retry under the default policy. */
export class ActionFailure extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly detail: { status?: number; response?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'ActionFailure';
  }
}

/**
 * The step cannot run because what it needs was never set up (a connector's connection does not
 * exist): the step ends `not-configured` — visible on the run, the flow and the KPIs, never a success.
 */
export class NotConfigured extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotConfigured';
  }
}

export interface ExecutorSuccess {
  output: unknown;
  /** the dependency's status (an HTTP status), shown on the attempt */
  status?: number;
  /** not finished yet: the step waits and asks again after pollMs (flow.call) */
  pending?: { pollMs: number };
}

export interface ExecutionContext {
  cmd: ActionCommand;
  deps: ActionDeps;
}

/** One attempt of an action. Never throws: every failure comes back as `{ok: false, errorClass}`. */
export interface Executor<K extends ActionType = ActionType> {
  (cmd: ActionCommand, deps: ActionDeps): Promise<ActionResult>;
  readonly type: K;
}

/** Every action type's executor; generated into index.ts, so a spec without an executor is a compile error. */
export type ExecutorTable = { readonly [K in ActionType]: Executor<K> };

/** Why a connector's step cannot run yet (its connection missing or never connected), else undefined. */
async function unconfiguredConnection(spec: AnyActionSpec, params: unknown, deps: ActionDeps): Promise<string | undefined> {
  if (spec.apps.length === 0 || spec.apps.includes('*') || !deps.connections) return undefined;
  const id = (params as { connection?: unknown } | null)?.connection;
  if (typeof id !== 'string' || id.trim() === '') return `${spec.type} names no connection: pick one on the node (create it on the Connections page first)`;
  const c = await deps.connections.get(id);
  if (!c) return `connection "${id}" does not exist (a ${spec.apps.join(' or ')} connection): create it on the Connections page`;
  if (c.status === 'not-connected') return `connection "${id}" is not connected yet: press Connect on the Connections page`;
  return undefined;
}

export function defineExecutor<S extends AnyActionSpec>(
  spec: S,
  perform: (params: Static<S['params']>, x: ExecutionContext) => Promise<ExecutorSuccess>,
): Executor<S['type']> {
  const run = async (cmd: ActionCommand, deps: ActionDeps): Promise<ActionResult> => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      // a param resolved to null counts as not given (checkResolvedParams), as in the dry run
      const { params, message } = checkResolvedParams(spec, cmd.params);
      if (message) {
        // a connector whose connection was never set up sends nothing, whatever its params say: that is the outcome to show
        const unset = await unconfiguredConnection(spec, params, deps);
        if (unset) return { ok: false, notConfigured: true, errorClass: 'error', error: unset, durationMs: ms() };
        return { ok: false, errorClass: 'error', error: message, durationMs: ms() };
      }
      const done = await perform(params as Static<S['params']>, { cmd: { ...cmd, params }, deps });
      return { ok: true, output: done.output, ...(done.status !== undefined ? { status: done.status } : {}), ...(done.pending ? { pending: done.pending } : {}), durationMs: ms() };
    } catch (e) {
      if (e instanceof ActionFailure) return { ok: false, errorClass: e.errorClass, error: e.message, ...e.detail, durationMs: ms() };
      if (e instanceof NotConfigured) return { ok: false, notConfigured: true, errorClass: 'error', error: e.message, durationMs: ms() };
      return { ok: false, errorClass: 'error', error: (e as Error).message, durationMs: ms() };
    }
  };
  return Object.assign(run, { type: spec.type as S['type'] });
}
