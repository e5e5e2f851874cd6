// Deploy-time syntax checks for the sandboxed languages. Parsing only: nothing here runs the code
// (the runtime runs it inside QuickJS), so it is safe in the editor and under its CSP. The parsers
// come from '#sandbox-parsers' (package.json "imports"): loaded on first use in Node, with the module in
// the editor's build.
import { loadParsers } from '#sandbox-parsers';

/** The wrapper the sandbox runs a code node's source in; deploy parses the same text. */
export const wrapCodeSource = (source: string): string => `(function (input) {\n${source}\n})`;

/** null when the code node's source parses as a function body, else the parser's message. */
export function javascriptSyntaxError(source: string): string | null {
  try {
    loadParsers().parse(wrapCodeSource(source), { ecmaVersion: 2023, sourceType: 'script' });
    return null;
  } catch (e) {
    // positions are of the wrapped text: the source starts on its second line
    return (e as Error).message.replace(/\((\d+):(\d+)\)$/, (_m, l: string, c: string) => `(line ${Number(l) - 1}, column ${Number(c) + 1})`);
  }
}

/** null when the JSONata expression parses, else the parser's message. */
export function jsonataSyntaxError(expr: string): string | null {
  try {
    loadParsers().jsonata(expr);
    return null;
  } catch (e) {
    const err = e as { message?: string; position?: number };
    return `${err.message ?? String(e)}${typeof err.position === 'number' ? ` (at character ${err.position})` : ''}`;
  }
}
