import { Type } from '@sinclair/typebox';
import { Logic } from '../primitives.ts';
import { defineNode, nodeSchema, short } from '../spec/index.ts';
import { loopBody } from '../loop-body.ts';

/** Node types a loop body may hold: steps that finish within the item (no timers, people or loops). */
export const BODY_NODE_TYPES = ['compute', 'set', 'code', 'route', 'qa', 'action', 'end'] as const;
export const DEFAULT_MAX_ITEMS = 1000;

export default defineNode({
  type: 'foreach',
  schema: nodeSchema('foreach', {
    items: Logic,
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'items in flight at once (default 1)' })),
    maxItems: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: `more items fail the step (default ${DEFAULT_MAX_ITEMS})` })),
    onItemError: Type.Optional(Type.Union([Type.Literal('stop'), Type.Literal('continue')], { description: 'stop (default): the run dies at the first failed item; continue: failed indexes are collected' })),
  }),
  label: 'For each',
  help: 'Run the body once per item',
  icon: '↻',
  color: '#0d9488',
  ports: () => ['item', 'done'],
  cycleMayPass: false,
  check(node, c) {
    c.logic(node.items, 'items');
    const id = typeof node.id === 'string' ? node.id : undefined;
    if (!id) return;
    const body = loopBody(c.flow, id);
    for (const n of body.nodes) {
      const type = typeof n.node.type === 'string' ? n.node.type : '';
      if (!(BODY_NODE_TYPES as readonly string[]).includes(type)) c.error(`a ${type || 'untyped'} node ("${String(n.node.id)}") cannot be inside the loop body of "${id}" (allowed: ${BODY_NODE_TYPES.join(', ')})`, 'items');
      else if (type === 'end' && n.node.exitState !== undefined) c.error(`the end node "${String(n.node.id)}" inside the loop body of "${id}" cannot set an exitState`, 'items');
    }
    for (const shared of body.shared) c.error(`node "${shared}" is both inside the loop body of "${id}" and on a path outside it`, 'items');
    if (body.reachesSelf) c.error(`the loop body of "${id}" leads back to "${id}"`, 'items');
  },
  summary: (n) => short(`for each ${JSON.stringify(n.items ?? null)}${(n.concurrency ?? 1) > 1 ? ` ×${n.concurrency}` : ''}`, 44),
  create: (id) => ({ id, type: 'foreach' as const, items: { var: 'payload.items' } }),
  docs: {
    fields:
      '`items: <rule giving a list>`, `concurrency` (default 1), `maxItems` (default 1000; more fail the step), `onItemError: "stop" | "continue"`. The body (from `item`) ends at `end` nodes inside it (their `output` rule is the item\'s result, else the last step\'s output); inside it the context gains `item` and `index`, `steps` holds that item\'s steps, and an action sends `Idempotency-Key: <runId>:<actionId>:<index>`. Results in order in `steps.<id>.output.items`, failed indexes in `…failed`',
    ports: '`item` (the body, once per item), `done` (after the last item)',
  },
});
