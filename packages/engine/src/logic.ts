// JSON-Logic evaluation (json-logic-js) with Flowdesk's few extra operators. Pure: `now` comes from
// the context, never from a clock.
import jsonLogic from 'json-logic-js';
import { parseDuration } from '@flowdesk/schema';

function addDuration(iso: unknown, duration: unknown): string | null {
  if (typeof iso !== 'string' || typeof duration !== 'string') return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const negative = duration.startsWith('-');
  const ms = parseDuration(negative ? duration.slice(1) : duration);
  return new Date(t + (negative ? -ms : ms)).toISOString();
}

function daysBetween(a: unknown, b: unknown): number | null {
  if (typeof a !== 'string' || typeof b !== 'string') return null;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(ta) || Number.isNaN(tb)) return null;
  return (tb - ta) / 86_400_000;
}

/** The custom operators, by name; validateFlow's CUSTOM_LOGIC_OPERATORS must list exactly these. */
export const CUSTOM_OPERATIONS: Record<string, (...args: unknown[]) => unknown> = {
  add_duration: addDuration,
  days_between: daysBetween,
  lower: (s) => (typeof s === 'string' ? s.toLowerCase() : s),
  upper: (s) => (typeof s === 'string' ? s.toUpperCase() : s),
  trim: (s) => (typeof s === 'string' ? s.trim() : s),
  coalesce: (...xs) => xs.find((x) => x !== null && x !== undefined) ?? null,
  length: (x) => (typeof x === 'string' || Array.isArray(x) ? x.length : 0),
  round: (x) => (typeof x === 'number' ? Math.round(x) : x),
};
for (const [name, fn] of Object.entries(CUSTOM_OPERATIONS)) jsonLogic.add_operation(name, fn);

export class LogicError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'LogicError';
  }
}

/** Evaluates a JSON-Logic rule over data. Throws LogicError (naming `field`) when the rule is malformed. */
export function evaluateLogic(rule: unknown, data: unknown, field?: string): unknown {
  try {
    return jsonLogic.apply(rule as never, data);
  } catch (e) {
    throw new LogicError(`${field ? `${field}: ` : ''}${(e as Error).message}`, field);
  }
}

/** JSON-Logic truthiness (an empty array is false), as json-logic-js defines it. */
export function truthy(v: unknown): boolean {
  return jsonLogic.truthy(v);
}
