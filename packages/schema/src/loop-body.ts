// A foreach node's loop body, from the flow graph: the nodes reachable from its `item` port. Shared by
// deploy validation (what a body may hold) and the engine (the body's steps are the item's).

type Obj = Record<string, unknown>;

export interface LoopBody {
  /** the body's nodes, in reach order */
  nodes: { node: Obj }[];
  /** body nodes also reachable from outside the body (the trigger or the foreach's `done` path) */
  shared: string[];
  /** whether the body leads back to its own foreach */
  reachesSelf: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function loopBody(flow: Obj, foreachId: string): LoopBody {
  const nodes = (Array.isArray(flow.nodes) ? flow.nodes : []).filter((n): n is Obj => !!n && typeof n === 'object');
  const edges = (Array.isArray(flow.edges) ? flow.edges : []).filter((e): e is Obj => !!e && typeof e === 'object');
  const byId = new Map(nodes.map((n) => [str(n.id) ?? '', n]));
  const out = (from: string, port?: string) => edges.filter((e) => str(e.from) === from && (port === undefined || str(e.port) === port)).map((e) => str(e.to) ?? '');
  const walk = (starts: string[], stopAt: Set<string>) => {
    const seen = new Set<string>();
    const queue = [...starts];
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id) || stopAt.has(id) || !byId.has(id)) continue;
      seen.add(id);
      queue.push(...out(id));
    }
    return seen;
  };
  const self = new Set([foreachId]);
  const body = walk(out(foreachId, 'item'), self);
  const reachesSelf = [...body].some((id) => out(id).includes(foreachId));
  // from the trigger, not entering the body through the foreach's item port
  const outside = new Set<string>();
  const queue = [...out('trigger')];
  while (queue.length) {
    const id = queue.shift()!;
    if (outside.has(id) || !byId.has(id)) continue;
    outside.add(id);
    queue.push(...(id === foreachId ? edges.filter((e) => str(e.from) === id && str(e.port) !== 'item').map((e) => str(e.to) ?? '') : out(id)));
  }
  return { nodes: [...body].map((id) => ({ node: byId.get(id)! })), shared: [...body].filter((id) => outside.has(id)), reachesSelf };
}
