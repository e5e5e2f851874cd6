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
      if (message) return { ok: false, errorClass: 'error', error: message, durationMs: ms() };
      const done = await perform(params as Static<S['params']>, { cmd: { ...cmd, params }, deps });
      return { ok: true, output: done.output, ...(done.status !== undefined ? { status: done.status } : {}), ...(done.pending ? { pending: done.pending } : {}), durationMs: ms() };
    } catch (e) {
      if (e instanceof ActionFailure) return { ok: false, errorClass: e.errorClass, error: e.message, ...e.detail, durationMs: ms() };
      return { ok: false, errorClass: 'error', error: (e as Error).message, durationMs: ms() };
    }
  };
  return Object.assign(run, { type: spec.type as S['type'] });
}
