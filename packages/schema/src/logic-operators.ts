// The JSON-Logic operators a flow may use: json-logic-js's own plus Flowdesk's few. validateFlow refuses
// any other operator at deploy, so a typo never reaches a run.
import { parseSignedDuration } from './duration.ts';
import { joinPointer } from './pointer.ts';

/** Every operator json-logic-js 2.x implements. */
export const JSON_LOGIC_OPERATORS = [
  'var', 'missing', 'missing_some',
  'if', '?:', '==', '===', '!=', '!==', '!', '!!', 'or', 'and',
  '>', '>=', '<', '<=', 'max', 'min', '+', '-', '*', '/', '%',
  'map', 'reduce', 'filter', 'all', 'none', 'some', 'merge', 'in',
  'cat', 'substr', 'log',
] as const;

/**
 * Flowdesk's own operators; the engine (packages/engine/src/logic.ts) registers exactly these. All are
 * pure: the time comes from the context (`{"var": "now"}`), never from a clock.
 * - `add_duration` [isoTime, "3d" | "-3d"] → the ISO time moved by the duration (null when the time does not parse)
 * - `days_between` [isoA, isoB] → the number of days from A to B (B − A, fractional; negative when B is earlier)
 * - `lower` [string] → lower-cased; `upper` [string] → upper-cased; `trim` [string] → without surrounding white space
 *   (a non-string comes back as it is)
 * - `coalesce` [a, b, …] → the first argument that is neither null nor missing, else null
 * - `length` [string | array] → its length (0 for anything else)
 * - `round` [number] → the nearest integer (money in cents: `{"round": [{"*": [{"var": "payload.amount"}, 100]}]}`; a non-number comes back as it is)
 */
export const CUSTOM_LOGIC_OPERATORS = ['add_duration', 'days_between', 'lower', 'upper', 'trim', 'coalesce', 'length', 'round'] as const;

export const KNOWN_LOGIC_OPERATORS: readonly string[] = [...JSON_LOGIC_OPERATORS, ...CUSTOM_LOGIC_OPERATORS];
const KNOWN = new Set(KNOWN_LOGIC_OPERATORS);

export type LogicIssueReporter = (path: string, message: string) => void;

/**
 * How many arguments each operator takes, as json-logic-js applies it (a single non-array argument is
 * one argument). A call outside these bounds does not fail at run time: it quietly computes something
 * else (`{">": "x"}` is always false), so it is refused at deploy.
 */
export const LOGIC_ARITY: Readonly<Record<string, readonly [min: number, max: number]>> = {
  var: [0, 2],
  missing: [0, Infinity],
  missing_some: [2, 2],
  if: [2, Infinity],
  '?:': [3, 3],
  '==': [2, 2],
  '===': [2, 2],
  '!=': [2, 2],
  '!==': [2, 2],
  '!': [1, 1],
  '!!': [1, 1],
  or: [1, Infinity],
  and: [1, Infinity],
  '>': [2, 2],
  '>=': [2, 2],
  '<': [2, 3],
  '<=': [2, 3],
  max: [1, Infinity],
  min: [1, Infinity],
  '+': [1, Infinity],
  '-': [1, 2],
  '*': [1, Infinity],
  '/': [2, 2],
  '%': [2, 2],
  map: [2, 2],
  reduce: [2, 3],
  filter: [2, 2],
  all: [2, 2],
  none: [2, 2],
  some: [2, 2],
  merge: [0, Infinity],
  in: [2, 2],
  cat: [0, Infinity],
  substr: [2, 3],
  log: [1, 1],
  add_duration: [2, 2],
  days_between: [2, 2],
  lower: [1, 1],
  upper: [1, 1],
  trim: [1, 1],
  coalesce: [1, Infinity],
  length: [1, 1],
  round: [1, 1],
};

const arityText = ([min, max]: readonly [number, number]): string =>
  max === Infinity ? `at least ${min} argument${min === 1 ? '' : 's'}` : min === max ? `${min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;

/**
 * Walks a JSON-Logic rule as json-logic-js reads it (an object with exactly one key is an operation,
 * arrays are evaluated element-wise, anything else is data) and reports, at the pointer of the object
 * holding it: every unknown operator, every call with the wrong number of arguments, an object that
 * mixes an operator with other keys (json-logic-js takes it for data: `{"var": …, "extra": 1}` is
 * always truthy), and literal `add_duration` durations that do not parse.
 */
export function checkLogic(rule: unknown, path: string, report: LogicIssueReporter, shapes = true): void {
  if (Array.isArray(rule)) {
    rule.forEach((r, i) => checkLogic(r, joinPointer(path, i), report, shapes));
    return;
  }
  if (rule === null || typeof rule !== 'object') return;
  const keys = Object.keys(rule);
  if (keys.length !== 1) {
    const ops = shapes ? keys.filter((k) => KNOWN.has(k)) : [];
    if (ops.length) {
      report(
        path,
        `an operation takes exactly one key; this object has ${keys.map((k) => `"${k}"`).join(', ')}, so it is read as data, not as "${ops[0]}" (remove the other keys)`,
      );
    }
    return; // data, not an operation
  }
  const op = keys[0]!;
  const args = (rule as Record<string, unknown>)[op];
  const argsPath = joinPointer(path, op);
  if (!KNOWN.has(op)) report(path, `unknown JSON-Logic operator "${op}"`);
  const arity = shapes ? LOGIC_ARITY[op] : undefined;
  if (arity) {
    const n = Array.isArray(args) ? args.length : 1;
    if (n < arity[0] || n > arity[1]) {
      report(argsPath, `"${op}" takes ${arityText(arity)}, got ${n}${Array.isArray(args) ? '' : ` (${JSON.stringify(args)?.slice(0, 40)} is one argument: arguments go in an array)`}`);
    }
  }
  if (op === 'add_duration' && Array.isArray(args) && typeof args[1] === 'string') {
    try {
      parseSignedDuration(args[1]);
    } catch (e) {
      report(joinPointer(argsPath, 1), (e as Error).message);
    }
  }
  checkLogic(args, argsPath, report, shapes);
}

/**
 * Walks action params: plain JSON where only `{"$logic": rule}` (that single key) is computed. Any other
 * object, a bare one-key object included, is data and is not read as an operator.
 */
export function checkParamsLogic(value: unknown, path: string, report: LogicIssueReporter, shapes = true): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkParamsLogic(v, joinPointer(path, i), report, shapes));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$logic') {
    checkLogic((value as { $logic: unknown }).$logic, joinPointer(path, '$logic'), report, shapes);
    return;
  }
  for (const k of keys) checkParamsLogic((value as Record<string, unknown>)[k], joinPointer(path, k), report, shapes);
}
