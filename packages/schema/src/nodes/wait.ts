import { Type } from '@sinclair/typebox';
import { Duration, Logic } from '../primitives.ts';
import { defineNode, nodeSchema } from '../spec/index.ts';

export default defineNode({
  type: 'wait',
  schema: nodeSchema('wait', { for: Type.Optional(Duration), until: Type.Optional(Logic) }),
  label: 'Wait',
  help: 'Pause for a while or until a time',
  icon: '◴',
  color: '#64748b',
  ports: () => ['out'],
  defaultPort: 'out',
  cycleMayPass: true,
  check(node, c) {
    const hasFor = node.for !== undefined;
    if (hasFor === (node.until !== undefined)) {
      c.error(hasFor ? 'a wait node takes "for" or "until", not both' : 'a wait node needs "for" (a duration such as "3d") or "until" (JSON-Logic giving an ISO time)');
    }
    c.duration(node.for, 'for');
    c.logic(node.until, 'until');
  },
  summary: (n) => (n.for ? `wait ${n.for}` : 'wait until a time'),
  create: (id) => ({ id, type: 'wait' as const, for: '1d' }),
  docs: { fields: '`for: "3d"` or `until: <rule giving an ISO time>`', ports: '`out`' },
});
