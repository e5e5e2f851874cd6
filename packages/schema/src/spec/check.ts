// What a node or action spec's own deploy checks may use: validateFlow implements it, so the specs
// never import the validator. Paths are tokens relative to the node (or to an action's params).

export type PathToken = string | number;

export interface StateNames {
  has(entity: string): boolean;
  /** reports an unknown entity; true when it is known */
  entity(entity: unknown, ...path: PathToken[]): boolean;
  /** reports an unknown state of a known entity */
  state(entity: string, state: unknown, ...path: PathToken[]): void;
  /** checks `{entity, state}` at path */
  both(holder: unknown, ...path: PathToken[]): void;
}

export interface CheckContext {
  error(message: string, ...path: PathToken[]): void;
  /** an error said better than the schema's own error at the same path, which it replaces */
  errorInsteadOfSchema(message: string, ...path: PathToken[]): void;
  /** unknown JSON-Logic operators and bad literal durations in a rule */
  logic(rule: unknown, ...path: PathToken[]): void;
  /** a duration that does not parse (its message replaces the schema's pattern error) */
  duration(value: unknown, ...path: PathToken[]): void;
  /** action params: only `{"$logic": rule}` values are rules; their operators are checked */
  paramsLogic(value: unknown, ...path: PathToken[]): void;
  /** a JSON Schema (a payload contract, a qa schema) that does not compile */
  jsonSchema(value: unknown, what: string, ...path: PathToken[]): void;
  /** the same context, its paths under `path` */
  at(...path: PathToken[]): CheckContext;
  /** names in the state map, when validateFlow was given one */
  states?: StateNames;
  /** when validateFlow was told which actions the runtime performs: those */
  implementedActions?: readonly string[];
  /** the whole flow document, as written */
  flow: Record<string, unknown>;
}

/** A param value as written, when it is neither a `{{placeholder}}` string nor a `{"$logic"}` value. */
export const literalString = (v: unknown): string | undefined => (typeof v === 'string' && !v.includes('{{') ? v : undefined);
