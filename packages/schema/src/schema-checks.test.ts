import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it, vi } from 'vitest';
import { leadQualificationFlow as leadFlow } from './fixtures.ts';
import { flowJsonSchema } from './json-schema.ts';
import { schemaCheck } from './schema-checks.ts';
import { validateFlow } from './validate.ts';

describe('schemaCheck', () => {
  it('compiles each schema once: the editor validates on every change without recompiling', () => {
    const first = schemaCheck('flow', flowJsonSchema);
    const compile = vi.spyOn(Ajv2020.prototype, 'compile');
    for (let i = 0; i < 50; i++) validateFlow(structuredClone(leadFlow()));
    expect(schemaCheck('flow', flowJsonSchema)).toBe(first);
    expect(compile.mock.calls.filter(([schema]) => (schema as { $id?: string }).$id === flowJsonSchema.$id)).toHaveLength(0);
    compile.mockRestore();
  });

  it('answers as the schema says: a blueprint passes, a broken one fails with the errors', () => {
    const check = schemaCheck('flow', flowJsonSchema);
    expect(check(leadFlow())).toBe(true);
    expect(check({ ...leadFlow(), dsl: 2 })).toBe(false);
    expect(check.errors?.some((e) => e.instancePath === '/dsl')).toBe(true);
  });
});
