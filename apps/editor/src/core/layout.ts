// Auto-layout with elkjs (layered, left to right). Returns positions; the caller decides whether they
// are saved in `layout` ("Tidy up") or only shown (a flow opened without positions).
import type { ELK as ElkApi } from 'elkjs/lib/elk-api';
import type { Graph, XY } from './mapping.ts';

// loaded on first use: elk is large and most openings don't need it
let elkP: Promise<ElkApi> | null = null;
const getElk = (): Promise<ElkApi> => (elkP ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default()));

export async function elkLayout(graph: Pick<Graph, 'nodes' | 'edges'>): Promise<Map<string, XY>> {
  const elk = await getElk();
  const nodes = graph.nodes.filter((n) => n.data.kind !== 'note'); // notes stay where they were put
  const res = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
    children: nodes.map((n) => ({ id: n.id, width: n.measured?.width ?? 230, height: n.measured?.height ?? 110 })),
    edges: graph.edges.filter((e) => e.source !== e.target).map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const out = new Map<string, XY>();
  for (const c of res.children ?? []) out.set(c.id, { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) });
  return out;
}
