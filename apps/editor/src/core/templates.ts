// What a new flow looks like ("New flow"). New nodes come from their specs (core/look.ts newNode).
import type { Flow } from '@flowdesk/schema';

export { newNode } from './look.ts';

export function newFlow(id: string, name: string): Flow {
  return {
    dsl: 1,
    id,
    name,
    trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
    nodes: [],
    edges: [],
    layout: { trigger: { x: 0, y: 0 } },
    samples: [{ name: 'example', payload: {} }],
  };
}
