// The runtime's bundle carries the flow and state-map schema checks precompiled (Ajv standalone code,
// scripts/schema-checks-standalone.mjs) instead of compiling them at start. The precompiled checks must
// answer exactly as the ones compiled from the TypeBox sources: same verdict, same errors.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowJsonSchema } from '../../packages/schema/src/json-schema.ts';
import { schemaCheck } from '../../packages/schema/src/schema-checks.ts';
import { StateMapSchema } from '../../packages/schema/src/state-map.ts';
import { REPO } from '../support/runtime.ts';
import { schemaChecksModuleSource } from '../../scripts/schema-checks-standalone.mjs';

type Precompiled = (name: 'flow' | 'state-map') => ValidateFunction;
let dir: string;
let precompiled: Precompiled;

beforeAll(async () => {
  // inside the repo, so the generated code's require('ajv/dist/runtime/…') resolves as in the bundle
  dir = mkdtempSync(join(REPO, 'packages/schema/.schema-checks-'));
  const file = join(dir, 'checks.mjs');
  const source = schemaChecksModuleSource(REPO);
  writeFileSync(file, `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n${source}`);
  precompiled = ((await import(file)) as { schemaCheck: Precompiled }).schemaCheck;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const blueprints = readdirSync(join(REPO, 'flows'))
  .filter((f) => f.endsWith('.json') && f !== 'state-map.json')
  .map((f) => JSON.parse(readFileSync(join(REPO, 'flows', f), 'utf8')) as Record<string, unknown>);

/** Broken variants of a valid flow: each breaks the schema in a different place. */
function broken(flow: Record<string, unknown>): unknown[] {
  const nodes = flow.nodes as Record<string, unknown>[];
  return [
    { ...flow, id: undefined },
    { ...flow, dsl: 2 },
    { ...flow, extra: true },
    { ...flow, nodes: [...nodes, { id: 'x', type: 'no-such-type' }] },
    { ...flow, nodes: nodes.map((n, i) => (i === 0 ? { ...n, id: 42 } : n)) },
    { ...flow, nodes: nodes.map((n) => (n.type === 'action' ? { ...n, retry: { maxAttempts: 'many' } } : n)) },
    { ...flow, trigger: { type: 'webhook' } },
    { ...flow, edges: [{ from: 'trigger' }] },
    'not a flow',
    null,
  ];
}

describe('precompiled schema checks in the runtime bundle', () => {
  it('give the verdict and the errors of the compiled flow schema, on every blueprint and broken variants of it', () => {
    const compiled = schemaCheck('flow', flowJsonSchema);
    const fast = precompiled('flow');
    let invalid = 0;
    for (const flow of blueprints) {
      for (const doc of [flow, ...broken(flow)]) {
        const a = compiled(doc);
        const b = fast(doc);
        expect(b).toBe(a);
        expect(fast.errors ?? null).toEqual(compiled.errors ?? null);
        if (!a) invalid++;
      }
    }
    expect(blueprints.length).toBeGreaterThan(3);
    expect(invalid).toBe(blueprints.length * broken(blueprints[0]!).length); // every broken variant is refused
  });

  it('give the verdict and the errors of the compiled state-map schema', () => {
    const stateMap = JSON.parse(readFileSync(join(REPO, 'flows/state-map.json'), 'utf8')) as Record<string, unknown>;
    const compiled = schemaCheck('state-map', StateMapSchema);
    const fast = precompiled('state-map');
    for (const doc of [stateMap, { ...stateMap, entities: 3 }, { ...stateMap, extra: 1 }, {}]) {
      expect(fast(doc)).toBe(compiled(doc));
      expect(fast.errors ?? null).toEqual(compiled.errors ?? null);
    }
    expect(fast(stateMap)).toBe(true);
    expect(fast({ ...stateMap, entities: 3 })).toBe(false);
  });
});
