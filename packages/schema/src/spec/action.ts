// defineAction: everything Flowdesk knows about an action type, in one place. The flow's JSON Schema,
// deploy validation, retry defaults, the drill's risk list, the editor's palette, forms and summaries
// and docs/dsl.md's table are derived from these specs; the runtime's executor takes the spec too.
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { DEFAULT_RETRY, NO_RETRY, type RetryPolicy } from '../primitives.ts';
import type { CheckContext } from './check.ts';
import { patternsWithRole, rolesOf, valuesAt, type ParamPattern, type ParamRole } from './params.ts';

/** `connection`: a picker of the connections of the action's apps */
export type FieldKind = 'text' | 'textarea' | 'select' | 'json' | 'connection';

/** One input of the action's form in the editor. */
export interface ParamField {
  key: string;
  label: string;
  kind: FieldKind;
  options?: string[];
  placeholder?: string;
}

type ParamKey<P extends TObject> = Extract<keyof Static<P>, string>;

export interface ActionSpecInput<T extends string, P extends TObject> {
  /** `<app>.<verb>` */
  type: T;
  /** TypeBox schema of the params as the executor receives them (placeholders resolved); roles via `role()` */
  params: P;
  /** calls something outside Flowdesk: default retries apply and the drill counts it as a dependency */
  outside: boolean;
  /** the retry policy when the node sets none; default: 3 retries (30s, 2m, 10m) when outside, none otherwise */
  retryDefault?: RetryPolicy;
  label: string;
  help: string;
  /** the editor's form, in order; `kind` defaults from the param's schema (choices → select, string → text, else JSON) */
  fields: { key: ParamKey<P>; label: string; kind?: FieldKind; options?: string[]; placeholder?: string }[];
  /** the params of a new node from the palette (placeholders allowed) */
  defaults: Record<string, unknown>;
  /** what a successful step outputs (docs) */
  output: string;
  /** the output's shape, for the variable picker's `steps.<node>.output.…` paths (connectors give one) */
  outputSchema?: TSchema;
  /** a connector: the apps whose connections its `connection` param takes (default: the `<app>` of its type) */
  apps?: readonly string[];
  /** the param shown on the canvas next to the action's name */
  summary?: ParamKey<P>;
  /** deploy checks the schema cannot express (e.g. states named in the state map); paths relative to params */
  check?: (params: Record<string, unknown>, c: CheckContext) => void;
}

export interface ActionSpec<T extends string = string, P extends TObject = TObject> {
  readonly type: T;
  readonly params: P;
  readonly outside: boolean;
  readonly retryDefault: RetryPolicy;
  readonly label: string;
  readonly help: string;
  readonly fields: readonly ParamField[];
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly output: string;
  readonly outputSchema?: TSchema;
  /** the apps whose connections it takes; empty for an action without a `connection` param */
  readonly apps: readonly string[];
  readonly summary?: string;
  readonly check?: (params: Record<string, unknown>, c: CheckContext) => void;
}

export type ActionParams<S extends ActionSpec> = Static<S['params']>;

const choicesOf = (s: TSchema | undefined): string[] | undefined => {
  const branches = (s as { anyOf?: { const?: unknown }[] } | undefined)?.anyOf;
  return branches?.every((b) => typeof b.const === 'string') ? branches.map((b) => b.const as string) : undefined;
};

function fieldKind(s: TSchema | undefined): FieldKind {
  if (s && rolesOf(s).includes('connection')) return 'connection';
  if (choicesOf(s)) return 'select';
  return (s as { type?: unknown } | undefined)?.type === 'string' ? 'text' : 'json';
}

export function defineAction<const T extends string, P extends TObject>(input: ActionSpecInput<T, P>): ActionSpec<T, P> {
  const props = input.params.properties as Record<string, TSchema>;
  const fields = input.fields.map((f): ParamField => {
    const kind = f.kind ?? fieldKind(props[f.key]);
    const options = f.options ?? (kind === 'select' ? choicesOf(props[f.key]) : undefined);
    return { key: f.key, label: f.label, kind, ...(options ? { options } : {}), ...(f.placeholder ? { placeholder: f.placeholder } : {}) };
  });
  for (const f of fields) if (!(f.key in props)) throw new Error(`action ${input.type}: field "${f.key}" is not a param`);
  const takesConnection = patternsWithRole(input.params, 'connection').length > 0;
  if (input.apps && !takesConnection) throw new Error(`action ${input.type}: apps given but no param has the connection role`);
  return Object.freeze({
    ...input,
    fields,
    apps: input.apps ?? (takesConnection ? [input.type.split('.')[0]!] : []),
    retryDefault: input.retryDefault ?? (input.outside ? DEFAULT_RETRY : NO_RETRY),
  });
}

/** Patterns (`/url`, `/headers/*`) of the params that carry `role`; see params.ts for the roles. */
export function paramPatterns(spec: ActionSpec, r: ParamRole): ParamPattern[] {
  return patternsWithRole(spec.params, r);
}

/** The values an action node's params hold where `role` applies, each with its pointer inside params. */
export function paramValuesWithRole(spec: ActionSpec, params: unknown, r: ParamRole): { pointer: string; value: unknown }[] {
  return valuesAt(params, paramPatterns(spec, r));
}
