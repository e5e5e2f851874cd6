// How deeply a JSON text nests, found by one pass over its bytes with no recursion, so that a payload
// nested thousands of levels deep is refused (400, naming the limit) before anything recursive — the
// parser, the contract check, JSON.stringify when the run is stored — ever sees it.

/** Nesting deeper than this is refused: vendors' payloads stay far below it (Stripe's events ~8). */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const OPEN_ARR = 0x5b;
const CLOSE_OBJ = 0x7d;
const CLOSE_ARR = 0x5d;

/** The byte offset where nesting first goes past `max` levels, or -1 (brackets inside strings do not count). */
export function jsonTooDeepAt(buf: Uint8Array, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (++depth > max) return i;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) depth--;
  }
  return -1;
}
