// An action's params once their placeholders are resolved, checked against the action spec's schema.
// The runtime checks them before every attempt and the dry run checks them the same way, so a dry run
// never calls "succeeded" what the real run would refuse (a required param resolving to null).
import type { FieldError } from './ajv-errors.ts';
import { actionSpec, type AnyActionSpec } from './action-specs.ts';
import { compilePayloadSchema, type PayloadValidator } from './payload.ts';

type Json = Record<string, unknown>;

const acceptsNull = (s: unknown): boolean => {
  if (!s || typeof s !== 'object') return true;
  const o = s as Json;
  if (o.type === undefined && o.anyOf === undefined && o.const === undefined && o.enum === undefined) return true;
  return o.type === 'null' || (Array.isArray(o.type) && o.type.includes('null')) || (Array.isArray(o.anyOf) && o.anyOf.some(acceptsNull));
};

/** A param resolved to null ("{{payload.owner}}" with no owner) counts as not given, unless its schema takes null. */
export function withoutNullParams(params: Json, schema: Json): Json {
  const props = (schema.properties ?? {}) as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(params)) if (v !== null || acceptsNull(props[k])) out[k] = v;
  return out;
}

const compiled = new WeakMap<AnyActionSpec, { schema: Json; validate: PayloadValidator['validate'] }>();

function checker(spec: AnyActionSpec): { schema: Json; validate: PayloadValidator['validate'] } {
  let c = compiled.get(spec);
  if (!c) {
    const schema = JSON.parse(JSON.stringify(spec.params)) as Json; // TypeBox's symbols dropped
    c = { schema, validate: compilePayloadSchema(schema).validate };
    compiled.set(spec, c);
  }
  return c;
}

export interface ResolvedParamsCheck {
  /** the params without nulls standing for "not given" */
  params: Json;
  /** every way they break the action's schema (empty when they fit) */
  problems: FieldError[];
  /** one line naming each problem, for a step's error */
  message?: string;
}

/** Checks an action's resolved params against its spec. An unknown action passes (deploy refuses it). */
export function checkResolvedParams(action: string | AnyActionSpec, params: Json): ResolvedParamsCheck {
  const spec = typeof action === 'string' ? actionSpec(action) : action;
  if (!spec) return { params, problems: [] };
  const c = checker(spec);
  const cleaned = withoutNullParams(params, c.schema);
  const problems = c.validate(cleaned);
  if (!problems.length) return { params: cleaned, problems };
  const what = problems.map((e) => `${e.path || '/'} ${e.message}`).join('; ');
  return { params: cleaned, problems, message: `params of ${spec.type} do not match its schema: ${what}` };
}
