import { Type } from '@sinclair/typebox';
import { defineNode, nodeSchema, portNames } from '../spec/index.ts';

export default defineNode({
  type: 'review',
  schema: nodeSchema('review', {
    queue: Type.String({ minLength: 1 }),
    decisions: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    title: Type.Optional(Type.String()),
  }),
  label: 'Review',
  help: 'Ask a human to decide',
  icon: '◉',
  color: '#db2777',
  ports: (n) => portNames(n.decisions ?? []),
  cycleMayPass: true,
  portsKnown: (n) => Array.isArray(n.decisions) && n.decisions.every((x) => typeof x === 'string'),
  missingPort: (n, port) => ({ path: ['decisions', n.decisions.indexOf(port)], message: `decision "${port}" is not wired` }),
  summary: (n) => `queue “${n.queue}”`,
  create: (id) => ({ id, type: 'review' as const, queue: 'inbox', decisions: ['approved', 'rejected'], sop: ['Check the details'] }),
  docs: { fields: '`queue`, `decisions: ["approved","rejected"]`, `title`, `sop`', ports: 'one per decision' },
});
