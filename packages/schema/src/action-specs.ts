// The action specs as one typed table: `ActionType` is the union of their types, so a spec added to
// actions/ (and indexed by `npm run schema:build`) is a new action everywhere the compiler looks.
import type { Static } from '@sinclair/typebox';
import { ACTION_SPECS } from './actions/index.ts';
import { paramPatterns } from './spec/action.ts';
import { valuesAt, type ParamPattern, type ParamRole } from './spec/params.ts';

export { ACTION_SPECS };
export type AnyActionSpec = (typeof ACTION_SPECS)[number];
export type ActionType = AnyActionSpec['type'];
export type ActionSpecOf<K extends ActionType> = Extract<AnyActionSpec, { type: K }>;
/** The params an action's executor receives (placeholders resolved). */
export type ParamsOf<K extends ActionType> = Static<ActionSpecOf<K>['params']>;

export const ACTION_TYPES: readonly ActionType[] = ACTION_SPECS.map((s) => s.type);

const byType = new Map<string, AnyActionSpec>(ACTION_SPECS.map((s) => [s.type, s]));

/** The spec of an action type, typed (an executor's `defineExecutor(specOf('email.send'), …)`). */
export function specOf<K extends ActionType>(type: K): ActionSpecOf<K> {
  return byType.get(type) as ActionSpecOf<K>;
}

/** The spec of an action type; undefined for a type no spec defines. */
export function actionSpec(type: string): AnyActionSpec | undefined {
  return byType.get(type);
}

/**
 * Where in an action's params a role applies, as patterns (`/url`, `/headers/*`); for the security
 * rules: URLs, params that may carry secrets or a connection, e-mail addresses.
 */
export function paramPathsByRole(action: string, role: ParamRole): ParamPattern[] {
  const key = `${action}\u0000${role}`;
  let patterns = patternsByRole.get(key);
  if (!patterns) {
    const spec = actionSpec(action);
    patterns = spec ? paramPatterns(spec, role) : [];
    if (spec) patternsByRole.set(key, patterns); // specs are frozen: their roles never change
  }
  return patterns;
}
const patternsByRole = new Map<string, ParamPattern[]>();
const valuePatterns = new Map<string, readonly ParamPattern[]>();

/** The values an action node's params hold where `role` applies, each with its pointer inside params. */
export function paramsWithRole(node: { action: string; params?: unknown }, role: ParamRole): { pointer: string; value: unknown }[] {
  const spec = actionSpec(node.action);
  if (!spec) return [];
  // every action call asks (the hot path): the patterns are worked out from the schema once. A cache of
  // its own: paramPathsByRole hands its arrays out to callers
  const key = `${node.action}\u0000${role}`;
  let patterns = valuePatterns.get(key);
  if (!patterns) valuePatterns.set(key, (patterns = Object.freeze(paramPatterns(spec, role))));
  return valuesAt(node.params ?? {}, patterns);
}
