// JSON Pointer (RFC 6901) helpers: every error Flowdesk reports names its place with one.

/** Escapes one reference token: `~` → `~0`, `/` → `~1`. */
export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a pointer from its tokens: `toPointer(['nodes', 2, 'rules', 0, 'when'])` → `/nodes/2/rules/0/when`. */
export function toPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((t) => `/${escapePointerToken(t)}`).join('');
}

/** Appends tokens to a pointer. */
export function joinPointer(base: string, ...tokens: (string | number)[]): string {
  return base + toPointer(tokens);
}

/** Splits a pointer into its unescaped tokens (`""` → `[]`). Throws on a pointer not starting with `/`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value a pointer names inside `doc`, or undefined. */
export function getByPointer(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else if (cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, token)) {
      cur = (cur as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Whether `pointer` is `base` or below it (token-wise: `/nodes/1` is not below `/nodes/10`). */
export function isWithinPointer(base: string, pointer: string): boolean {
  return pointer === base || pointer.startsWith(`${base}/`);
}
