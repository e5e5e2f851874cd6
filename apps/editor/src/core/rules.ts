// Rule builder ⇄ JSON-Logic. react-querybuilder's own JSON-Logic export and import, plus the few
// things a route rule needs on top: a single condition is written bare (not wrapped in {"and": [...]}),
// numeric thresholds stay numbers, and logic the builder cannot show is reported (raw tab only).
import type { RuleGroupType, RuleType } from 'react-querybuilder';
import { formatQuery } from 'react-querybuilder/formatQuery';
import { parseJsonLogic } from 'react-querybuilder/parseJsonLogic';

export const NUMERIC_OPERATORS = new Set(['<', '<=', '>', '>=']);

export function isGroup(r: RuleType | RuleGroupType | string): r is RuleGroupType {
  return typeof r === 'object' && r !== null && 'rules' in r;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
export const sameJson = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** Numbers typed into a threshold come back as strings from inputs: make them numbers. */
function normaliseQuery(q: RuleGroupType): RuleGroupType {
  return {
    ...q,
    rules: q.rules.map((r) => {
      if (typeof r === 'string') return r;
      if (isGroup(r)) return normaliseQuery(r);
      if (NUMERIC_OPERATORS.has(r.operator) && typeof r.value === 'string' && r.value.trim() !== '' && Number.isFinite(Number(r.value))) {
        return { ...r, value: Number(r.value) };
      }
      return r;
    }),
  };
}

/** JSON-Logic for a rule-builder query. `{}`-free: an empty group gives `true`. */
export function queryToLogic(q: RuleGroupType): unknown {
  const nq = normaliseQuery(q);
  const out = formatQuery(nq, { format: 'jsonlogic' }) as unknown;
  if (out === false || out === undefined || out === null) return true;
  // a single condition in an AND/OR group is written bare
  if (out && typeof out === 'object' && !Array.isArray(out)) {
    const keys = Object.keys(out);
    if (keys.length === 1 && (keys[0] === 'and' || keys[0] === 'or')) {
      const arr = (out as Record<string, unknown[]>)[keys[0]];
      if (Array.isArray(arr) && arr.length === 1 && nq.rules.length === 1 && !isGroup(nq.rules[0] as RuleType)) return arr[0];
    }
  }
  return out;
}

/**
 * Ids by position (`g`, `g.0`, `g.1.0`…): the builder keys its rows by id and would otherwise draw fresh
 * random ones each time the rule is read back, remounting every row (an open variable picker closed).
 */
function withPositionIds(q: RuleGroupType, id = 'g'): RuleGroupType {
  return {
    ...q,
    id,
    rules: q.rules.map((r, i) => (typeof r === 'string' ? r : isGroup(r) ? withPositionIds(r, `${id}.${i}`) : { ...r, id: `${id}.${i}` })),
  };
}

/** The rule-builder query for a JSON-Logic rule, or null when the builder cannot show it exactly. */
export function logicToQuery(logic: unknown): RuleGroupType | null {
  if (logic === true) return { id: 'g', combinator: 'and', rules: [] };
  if (!logic || typeof logic !== 'object' || Array.isArray(logic)) return null;
  let q: RuleGroupType;
  try {
    q = parseJsonLogic(logic as never) as RuleGroupType;
  } catch {
    return null;
  }
  if (!q || !Array.isArray(q.rules)) return null;
  if (!sameJson(queryToLogic(q), logic)) {
    // `{"and":[single]}` comes back bare: still shown by the builder
    const keys = Object.keys(logic as object);
    const arr = (logic as Record<string, unknown>)[keys[0] ?? ''];
    if (!(keys.length === 1 && (keys[0] === 'and' || keys[0] === 'or') && Array.isArray(arr) && arr.length === 1 && sameJson(queryToLogic(q), arr[0]))) return null;
  }
  return withPositionIds(q);
}

/** Conditions left incomplete in the builder (no field, or a threshold with no value). */
export function incompleteConditions(logic: unknown): string[] {
  const out: string[] = [];
  const walk = (l: unknown): void => {
    if (!l || typeof l !== 'object') return;
    if (Array.isArray(l)) {
      l.forEach(walk);
      return;
    }
    const [op] = Object.keys(l);
    if (!op) return;
    const args = (l as Record<string, unknown>)[op];
    if (op === 'var') {
      if (args === '' || (Array.isArray(args) && args[0] === '')) out.push('a condition has no field');
      return;
    }
    if (Array.isArray(args)) {
      if (['==', '!=', '===', '!==', '<', '<=', '>', '>='].includes(op)) {
        const v = args.find((a) => !(a && typeof a === 'object'));
        const field = args.find((a) => a && typeof a === 'object' && 'var' in (a as object)) as { var?: unknown } | undefined;
        const name = field ? String(Array.isArray(field.var) ? field.var[0] : field.var) : 'a value';
        // (== null is "is empty": a real condition)
        const numeric = NUMERIC_OPERATORS.has(op);
        if (args.length < 2 || v === '' || (numeric && (v === null || (typeof v === 'string' && !Number.isFinite(Number(v)))))) {
          out.push(`the condition on ${name || '(no field)'} needs a ${NUMERIC_OPERATORS.has(op) ? 'number' : 'value'}`);
        }
      }
      args.forEach(walk);
    }
  };
  walk(logic);
  return [...new Set(out)];
}
