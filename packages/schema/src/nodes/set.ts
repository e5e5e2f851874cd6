import { Type } from '@sinclair/typebox';
import { defineNode, nodeSchema, short } from '../spec/index.ts';
import { jsonataSyntaxError } from '../sandbox/parse.ts';

export default defineNode({
  type: 'set',
  schema: nodeSchema('set', {
    fields: Type.Optional(
      Type.Record(Type.String({ minLength: 1, pattern: '^[^.]+(\\.[^.]+)*$' }), Type.Unknown(), {
        description: 'field path (a.b.c) → value: JSON whose strings may hold {{placeholders}}, or {"$logic": rule}',
      }),
    ),
    jsonata: Type.Optional(Type.String({ minLength: 1, maxLength: 65_536, description: 'a JSONata expression over {payload, vars, steps, record, item?, index?}' })),
  }),
  label: 'Set',
  help: 'Build an object field by field, or with JSONata',
  icon: '≔',
  color: '#0f766e',
  ports: () => ['out', 'error'],
  requiredPorts: () => ['out'],
  defaultPort: 'out',
  cycleMayPass: false,
  check(node, c) {
    const hasFields = node.fields !== undefined;
    if (hasFields === (node.jsonata !== undefined)) {
      c.error(hasFields ? 'a set node takes "fields" or "jsonata", not both' : 'a set node needs "fields" (field → value) or "jsonata" (an expression)');
    }
    if (node.fields && typeof node.fields === 'object') c.paramsLogic(node.fields, 'fields');
    if (typeof node.jsonata === 'string') {
      const err = jsonataSyntaxError(node.jsonata);
      if (err) c.error(`the JSONata expression does not parse: ${err}`, 'jsonata');
    }
  },
  summary: (n) => (n.jsonata !== undefined ? short(`jsonata ${n.jsonata}`, 40) : `set ${Object.keys(n.fields ?? {}).join(', ') || '—'}`),
  create: (id) => ({ id, type: 'set' as const, fields: { email: '{{payload.email}}' } }),
  docs: {
    fields:
      '`fields: {"a.b": value}` (values as in action params: `{{placeholders}}`, `{"$logic": rule}`) or `jsonata: "<expression>"` (run in the same sandbox as `code`, over `{payload, vars, steps, record, item?, index?}`); the result is `steps.<id>.output`',
    ports: '`out`, optional `error` (JSONata errors and overruns)',
  },
});
