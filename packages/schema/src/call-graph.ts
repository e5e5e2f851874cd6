// flow.call between flows: deploy refuses a flow whose calls close a cycle (a flow calling itself,
// directly or through others) or make a chain of calls deeper than MAX_CALL_DEPTH. Only literal
// flowIds are followed (a {{placeholder}} target is checked when it runs: an unknown flow fails the step).
import type { Flow } from './dsl.ts';

export const MAX_CALL_DEPTH = 5;

/** Each flow.call in the flow: the node, its index and the literal flow it calls. */
export function flowCalls(flow: Flow): { nodeId: string; index: number; target: string }[] {
  const out: { nodeId: string; index: number; target: string }[] = [];
  flow.nodes.forEach((n, index) => {
    if (n.type !== 'action' || n.action !== 'flow.call') return;
    const target = (n.params ?? {}).flowId;
    if (typeof target === 'string' && !target.includes('{{')) out.push({ nodeId: n.id, index, target });
  });
  return out;
}

/** The call-graph errors `flow` would bring, deployed beside `others` (the active flows, by id). */
export function callGraphErrors(flow: Flow, others: ReadonlyMap<string, Flow>): { path: string; message: string; nodeId: string }[] {
  const calls = (id: string): string[] => {
    const f = id === flow.id ? flow : others.get(id);
    return f ? flowCalls(f).map((c) => c.target) : [];
  };
  const errors: { path: string; message: string; nodeId: string }[] = [];
  // longest chain of calls below a flow; a cycle is reported once, by its path
  const below = (id: string, path: string[]): number | string[] => {
    if (path.includes(id)) return [...path.slice(path.indexOf(id)), id];
    let deepest = 0;
    for (const t of calls(id)) {
      const d = below(t, [...path, id]);
      if (Array.isArray(d)) return d;
      deepest = Math.max(deepest, d + 1);
    }
    return deepest;
  };
  // longest chain of callers above this flow
  const above = (id: string, seen: Set<string>): number => {
    let deepest = 0;
    for (const [otherId, f] of others) {
      if (otherId === flow.id || seen.has(otherId)) continue;
      if (flowCalls(f).some((c) => c.target === id)) deepest = Math.max(deepest, 1 + above(otherId, new Set([...seen, otherId])));
    }
    return deepest;
  };
  for (const c of flowCalls(flow)) {
    const d = below(c.target, [flow.id]);
    const at = { path: `/nodes/${c.index}/params/flowId`, nodeId: c.nodeId };
    if (Array.isArray(d)) {
      errors.push({ ...at, message: `flow.call cycle: ${d.map((x) => `"${x}"`).join(' → ')}` });
      continue;
    }
    const depth = above(flow.id, new Set([flow.id])) + 1 + d;
    if (depth > MAX_CALL_DEPTH) errors.push({ ...at, message: `flow.call chain ${depth} deep through "${flow.id}" → "${c.target}" (at most ${MAX_CALL_DEPTH})` });
  }
  return errors;
}
