// What a node's fields can read: the variable picker's list for `{{ }}` fields, rules and code. Fed by
// the trigger's contract, the sample payloads, and the steps upstream of the node (their vars and
// outputs); inside a loop body, `item` (and the fields the items are seen to have) and `index`.
// React-free.
import type { Flow, FlowNode } from '@flowdesk/schema';

export interface Variable {
  /** the path as rules and placeholders write it: payload.email, steps.fetch.output.body */
  path: string;
  /** where it comes from, shown beside it */
  from: string;
}

const MAX_DEPTH = 3;

/** Paths into a sample value (objects only; arrays as .0), a few levels deep. */
function pathsOf(value: unknown, prefix: string, depth = 0, out: string[] = []): string[] {
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return out;
  const entries = Array.isArray(value) ? (value.length ? [['0', value[0]] as const] : []) : Object.entries(value);
  for (const [k, v] of entries) {
    const p = `${prefix}.${k}`;
    out.push(p);
    pathsOf(v, p, depth + 1, out);
  }
  return out;
}

/** Paths a JSON Schema declares (properties, nested objects, array items as .0). */
function schemaPaths(schema: unknown, prefix: string, depth = 0, out: string[] = []): string[] {
  if (depth >= MAX_DEPTH || !schema || typeof schema !== 'object') return out;
  const s = schema as { properties?: Record<string, unknown>; items?: unknown };
  for (const [k, sub] of Object.entries(s.properties ?? {})) {
    out.push(`${prefix}.${k}`);
    schemaPaths(sub, `${prefix}.${k}`, depth + 1, out);
  }
  if (s.items) schemaPaths(s.items, `${prefix}.0`, depth + 1, out);
  return out;
}

/** The nodes a run passes before reaching `nodeId`, nearest first, and whether `nodeId` sits in a loop body (the foreach's id). */
export function upstreamOf(flow: Flow, nodeId: string): { nodes: FlowNode[]; loop?: FlowNode } {
  const seen = new Set<string>([nodeId]);
  const order: FlowNode[] = [];
  let loop: FlowNode | undefined;
  const queue = [nodeId];
  while (queue.length) {
    const at = queue.shift()!;
    for (const e of flow.edges) {
      if (e.to !== at || seen.has(e.from)) continue;
      seen.add(e.from);
      const n = flow.nodes.find((x) => x.id === e.from);
      if (!n) continue;
      if (n.type === 'foreach' && e.port === 'item' && !loop) loop = n;
      order.push(n);
      queue.push(n.id);
    }
  }
  return { nodes: order, ...(loop ? { loop } : {}) };
}

/** What the fields of `nodeId` can read (the trigger's fields when no node is given), without duplicates. */
export function variablesFor(flow: Flow, nodeId?: string): Variable[] {
  const out = new Map<string, string>();
  const add = (path: string, from: string) => {
    if (!out.has(path)) out.set(path, from);
  };
  const trigger = flow.trigger as { payloadSchema?: unknown };
  for (const p of schemaPaths(trigger.payloadSchema, 'payload')) add(p, 'contract');
  for (const s of flow.samples ?? []) for (const p of pathsOf(s.payload, 'payload')) add(p, `sample “${s.name}”`);
  if (flow.record) add('record.state', 'record');
  if (!nodeId) return [...out].map(([path, from]) => ({ path, from }));
  const { nodes, loop } = upstreamOf(flow, nodeId);
  if (loop) {
    add('item', `${loop.id} (each item)`);
    add('index', `${loop.id} (item number)`);
    // the items' fields, as the samples show them
    const items = loop.type === 'foreach' ? (loop.items as { var?: unknown } | null) : null;
    const path = typeof items?.var === 'string' ? items.var : undefined;
    if (path?.startsWith('payload.')) {
      for (const s of flow.samples ?? []) {
        const list = path.split('.').slice(1).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), s.payload);
        if (Array.isArray(list) && list.length) for (const p of pathsOf(list[0], 'item')) add(p, `${loop.id} (each item)`);
      }
      for (const p of schemaPaths(trigger.payloadSchema, 'payload')) if (p.startsWith(`${path}.0.`)) add(`item${p.slice(path.length + 2)}`, `${loop.id} (each item)`);
    }
  }
  for (const n of nodes) {
    if (n.type === 'compute') for (const k of Object.keys(n.set ?? {})) add(`vars.${k}`, n.id);
    // the loop a body sits in has no results yet
    if (n.type === 'foreach' && n !== loop) add(`steps.${n.id}.output.items`, `${n.id} (results)`);
    else if (n.type === 'action' || n.type === 'code' || n.type === 'set') add(`steps.${n.id}.output`, n.id);
    if (n.type === 'action' && n.action === 'http.request') {
      add(`steps.${n.id}.output.status`, n.id);
      add(`steps.${n.id}.output.body`, n.id);
    }
    if (n.type === 'review') add(`steps.${n.id}.output.decision`, n.id);
  }
  return [...out].map(([path, from]) => ({ path, from }));
}
