// Param roles: what the security rules need to know about an action's params, written on the param's
// own schema (never in a hand-kept list). A role is a TypeBox annotation under a symbol key, so it is
// not part of the published JSON Schema.
import type { TSchema } from '@sinclair/typebox';

/**
 * - `url`: the value is a URL the action calls;
 * - `secrets`: `{{secrets.NAME}}` may appear in this param (anywhere inside it);
 * - `connection`: the value names a connection whose credentials the action sends;
 * - `email`: each value is one e-mail address.
 */
export type ParamRole = 'url' | 'secrets' | 'connection' | 'email';
export const PARAM_ROLES: readonly ParamRole[] = ['url', 'secrets', 'connection', 'email'];

const ROLES = Symbol.for('flowdesk.paramRoles');

/** The schema, annotated with roles (returned for chaining: `role(Type.String(), 'url', 'secrets')`). */
export function role<S extends TSchema>(schema: S, ...roles: ParamRole[]): S {
  (schema as unknown as Record<symbol, ParamRole[]>)[ROLES] = [...new Set([...rolesOf(schema), ...roles])];
  return schema;
}

export function rolesOf(schema: TSchema): ParamRole[] {
  return (schema as unknown as Record<symbol, ParamRole[] | undefined>)[ROLES] ?? [];
}

/** A JSON-pointer-like pattern into params, `*` standing for any key or index: `/url`, `/headers/*`. */
export type ParamPattern = string;

/** Every place in a params schema that carries `role`, as patterns (roles on a value cover what is inside it). */
export function patternsWithRole(schema: TSchema, wanted: ParamRole, base = ''): ParamPattern[] {
  if (rolesOf(schema).includes(wanted)) return [base];
  const s = schema as Record<string, unknown>;
  const out: ParamPattern[] = [];
  const sub = (v: unknown, token: string) => {
    if (v && typeof v === 'object') out.push(...patternsWithRole(v as TSchema, wanted, `${base}/${token}`));
  };
  if (s.properties && typeof s.properties === 'object') for (const [k, v] of Object.entries(s.properties)) sub(v, k.replace(/~/g, '~0').replace(/\//g, '~1'));
  if (s.patternProperties && typeof s.patternProperties === 'object') for (const v of Object.values(s.patternProperties)) sub(v, '*');
  if (s.additionalProperties && typeof s.additionalProperties === 'object') sub(s.additionalProperties, '*');
  if (s.items && typeof s.items === 'object') sub(s.items, '*');
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = s[key];
    if (Array.isArray(branches)) for (const b of branches) if (b && typeof b === 'object') out.push(...patternsWithRole(b as TSchema, wanted, base));
  }
  return [...new Set(out)];
}

/** The values of `params` at the patterns, each with its pointer inside params. */
export function valuesAt(params: unknown, patterns: readonly ParamPattern[]): { pointer: string; value: unknown }[] {
  const out: { pointer: string; value: unknown }[] = [];
  const walk = (value: unknown, tokens: string[], pointer: string) => {
    if (value === undefined) return;
    if (tokens.length === 0) {
      out.push({ pointer, value });
      return;
    }
    const [head, ...rest] = tokens as [string, ...string[]];
    if (value === null || typeof value !== 'object') return;
    if (head === '*') {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [k, v] of entries) walk(v, rest, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      return;
    }
    const key = head.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Object.hasOwn(value, key)) walk((value as Record<string, unknown>)[key], rest, `${pointer}/${head}`);
  };
  for (const p of patterns) walk(params, p === '' ? [] : p.slice(1).split('/'), '');
  return out;
}

/** Whether a pointer into params lies at or inside one of the patterns. */
export function pointerMatches(pointer: string, patterns: readonly ParamPattern[]): boolean {
  if (patterns.length === 0) return false; // most params of most actions: no split per value walked
  const tokens = pointer === '' ? [] : pointer.slice(1).split('/');
  return patterns.some((p) => {
    const want = p === '' ? [] : p.slice(1).split('/');
    return want.length <= tokens.length && want.every((t, i) => t === '*' || t === tokens[i]);
  });
}

/** The `connection` param of a connector: the id of a connection on the Connections page. */
export function connectionParam<S extends TSchema>(schema: S): S {
  return role(schema, 'connection');
}
