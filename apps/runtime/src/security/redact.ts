// Redaction of secret values from anything that is stored or shown: run logs, errors, alerts, exports.
export const REDACTED = '[redacted]';
/** Shorter values are not redacted: they would mangle ordinary text. */
export const MIN_SECRET_LENGTH = 4;

/** Inbound headers whose values are credentials, never stored as they came. */
export const SENSITIVE_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-flowdesk-token',
  'webhook-signature',
  'stripe-signature',
  'x-hub-signature',
  'x-hub-signature-256',
];

export type Redactor = <T>(value: T) => T;

/** Builds a redactor for a fixed list of secret values (one regex, longest value first). */
export function makeRedactor(secretValues: readonly string[]): Redactor {
  const list = [...new Set(secretValues.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  if (list.length === 0) return <T>(value: T): T => deepCopy(value, (s) => s, new WeakMap());
  const re = new RegExp(list.map(escapeRegExp).join('|'), 'g');
  const str = (s: string) => (s.length >= MIN_SECRET_LENGTH ? s.replace(re, REDACTED) : s);
  return <T>(value: T): T => deepCopy(value, str, new WeakMap());
}

/** Deep copy of `value` with every occurrence of a secret value (length ≥ 4) in any string replaced by [redacted]. */
export function redact<T>(value: T, secretValues: readonly string[]): T {
  return makeRedactor(secretValues)(value);
}

const SENSITIVE_HEADER_SET: ReadonlySet<string> = new Set(SENSITIVE_HEADERS);

/**
 * Copy of inbound headers with credential headers replaced by [redacted]. `extra` names more headers
 * (a token trigger's custom header). Array values are joined with ", ".
 */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
  extra: readonly string[] = [],
): Record<string, string> {
  // every webhook comes through here: the usual case (no extra header) builds no Set
  const sensitive = extra.length === 0 ? SENSITIVE_HEADER_SET : new Set([...SENSITIVE_HEADERS, ...extra.map((h) => h.toLowerCase())]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = sensitive.has(k.toLowerCase()) ? REDACTED : Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function deepCopy<T>(value: T, str: (s: string) => string, seen: WeakMap<object, unknown>): T {
  if (typeof value === 'string') return str(value) as T;
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return seen.get(value) as T;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(deepCopy(item, str, seen));
    return out as T;
  }
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Buffer.isBuffer(value)) {
    const text = value.toString('utf8');
    const clean = str(text);
    return (clean === text ? Buffer.from(value) : Buffer.from(clean)) as T; // binary untouched unless it held a secret
  }
  if (value instanceof Error) {
    const err = new Error(str(value.message));
    err.name = value.name;
    err.stack = value.stack === undefined ? undefined : str(value.stack);
    seen.set(value, err);
    for (const [k, v] of Object.entries(value)) (err as unknown as Record<string, unknown>)[k] = deepCopy(v, str, seen);
    return err as T;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[str(k)] = deepCopy(v, str, seen);
  return out as T;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
