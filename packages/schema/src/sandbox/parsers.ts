// The parsers of the sandboxed languages, loaded with the module: the editor's build (package.json
// "imports", condition "browser"), where there is no synchronous loading on demand.
import { parse } from 'acorn';
import jsonata from 'jsonata';

export interface Parsers {
  parse: typeof parse;
  jsonata: typeof jsonata;
}

const parsers: Parsers = { parse, jsonata };

export function loadParsers(): Parsers {
  return parsers;
}
