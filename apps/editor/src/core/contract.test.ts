import { describe, expect, it } from 'vitest';
import { rowsToSchema, schemaToRows } from './contract.ts';

describe('payload contract table ⇄ JSON Schema', () => {
  const schema = {
    type: 'object',
    required: ['email'],
    properties: { email: { type: 'string', format: 'email' }, budget: { type: 'number', minimum: 0, maximum: 1000000 }, name: { type: 'string', minLength: 1, maxLength: 80 } },
    additionalProperties: true,
  };
  it('round-trips a flat object schema', () => {
    const rows = schemaToRows(schema)!;
    expect(rows).toEqual([
      { name: 'email', type: 'string', required: true, format: 'email', min: undefined, max: undefined },
      { name: 'budget', type: 'number', required: false, format: undefined, min: 0, max: 1000000 },
      { name: 'name', type: 'string', required: false, format: undefined, min: 1, max: 80 },
    ]);
    expect(rowsToSchema(rows, schema)).toEqual(schema);
  });
  it('leaves schemas the table cannot show to the raw tab', () => {
    expect(schemaToRows({ type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } } } })).toBeNull();
    expect(schemaToRows({ anyOf: [] })).toBeNull();
    expect(schemaToRows(undefined)).toEqual([]);
  });
});
