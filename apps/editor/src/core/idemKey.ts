// The idempotency key field: written as a path (`payload.orderId`, as the README says), `{{payload.orderId}}`,
// or a JSON-Logic rule. Text it cannot read is kept as the text itself — the validator names it as a
// problem on the trigger — so nothing typed is silently dropped, now or after a reload.
const PATH = /^[A-Za-z_$][\w$-]*(\.[\w$-]+|\[\d+\])*$/;
const BRACED = /^\{\{\s*([^{}\s]+)\s*\}\}$/;

/** The flow value for what was typed: undefined for nothing, `{var}` for a path, the rule for JSON-Logic, else the text. */
export function readKey(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  const braced = BRACED.exec(t);
  if (braced && PATH.test(braced[1]!)) return { var: braced[1] };
  if (PATH.test(t)) return { var: t };
  try {
    const v: unknown = JSON.parse(t);
    if (typeof v === 'string' && PATH.test(v)) return { var: v };
    if (v !== null && typeof v === 'object') return v;
  } catch {
    /* kept as text below */
  }
  return t;
}

/** How a stored key is shown: a plain `{var: path}` as its path, other rules as JSON, unread text as itself. */
export function showKey(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'var' && typeof o.var === 'string' && PATH.test(o.var)) return o.var;
  }
  return JSON.stringify(value);
}
