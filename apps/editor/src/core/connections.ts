// Connection validation: what React Flow's isValidConnection asks, with the reason when refused.
import { TRIGGER_ID, type Graph } from './mapping.ts';

export interface ConnectionLike {
  source: string | null;
  sourceHandle?: string | null;
  target: string | null;
  targetHandle?: string | null;
}
export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

const LOOP_OK = new Set(['wait', 'review']);

export function checkConnection(graph: Pick<Graph, 'nodes' | 'edges'>, c: ConnectionLike): ConnectionCheck {
  const { source, target } = c;
  if (!source || !target) return { ok: false, reason: 'Drop the connection on a node.' };
  if (target === TRIGGER_ID) return { ok: false, reason: 'Nothing can connect into the trigger: it is where the flow starts.' };
  const types = new Map(graph.nodes.map((n) => [n.id, n.type]));
  if (!types.has(source) || !types.has(target)) return { ok: false, reason: 'Unknown node.' };
  if (types.get(target) === 'trigger') return { ok: false, reason: 'Nothing can connect into the trigger: it is where the flow starts.' };
  const handle = c.sourceHandle ?? null;
  const taken = graph.edges.find((e) => e.source === source && (handle === null || e.sourceHandle === handle));
  if (taken) {
    return { ok: false, reason: `The “${taken.sourceHandle}” output of “${source}” is already connected (one connection per output; branches run one at a time).` };
  }
  // a new edge source→target closes a cycle when target reaches source
  const fwd = new Map<string, string[]>();
  const back = new Map<string, string[]>();
  for (const e of graph.edges) {
    (fwd.get(e.source) ?? fwd.set(e.source, []).get(e.source)!).push(e.target);
    (back.get(e.target) ?? back.set(e.target, []).get(e.target)!).push(e.source);
  }
  const reach = (start: string, adj: Map<string, string[]>): Set<string> => {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length) for (const n of adj.get(stack.pop()!) ?? []) if (!seen.has(n)) (seen.add(n), stack.push(n));
    return seen;
  };
  const fromTarget = reach(target, fwd);
  if (source === target || fromTarget.has(source)) {
    const toSource = reach(source, back);
    const onCycle = [...fromTarget].filter((n) => toSource.has(n));
    if (!onCycle.some((n) => LOOP_OK.has(types.get(n) ?? ''))) {
      return { ok: false, reason: 'This would make a loop. A loop must pass through a wait or review node, so it cannot spin.' };
    }
  }
  return { ok: true };
}
