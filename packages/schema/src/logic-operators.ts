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
 */
export const CUSTOM_LOGIC_OPERATORS = ['add_duration', 'days_between', 'lower', 'upper', 'trim', 'coalesce', 'length'] as const;

export const KNOWN_LOGIC_OPERATORS: readonly string[] = [...JSON_LOGIC_OPERATORS, ...CUSTOM_LOGIC_OPERATORS];
const KNOWN = new Set(KNOWN_LOGIC_OPERATORS);

export type LogicIssueReporter = (path: string, message: string) => void;

/**
 * Walks a JSON-Logic rule as json-logic-js reads it (an object with exactly one key is an operation,
 * arrays are evaluated element-wise, anything else is data) and reports every unknown operator at
 * the pointer of the object holding it, plus literal `add_duration` durations that do not parse.
 */
export function checkLogic(rule: unknown, path: string, report: LogicIssueReporter): void {
  if (Array.isArray(rule)) {
    rule.forEach((r, i) => checkLogic(r, joinPointer(path, i), report));
    return;
  }
  if (rule === null || typeof rule !== 'object') return;
  const keys = Object.keys(rule);
  if (keys.length !== 1) return; // data, not an operation
  const op = keys[0]!;
  const args = (rule as Record<string, unknown>)[op];
  const argsPath = joinPointer(path, op);
  if (!KNOWN.has(op)) report(path, `unknown JSON-Logic operator "${op}"`);
  if (op === 'add_duration' && Array.isArray(args) && typeof args[1] === 'string') {
    try {
      parseSignedDuration(args[1]);
    } catch (e) {
      report(joinPointer(argsPath, 1), (e as Error).message);
    }
  }
  checkLogic(args, argsPath, report);
}

/**
 * Walks action params: plain JSON where only `{"$logic": rule}` (that single key) is computed. Any other
 * object, a bare one-key object included, is data and is not read as an operator.
 */
export function checkParamsLogic(value: unknown, path: string, report: LogicIssueReporter): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkParamsLogic(v, joinPointer(path, i), report));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$logic') {
    checkLogic((value as { $logic: unknown }).$logic, joinPointer(path, '$logic'), report);
    return;
  }
  for (const k of keys) checkParamsLogic((value as Record<string, unknown>)[k], joinPointer(path, k), report);
}
