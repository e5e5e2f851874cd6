// Auto-layout with elkjs (layered, left to right). Returns positions; the caller decides whether they
// are saved in `layout` ("Tidy up") or only shown (a flow opened without positions). A long flow that
// one row would shrink below reading size at fit view is wrapped into rows (ELK's graph wrapping, aimed
// at the canvas's shape): it still reads left to right, each row continuing the one above.
import type { ELK as ElkApi, ElkNode } from 'elkjs/lib/elk-api';
import type { Graph, XY } from './mapping.ts';

// loaded on first use: elk is large and most openings don't need it
let elkP: Promise<ElkApi> | null = null;
const getElk = (): Promise<ElkApi> => (elkP ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default()));

/** Below this zoom at fit view a one-row layout is wrapped (13 px titles would render under ~10 px). */
export const WRAP_BELOW_ZOOM = 0.75;

export interface LayoutRoom {
  /** the canvas size on screen the layout is meant to fit */
  width: number;
  height: number;
}

const BASE = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.layered.spacing.nodeNodeBetweenLayers': '80',
  'elk.spacing.nodeNode': '40',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
};

/** The zoom at which `res` fits `room` (less a 32 px margin), or Infinity without a room. */
function fitZoom(res: ElkNode, room: LayoutRoom | undefined): number {
  if (!room) return Infinity;
  return Math.min((room.width - 64) / Math.max(1, res.width ?? 1), (room.height - 64) / Math.max(1, res.height ?? 1));
}

export async function elkLayout(graph: Pick<Graph, 'nodes' | 'edges'>, room?: LayoutRoom): Promise<Map<string, XY>> {
  const elk = await getElk();
  const nodes = graph.nodes.filter((n) => n.data.kind !== 'note'); // notes stay where they were put
  const input = (options: Record<string, string>): ElkNode => ({
    id: 'root',
    layoutOptions: { ...BASE, ...options },
    children: nodes.map((n) => ({ id: n.id, width: n.measured?.width ?? 230, height: n.measured?.height ?? 110 })),
    edges: graph.edges.filter((e) => e.source !== e.target).map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  let res = await elk.layout(input({}));
  if (room && fitZoom(res, room) < WRAP_BELOW_ZOOM) {
    // rows shaped like the canvas; closer layers too when that reads larger (the larger zoom wins)
    const wrap = { 'elk.layered.wrapping.strategy': 'MULTI_EDGE', 'elk.aspectRatio': String(room.width / room.height) };
    for (const options of [wrap, { ...wrap, 'elk.layered.spacing.nodeNodeBetweenLayers': '60' }]) {
      const wrapped = await elk.layout(input(options));
      if (fitZoom(wrapped, room) > fitZoom(res, room)) res = wrapped;
    }
  }
  const out = new Map<string, XY>();
  for (const c of res.children ?? []) out.set(c.id, { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) });
  return out;
}
