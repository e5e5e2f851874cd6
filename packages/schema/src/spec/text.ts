// Short texts of values for summaries (the canvas, docs), and port names: pure, no UI.

/** The distinct non-empty names among values (a node's ports from its fields, in order). */
export const portNames = (ports: unknown[]): string[] => [...new Set(ports.filter((p): p is string => typeof p === 'string' && p !== ''))];

export function short(v: unknown, max = 48): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (s === undefined) return '';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function logicText(l: unknown): string {
  if (l && typeof l === 'object' && !Array.isArray(l)) {
    const [op] = Object.keys(l);
    const args = (l as Record<string, unknown>)[op!];
    if (op === 'var') return String(Array.isArray(args) ? args[0] : args);
    if ((op === 'and' || op === 'or') && Array.isArray(args)) return args.map(logicText).join(` ${op.toUpperCase()} `);
    if (Array.isArray(args) && args.length === 2) return `${logicText(args[0])} ${op} ${logicText(args[1])}`;
  }
  return short(l, 30);
}

/** A JSON-Logic condition as a short line: `payload.budget >= 5000`. */
export function ruleText(when: unknown): string {
  return short(logicText(when), 40);
}
