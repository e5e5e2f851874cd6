import { Type } from '@sinclair/typebox';
import { Duration } from '../primitives.ts';
import { defineNode, nodeSchema, portNames } from '../spec/index.ts';

export default defineNode({
  type: 'review',
  schema: nodeSchema('review', {
    queue: Type.String({ minLength: 1 }),
    decisions: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    title: Type.Optional(Type.String({ description: 'what the founder sees; may hold {{payload.x}} placeholders (who the item is about)' })),
    timeout: Type.Optional(
      Type.Object(
        { after: Duration, decision: Type.String({ minLength: 1, description: 'one of the decisions, taken when nobody decides in time' }) },
        { additionalProperties: false, description: 'decide by default when nobody has decided after a while' },
      ),
    ),
  }),
  label: 'Review',
  help: 'Ask a human to decide',
  icon: '◉',
  color: '#db2777',
  ports: (n) => portNames(n.decisions ?? []),
  cycleMayPass: true,
  check(node, c) {
    const t = node.timeout as { after?: unknown; decision?: unknown } | undefined;
    if (!t || typeof t !== 'object') return;
    c.duration(t.after, 'timeout', 'after');
    const decisions = node.decisions;
    if (Array.isArray(decisions) && typeof t.decision === 'string' && !decisions.includes(t.decision)) {
      c.error(`timeout decision "${t.decision}" is not one of the decisions (${decisions.map((d) => `"${String(d)}"`).join(', ')})`, 'timeout', 'decision');
    }
  },
  portsKnown: (n) => Array.isArray(n.decisions) && n.decisions.every((x) => typeof x === 'string'),
  missingPort: (n, port) => ({ path: ['decisions', n.decisions.indexOf(port)], message: `decision "${port}" is not wired` }),
  summary: (n) => `queue “${n.queue}”`,
  create: (id) => ({ id, type: 'review' as const, queue: 'inbox', decisions: ['approved', 'rejected'], sop: ['Check the details'] }),
  docs: { fields: '`queue`, `decisions: ["approved","rejected"]`, `title` (placeholders allowed), `sop`, `timeout: {after: "2d", decision: "rejected"}`', ports: 'one per decision' },
});
