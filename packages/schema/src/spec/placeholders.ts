// Action params are plain JSON in which a `{{path}}` string or a `{"$logic": rule}` object may stand
// wherever a value goes. An action spec's params schema describes the *resolved* values; this makes the
// schema a deploy may check: every value may instead be a placeholder, so deploy checks what is literal
// and the runtime checks the resolved values against the spec's own schema.

/** Titles that mark the two placeholder branches (validateFlow reports only the real branch's errors). */
export const PLACEHOLDER_TITLE = 'a string with {{placeholders}}, resolved at run time';
export const LOGIC_VALUE_TITLE = 'a {"$logic": rule} value, computed at run time';

export const PLACEHOLDER_STRING = { type: 'string', pattern: '\\{\\{', title: PLACEHOLDER_TITLE } as const;
export const LOGIC_VALUE = {
  type: 'object',
  required: ['$logic'],
  properties: { $logic: { description: 'a JSON-Logic rule' } },
  additionalProperties: false,
  title: LOGIC_VALUE_TITLE,
} as const;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** True for a schema that accepts anything (`{}` or only annotations). */
function acceptsAnything(s: Json): boolean {
  return Object.keys(s).every((k) => k === 'description' || k === 'title' || k === 'default' || k === 'examples' || k === '$comment');
}

/** The schema with every value below it placeholder-tolerant (the value itself as it was). */
function tolerantInside(schema: Json): Json {
  const s: Json = { ...schema };
  const map = (o: Json) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, placeholderTolerant(v)]));
  if (isObj(s.properties)) s.properties = map(s.properties);
  if (isObj(s.patternProperties)) s.patternProperties = map(s.patternProperties);
  if (isObj(s.additionalProperties)) s.additionalProperties = placeholderTolerant(s.additionalProperties);
  if (isObj(s.items)) s.items = placeholderTolerant(s.items);
  // the branches of a union are alternatives for one value: their insides are tolerant, they are not wrapped again
  for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(s[key])) s[key] = (s[key] as unknown[]).map((b) => (isObj(b) ? tolerantInside(b) : b));
  return s;
}

/** The JSON Schema of a value that may also be written as a placeholder; the value's own schema is branch 0. */
export function placeholderTolerant(schema: unknown): unknown {
  if (!isObj(schema) || acceptsAnything(schema)) return schema;
  const { description, ...own } = tolerantInside(schema);
  return { ...(description !== undefined ? { description } : {}), anyOf: [own, PLACEHOLDER_STRING, LOGIC_VALUE] };
}

/**
 * The params object schema of an action node at deploy: every value in it may be a placeholder, the
 * object itself not. A required param left out is reported when the step runs, not at deploy: a flow
 * may be saved while an action is half set up (its params are checked whole once resolved).
 */
export function deployParamsSchema(params: unknown): unknown {
  if (!isObj(params)) return params;
  const { required: _required, ...rest } = tolerantInside(params);
  return rest;
}
