// Action params: plain JSON whose strings may hold {{path}} placeholders, and {"$logic": rule} values.
import { PLACEHOLDER_PATTERN as PLACEHOLDER } from '@flowdesk/schema';
import { evaluateLogic } from './logic.ts';

const WHOLE = new RegExp(`^${PLACEHOLDER.source}$`);

/** Reads a dotted path (`payload.items.0.sku`) from data; undefined when any part is missing. */
export function getPath(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (part === '') continue;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A placeholder's value inside a longer string: JSON for objects, nothing for null. */
export function toText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Renders one string. A string that is exactly one placeholder keeps the value's type (a number stays a number). */
export function renderString(s: string, data: unknown): unknown {
  const whole = WHOLE.exec(s);
  if (whole) return getPath(data, whole[1]!) ?? null;
  return s.replace(PLACEHOLDER, (_, p: string) => toText(getPath(data, p)));
}

/** Renders params deeply: strings by placeholder, {"$logic": rule} by JSON-Logic. Objects stay data otherwise. */
export function renderParams(value: unknown, data: unknown, field = 'params'): unknown {
  if (typeof value === 'string') return renderString(value, data);
  if (Array.isArray(value)) return value.map((v, i) => renderParams(v, data, `${field}/${i}`));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === '$logic') return evaluateLogic(obj.$logic, data, field);
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = renderParams(obj[k], data, `${field}/${k}`);
    return out;
  }
  return value;
}
