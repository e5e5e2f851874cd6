// Fresh ids for new, pasted and duplicated nodes.
import type { FlowNode } from '@flowdesk/schema';
import { edgeId, TRIGGER_ID, type Graph, type GraphEdge, type GraphNode, type XY } from './mapping.ts';

const ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function slug(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 48);
  return ID_RE.test(out) ? out : 'node';
}

/** `base`, or `base-2`, `base-3`, … whichever is not taken. */
export function freshId(base: string, taken: Set<string>): string {
  const b = slug(base.replace(/-\d+$/, '')) || 'node';
  if (!taken.has(b) && b !== TRIGGER_ID) return b;
  let i = 2;
  while (taken.has(`${b}-${i}`)) i++;
  return `${b}-${i}`;
}

export interface Clipboard {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** Paste copies with fresh ids; edges between copied nodes follow, others are dropped. */
export function pasteInto(graph: Graph, clip: Clipboard, offset: XY = { x: 40, y: 40 }): { graph: Graph; newIds: string[] } {
  const taken = new Set(graph.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  const nodes: GraphNode[] = [];
  for (const n of clip.nodes) {
    if (n.data.kind !== 'step') continue;
    const id = freshId(n.id, taken);
    taken.add(id);
    rename.set(n.id, id);
    const node = { ...structuredClone(n.data.node), id } as FlowNode;
    nodes.push({ id, type: n.type, position: { x: n.position.x + offset.x, y: n.position.y + offset.y }, data: { kind: 'step', node, placed: true }, selected: true });
  }
  const takenEdges = new Set(graph.edges.map((e) => e.id));
  const edges: GraphEdge[] = [];
  for (const e of clip.edges) {
    const s = rename.get(e.source);
    const t = rename.get(e.target);
    if (!s || !t) continue;
    const id = edgeId(s, e.data.port, t, takenEdges);
    takenEdges.add(id);
    edges.push({ ...e, id, source: s, target: t, selected: false });
  }
  return {
    graph: { ...graph, nodes: [...graph.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...nodes], edges: [...graph.edges, ...edges] },
    newIds: nodes.map((n) => n.id),
  };
}
