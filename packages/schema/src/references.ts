// What a param value reads: the data paths of its `{{path}}` placeholders and of the `var`s of its
// `{"$logic"}` rules. The security rules use it to tell values the owner set (config, secrets) from
// values an event brought (payload, headers, vars, steps, record, run, now). Pure, browser-safe.

/** A `{{path}}` placeholder (the engine renders exactly these). */
export const PLACEHOLDER_PATTERN = /\{\{\s*([A-Za-z0-9_$.\-[\]]+)\s*\}\}/g;

/** Roots of the data the owner sets, never an event: `{{config.X}}`, `{{secrets.X}}`. */
export const OWNER_ROOTS: readonly string[] = ['config', 'secrets'];

/** The first segment of a data path: `payload` for `payload.items[0].sku`. */
export const rootOf = (path: string): string => path.split(/[.[]/, 1)[0]!;

/** The paths of a template string's placeholders, in order. */
export function templatePaths(s: string): string[] {
  return [...s.matchAll(PLACEHOLDER_PATTERN)].map((m) => m[1]!);
}

/**
 * The data paths a JSON-Logic rule reads through `var` (json-logic-js's reading of a rule: an object
 * with one key is an operation). `null` stands for a path only known at run time (a computed `var`, or
 * `""`: the whole data).
 */
export function logicPaths(rule: unknown): (string | null)[] {
  const out: (string | null)[] = [];
  const walk = (r: unknown): void => {
    if (Array.isArray(r)) return r.forEach(walk);
    if (r === null || typeof r !== 'object') return;
    const keys = Object.keys(r);
    if (keys.length !== 1) return;
    const args = (r as Record<string, unknown>)[keys[0]!];
    if (keys[0] === 'var') {
      const first = Array.isArray(args) ? args[0] : args;
      if (typeof first === 'string' && first !== '') out.push(first);
      else if (typeof first === 'number') out.push(String(first));
      else out.push(null);
      if (Array.isArray(args)) args.slice(1).forEach(walk); // the default may be a rule too
      return;
    }
    walk(args);
  };
  walk(rule);
  return out;
}

/** `{"$logic": rule}`, the one shape of a computed param value. */
export function isLogicValue(v: unknown): v is { $logic: unknown } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && Object.hasOwn(v, '$logic');
}

/** The paths one param value (a template string or a `$logic` value) reads; other values read nothing. */
export function valuePaths(v: unknown): (string | null)[] {
  if (typeof v === 'string') return templatePaths(v);
  if (isLogicValue(v)) return logicPaths(v.$logic);
  return [];
}

/** Whether a path (or an unknown one) may hold event data: anything but config and secrets. */
export const fromEvent = (path: string | null): boolean => path === null || !OWNER_ROOTS.includes(rootOf(path));

/** Whether a path names a secret (`secrets.X`, or all of them); a path computed at run time is not known here. */
export const namesSecret = (path: string | null): boolean => path !== null && rootOf(path) === 'secrets';
