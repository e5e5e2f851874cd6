import { describe, expect, it } from 'vitest';
import { compilePayloadSchema, PayloadSchemaError, payloadSchemaProblem } from './payload.ts';

const lead = {
  type: 'object',
  required: ['email'],
  properties: {
    email: { type: 'string', format: 'email' },
    budget: { type: 'number', minimum: 0 },
    items: { type: 'array', items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } }, additionalProperties: false } },
  },
};

describe('compilePayloadSchema', () => {
  it('answers [] for a valid payload', () => {
    expect(compilePayloadSchema(lead).validate({ email: 'ada@example.com', budget: 10 })).toEqual([]);
  });

  it('names every failing field with a JSON pointer (allErrors)', () => {
    const errors = compilePayloadSchema(lead).validate({ email: 'not-an-email', budget: -1, items: [{ sku: 1 }, { color: 'red' }] });
    expect(errors).toEqual([
      { path: '/email', message: 'must match format "email"' },
      { path: '/budget', message: 'must be >= 0' },
      { path: '/items/0/sku', message: 'must be string' },
      { path: '/items/1/sku', message: "must have required property 'sku'" },
      { path: '/items/1/color', message: 'unknown property "color" (must NOT have additional properties)' },
    ]);
  });

  it('points a missing required property at the property itself', () => {
    expect(compilePayloadSchema(lead).validate({})).toEqual([{ path: '/email', message: "must have required property 'email'" }]);
  });

  it('escapes property names in pointers', () => {
    const v = compilePayloadSchema({ required: ['a/b', 'c~d'] });
    expect(v.validate({}).map((e) => e.path)).toEqual(['/a~1b', '/c~0d']);
  });

  it('reports a payload that is not an object at the root', () => {
    expect(compilePayloadSchema(lead).validate('hello')).toEqual([{ path: '', message: 'must be object' }]);
  });

  it('does not count inherited names (toString, constructor) as present', () => {
    const v = compilePayloadSchema({ required: ['constructor', 'toString'] });
    expect(v.validate(JSON.parse('{}')).map((e) => e.path)).toEqual(['/constructor', '/toString']);
    expect(v.validate({ constructor: 1, toString: 'x' })).toEqual([]);
  });

  it('validates formats (ajv-formats)', () => {
    const v = compilePayloadSchema({ properties: { at: { format: 'date-time' }, id: { format: 'uuid' }, site: { format: 'uri' } } });
    expect(v.validate({ at: '2025-01-02T03:04:05Z', id: '6f1c7c1e-1d2a-4a53-9a1e-2d3c4b5a6f70', site: 'https://example.com' })).toEqual([]);
    expect(v.validate({ at: 'yesterday', id: 'x', site: 'not a uri' }).map((e) => e.path)).toEqual(['/at', '/id', '/site']);
  });

  it('compiles schemas AJV strict mode accepts by default: no `type`, required not in properties', () => {
    expect(() => compilePayloadSchema({ properties: { a: { minLength: 1 } } })).not.toThrow();
    expect(() => compilePayloadSchema({ type: 'object', required: ['x'] })).not.toThrow();
    expect(() => compilePayloadSchema({ items: [{ type: 'string' }] })).toThrow(PayloadSchemaError); // not 2020-12 (prefixItems)
  });

  it('accepts $anchor, a core 2020-12 keyword AJV resolves but does not declare', () => {
    const v = compilePayloadSchema({ $ref: '#item', $defs: { i: { $anchor: 'item', type: 'integer' } } });
    expect(v.validate(3)).toEqual([]);
    expect(v.validate('3')).toEqual([{ path: '', message: 'must be integer' }]);
  });

  it('throws PayloadSchemaError with AJV\'s reason when the schema does not compile', () => {
    let err: unknown;
    try {
      compilePayloadSchema({ type: 'object', requierd: ['email'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PayloadSchemaError);
    expect((err as PayloadSchemaError).reason).toBe('strict mode: unknown keyword: "requierd"');
    expect((err as Error).message).toBe('payload schema does not compile: strict mode: unknown keyword: "requierd"');
    expect(payloadSchemaProblem({ type: 'nope' })).toMatch(/^schema is invalid/);
    expect(payloadSchemaProblem({ format: 'no-such-format' })).toMatch(/unknown format "no-such-format"/);
    expect(payloadSchemaProblem({ $ref: 'https://example.com/elsewhere.json' })).toMatch(/can't resolve reference/);
    expect(payloadSchemaProblem('a string')).toBe('a JSON Schema must be an object or a boolean');
    expect(payloadSchemaProblem(null)).toBe('a JSON Schema must be an object or a boolean');
    expect(payloadSchemaProblem(lead)).toBeNull();
  });

  it('compiles boolean schemas', () => {
    expect(compilePayloadSchema(true).validate({ anything: 1 })).toEqual([]);
    expect(compilePayloadSchema(false).validate({})).toEqual([{ path: '', message: 'boolean schema is false' }]);
  });

  it('caches the validator on the schema object (each flow version compiles once)', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const first = compilePayloadSchema(schema);
    expect(compilePayloadSchema(schema)).toBe(first);
    expect(compilePayloadSchema(structuredClone(schema))).toBe(first); // same content: the editor's re-parses reuse it too
  });

  it('lets a new version of a schema reuse its $id with different content', () => {
    const v1 = compilePayloadSchema({ $id: 'https://example.com/lead.json', required: ['email'] });
    const v2 = compilePayloadSchema({ $id: 'https://example.com/lead.json', required: ['phone'] });
    expect(v1.validate({ email: 'a@b.co' })).toEqual([]);
    expect(v2.validate({ email: 'a@b.co' })).toEqual([{ path: '/phone', message: "must have required property 'phone'" }]);
    // a failed compile leaves nothing behind either
    expect(() => compilePayloadSchema({ $id: 'https://example.com/broken.json', typo: 1 })).toThrow(PayloadSchemaError);
    expect(() => compilePayloadSchema({ $id: 'https://example.com/broken.json', type: 'object' })).not.toThrow();
  });

  it('never lets a payload schema replace the JSON Schema meta-schema', () => {
    expect(() => compilePayloadSchema({ $id: 'https://json-schema.org/draft/2020-12/schema', type: 'object' })).toThrow(PayloadSchemaError);
    // the meta-schema is still there: a schema that refers to it compiles and validates schemas
    const v = compilePayloadSchema({ $ref: 'https://json-schema.org/draft/2020-12/schema' });
    expect(v.validate({ type: 'string' })).toEqual([]);
    expect(v.validate({ type: 12 }).length).toBeGreaterThan(0);
  });

  it('answers an error, never throws, when validation itself blows up', () => {
    // AJV overflows its stack on this $dynamicRef schema (JSON Schema Test Suite, unevaluatedProperties.json)
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.com/unevaluated-properties-with-dynamic-ref/derived',
      $ref: './baseSchema',
      $defs: {
        derived: { $dynamicAnchor: 'addons', properties: { bar: { type: 'string' } } },
        baseSchema: {
          $id: './baseSchema',
          $comment: "unevaluatedProperties comes first so it's more likely to catch bugs with implementations that are sensitive to keyword ordering",
          unevaluatedProperties: false,
          type: 'object',
          properties: { foo: { type: 'string' } },
          $dynamicRef: '#addons',
          $defs: { defaultAddons: { $comment: 'Needed to satisfy the bookending requirement', $dynamicAnchor: 'addons' } },
        },
      },
    };
    const { validate } = compilePayloadSchema(schema); // unbound, as the runtime keeps it
    const errors = validate({ foo: 'foo', bar: 'bar' });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('');
    expect(errors[0]!.message).toMatch(/^payload validation failed: Maximum call stack size exceeded/);
  });

  it('turns a stack overflow while compiling into PayloadSchemaError', () => {
    // AJV recurses without end on this one (JSON Schema Test Suite, ref.json "URN ref with nested pointer ref")
    const schema = {
      $ref: 'urn:uuid:deadbeef-4321-ffff-ffff-1234feebdaed',
      $defs: { foo: { $id: 'urn:uuid:deadbeef-4321-ffff-ffff-1234feebdaed', $defs: { bar: { type: 'string' } }, $ref: '#/$defs/bar' } },
    };
    expect(payloadSchemaProblem(schema)).toMatch(/Maximum call stack size exceeded/);
  });
});

describe('payload regexes run on RE2', () => {
  it('answers the catastrophic contract pattern of issue 12 at once', () => {
    const v = compilePayloadSchema({ properties: { code: { type: 'string', pattern: '^([a-z0-9]+)+$' } } });
    expect(v.validate({ code: 'a'.repeat(50_000) + '!' })).toEqual([{ path: '/code', message: 'must match pattern "^([a-z0-9]+)+$"' }]);
    expect(v.validate({ code: 'abc123' })).toEqual([]);
    const pp = compilePayloadSchema({ patternProperties: { '^(x+x+)+y$': { type: 'number' } } });
    expect(pp.validate({ ['x'.repeat(30_000)]: 'not checked: the name does not match' })).toEqual([]);
    expect(pp.validate({ xxy: 'a' }).map((e) => e.path)).toEqual(['/xxy']);
  });

  it('keeps patterns apart although AJV caches compiled patterns by their text', () => {
    const a = compilePayloadSchema({ properties: { a: { pattern: '^a+$' }, b: { pattern: '^b+$' } } });
    expect(a.validate({ a: 'aaa', b: 'bbb' })).toEqual([]);
    expect(a.validate({ a: 'bbb', b: 'aaa' }).map((e) => e.path)).toEqual(['/a', '/b']);
  });

  it('refuses a pattern RE2 cannot run, naming its path; `skip` compiles it unchecked and lists it', () => {
    const schema = { properties: { user: { pattern: '^(?!admin$)[a-z]+$' } }, patternProperties: { '^(a)\\1$': {} } };
    expect(payloadSchemaProblem(schema)).toMatch(/^\/properties\/user\/pattern: pattern "\^\(\?!admin\$\)\[a-z\]\+\$" cannot run in linear time: the lookahead/);
    expect(payloadSchemaProblem(schema)).toMatch(/\/patternProperties\/\^\(a\)\\1\$: .*backreference/);
    const v = compilePayloadSchema(schema, { unsupportedPatterns: 'skip' });
    expect(v.skippedPatterns.map((p) => p.path)).toEqual(['/properties/user/pattern', '/patternProperties/^(a)\\1$']);
    expect(v.validate({ user: 'admin' })).toEqual([]); // not checked, and never a crash
    // the strict form is refused from the cache too
    expect(() => compilePayloadSchema(schema)).toThrow(PayloadSchemaError);
  });

  it('still refuses an invalid pattern', () => {
    expect(payloadSchemaProblem({ pattern: '(' })).toMatch(/Invalid regular expression/);
    expect(() => compilePayloadSchema({ pattern: '(' }, { unsupportedPatterns: 'skip' })).toThrow(PayloadSchemaError);
  });
});
