import { Type, type Static } from '@sinclair/typebox';
import { Logic } from '../primitives.ts';
import { defineNode, nodeSchema } from '../spec/index.ts';

export const ExitState = Type.Object({ entity: Type.String({ minLength: 1 }), key: Logic, state: Type.String({ minLength: 1 }) }, { additionalProperties: false });
export type ExitState = Static<typeof ExitState>;

export default defineNode({
  type: 'end',
  schema: nodeSchema('end', {
    exitState: Type.Optional(ExitState),
    output: Type.Optional(Logic),
  }),
  label: 'End',
  help: 'Finish, optionally setting a record state',
  icon: '■',
  color: '#475569',
  ports: () => [],
  cycleMayPass: false,
  check(node, c) {
    c.logic(node.output, 'output');
    const ex = node.exitState as Record<string, unknown> | undefined;
    if (!ex || typeof ex !== 'object') return;
    c.logic(ex.key, 'exitState', 'key');
    c.states?.both(ex, 'exitState');
  },
  summary: (n) => (n.exitState ? `${n.exitState.entity} → ${n.exitState.state}` : 'done'),
  create: (id) => ({ id, type: 'end' as const }),
  docs: { fields: '`exitState: {entity, key: <rule>, state}` (optional); `output: <rule>` (optional): inside a `foreach` body, the item\'s result', ports: '—' },
});
