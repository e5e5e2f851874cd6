// `npm run schema:build`: regenerates everything derived from the specs, in order —
//   1. src/actions/index.ts and src/apps/index.ts, the indexes of the action and app specs;
//   2. flow.schema.json and state-map.schema.json, from the TypeBox sources;
//   3. the generated tables of docs/dsl.md;
//   4. apps/runtime/src/actions/index.ts, the executor registry (the runtime's own generator).
// A test fails for each of them while the committed file differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { actionIndexText, ACTIONS_DIR } from './action-index.ts';
import { appIndexText, APPS_DIR } from './app-index.ts';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(packageDir, '../..');

function write(file: string, text: string): void {
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  const name = relative(repoRoot, file);
  if (current === text) {
    console.log(`${name}: up to date`);
  } else {
    writeFileSync(file, text);
    console.log(`${name}: written`);
  }
}

// the spec index first: what follows imports it
write(join(ACTIONS_DIR, 'index.ts'), actionIndexText());
write(join(APPS_DIR, 'index.ts'), appIndexText());

const { schemaFiles } = await import('../src/json-schema.ts');
for (const [name, text] of Object.entries(schemaFiles())) write(join(packageDir, name), text);

const { withGeneratedTables } = await import('../src/docs.ts');
const dslDoc = join(repoRoot, 'docs/dsl.md');
write(dslDoc, withGeneratedTables(readFileSync(dslDoc, 'utf8')));

const { executorIndexText, EXECUTORS_DIR } = await import('../../../apps/runtime/scripts/executor-index.ts');
write(join(EXECUTORS_DIR, 'index.ts'), executorIndexText());
