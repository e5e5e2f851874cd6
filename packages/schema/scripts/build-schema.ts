// Writes packages/schema/flow.schema.json and state-map.schema.json from the TypeBox sources.
// Run with `npm run schema:build`; a test fails when the committed files differ from this output.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFiles } from '../src/json-schema.ts';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const [name, text] of Object.entries(schemaFiles())) {
  const file = join(packageDir, name);
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) {
    console.log(`${name}: up to date`);
  } else {
    writeFileSync(file, text);
    console.log(`${name}: written`);
  }
}
