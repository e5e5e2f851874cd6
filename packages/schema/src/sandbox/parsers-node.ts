// The parsers of the sandboxed languages in Node (the runtime, tests, CLIs): loaded on first use — a
// flow with a code or set node — not at start. acorn and jsonata cost ~2 MB of heap once loaded, which
// a runtime without such nodes (and its heap bound) should not pay. The editor loads them eagerly
// (./parsers.ts, chosen by package.json "imports"); this file is only ever resolved in Node, so it may
// reach Node's module loader (through process, not an import: the package is browser-safe by rule).
import type { Parsers } from './parsers.ts';

let parsers: Parsers | undefined;

export function loadParsers(): Parsers {
  if (!parsers) {
    const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);
    parsers = { parse: (require('acorn') as typeof import('acorn')).parse, jsonata: require('jsonata') as Parsers['jsonata'] };
  }
  return parsers;
}
