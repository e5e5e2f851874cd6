// defineExecutor: an action's runtime half. It takes the action's spec and a function that performs one
// attempt with typed params; the wrapper checks the resolved params against the spec's schema, times
// the attempt and turns every outcome into an ActionResult (a thrown ActionFailure keeps its error
// class; anything else thrown is a final 'error'). Executors never catch for the sake of the runner.
import type { Static } from '@sinclair/typebox';
import { compilePayloadSchema, type ActionType, type AnyActionSpec, type ErrorClass, type PayloadValidator } from '@flowdesk/schema';
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

type Json = Record<string, unknown>;
const acceptsNull = (s: unknown): boolean => {
  if (!s || typeof s !== 'object') return true;
  const o = s as Json;
  if (o.type === undefined && o.anyOf === undefined && o.const === undefined && o.enum === undefined) return true;
  return o.type === 'null' || (Array.isArray(o.type) && o.type.includes('null')) || (Array.isArray(o.anyOf) && o.anyOf.some(acceptsNull));
};

/** A param resolved to null ("{{payload.owner}}" with no owner) counts as not given, unless its schema takes null. */
function withoutNulls(params: Json, schema: Json): Json {
  const props = (schema.properties ?? {}) as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(params)) if (v !== null || acceptsNull(props[k])) out[k] = v;
  return out;
}

export function defineExecutor<S extends AnyActionSpec>(
  spec: S,
  perform: (params: Static<S['params']>, x: ExecutionContext) => Promise<ExecutorSuccess>,
): Executor<S['type']> {
  const schema = JSON.parse(JSON.stringify(spec.params)) as Json;
  let check: PayloadValidator['validate'] | undefined;
  const run = async (cmd: ActionCommand, deps: ActionDeps): Promise<ActionResult> => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const params = withoutNulls(cmd.params, schema);
      check ??= compilePayloadSchema(schema).validate;
      const invalid = check(params);
      if (invalid.length) {
        const what = invalid.map((e) => `${e.path || '/'} ${e.message}`).join('; ');
        return { ok: false, errorClass: 'error', error: `params of ${spec.type} do not match its schema: ${what}`, durationMs: ms() };
      }
      const done = await perform(params as Static<S['params']>, { cmd: { ...cmd, params }, deps });
      return { ok: true, output: done.output, ...(done.status !== undefined ? { status: done.status } : {}), ...(done.pending ? { pending: done.pending } : {}), durationMs: ms() };
    } catch (e) {
      if (e instanceof ActionFailure) return { ok: false, errorClass: e.errorClass, error: e.message, ...e.detail, durationMs: ms() };
      return { ok: false, errorClass: 'error', error: (e as Error).message, durationMs: ms() };
    }
  };
  return Object.assign(run, { type: spec.type as S['type'] });
}
