// The checks of flow.schema.json and state-map.schema.json as Ajv standalone code, generated when the
// runtime is bundled (scripts/build-runtime.mjs): compiling those schemas costs ~1 s of CPU at every
// start, and a restart after a crash should serve again within 2 s. The code replaces
// packages/schema/src/schema-checks.ts in the bundle and exports the same `schemaCheck(name)`.
import Ajv2020 from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FILES = { flow: 'flow.schema.json', 'state-map': 'state-map.schema.json' };

/** ESM source of a module whose `schemaCheck(name)` returns the precompiled check of that schema file. */
export function schemaChecksModuleSource(root) {
  // the options schema-checks.ts compiles with, plus code generation
  const ajv = new Ajv2020.default({ allErrors: true, logger: false, code: { source: true, esm: true } });
  const refs = {};
  for (const [name, file] of Object.entries(FILES)) {
    const schema = JSON.parse(readFileSync(join(root, 'packages/schema', file), 'utf8'));
    ajv.addSchema(schema);
    refs[exportName(name)] = schema.$id;
  }
  const code = standaloneCode.default(ajv, refs);
  const cases = Object.keys(FILES).map((name) => `${JSON.stringify(name)}: ${exportName(name)}`).join(', ');
  return `${code}\nconst checks = { ${cases} };\nexport function schemaCheck(name) { return checks[name]; }\n`;
}

const exportName = (name) => `check_${name.replace(/\W/g, '_')}`;
