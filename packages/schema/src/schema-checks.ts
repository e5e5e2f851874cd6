// The compiled checks of flow.schema.json and state-map.schema.json, each compiled on first use. The
// runtime's bundle replaces this module with the same checks precompiled at build time
// (scripts/schema-checks-standalone.mjs): compiling them costs ~1 s of CPU, which a restart after a
// crash should not pay. AJV's code generation needs 'unsafe-eval' under a CSP (the editor allows it).
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';

export type SchemaName = 'flow' | 'state-map';

const compiled = new Map<SchemaName, ValidateFunction>();

/** The check of `schema` (the TypeBox source of the file `name` names). */
export function schemaCheck(name: SchemaName, schema: object): ValidateFunction {
  let check = compiled.get(name);
  if (!check) {
    check = new Ajv2020({ allErrors: true, logger: false }).compile(JSON.parse(JSON.stringify(schema)) as object);
    compiled.set(name, check);
  }
  return check;
}
