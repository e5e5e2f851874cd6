import { Type } from '@sinclair/typebox';
import { Logic } from '../primitives.ts';
import { defineNode, nodeSchema } from '../spec/index.ts';

export default defineNode({
  type: 'compute',
  schema: nodeSchema('compute', { set: Type.Record(Type.String(), Logic) }),
  label: 'Compute',
  help: 'Work out values (vars)',
  icon: 'ƒ',
  color: '#0891b2',
  ports: () => ['out'],
  defaultPort: 'out',
  cycleMayPass: false,
  check(node, c) {
    if (node.set && typeof node.set === 'object') for (const [k, v] of Object.entries(node.set)) c.logic(v, 'set', k);
  },
  summary: (n) => `set ${Object.keys(n.set ?? {}).join(', ') || '—'}`,
  create: (id) => ({ id, type: 'compute' as const, set: { score: 0 } }),
  docs: { fields: '`set: {name: rule}` — evaluated in order into `vars` (later keys see earlier ones)', ports: '`out`' },
});
