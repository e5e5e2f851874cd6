// HTML form fields against a payload contract. A form sends only strings (and files); the contract
// speaks JSON types. For form bodies only, each top-level field is coerced to what its property in the
// contract declares — numbers, booleans (checkbox "on" included), a single value for an array field
// becomes a one-item array, an empty optional number or boolean is left out — and the ordinary strict
// check runs on the result, so JSON senders keep strict checks and a form's errors name the field.
// Pure: no I/O.

type Types = ReadonlySet<string>;

function typesOf(schema: unknown): Types | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const t = (schema as { type?: unknown }).type;
  if (typeof t === 'string') return new Set([t]);
  if (Array.isArray(t) && t.every((x) => typeof x === 'string')) return new Set(t as string[]);
  return undefined;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', 'on', '1', 'yes']);
const FALSE = new Set(['false', 'off', '0', 'no']);
/** marks a field to leave out (an empty optional number or boolean) */
const ABSENT = Symbol('absent');

function scalar(value: unknown, types: Types | undefined): unknown {
  if (typeof value !== 'string' || !types || types.has('string')) return value;
  if (value === '') return types.has('null') ? null : ABSENT;
  const v = value.trim();
  if ((types.has('number') || types.has('integer')) && NUMBER.test(v)) return Number(v);
  if (types.has('boolean')) {
    const l = v.toLowerCase();
    if (TRUE.has(l)) return true;
    if (FALSE.has(l)) return false;
  }
  return value;
}

function field(value: unknown, schema: unknown): unknown {
  const types = typesOf(schema);
  if (types?.has('array')) {
    const items = (schema as { items?: unknown }).items;
    const list = Array.isArray(value) ? value : [value];
    return list.map((x) => scalar(x, typesOf(items))).filter((x) => x !== ABSENT);
  }
  return scalar(value, types);
}

/**
 * The form fields `fields` (name → string, string[] or a file reference) coerced to the contract
 * `schema`'s top-level properties. Fields the contract does not name are kept as sent.
 */
export function coerceFormPayload(schema: unknown, fields: Record<string, unknown>): Record<string, unknown> {
  const props = schema && typeof schema === 'object' ? (schema as { properties?: unknown }).properties : undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    const prop = props && typeof props === 'object' && Object.hasOwn(props, k) ? (props as Record<string, unknown>)[k] : undefined;
    const c = prop === undefined ? v : field(v, prop);
    if (c !== ABSENT) Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
