// DSL ⇄ React Flow mapping. Framework-free: plain objects shaped like React Flow's nodes and edges,
// so the React layer can hand them to <ReactFlow> as they are. flowToGraph/graphToFlow round-trip
// every flow deep-equal (layout included: only nodes that had a position get one back).
import type { Edge as DslEdge, Flow, FlowNode, Trigger } from '@flowdesk/schema';
import { defaultPortOf, outputPorts, portIsImplicit } from '@flowdesk/schema/ports';

export const TRIGGER_ID = 'trigger';
export const TARGET_HANDLE = 'in';

export interface XY {
  x: number;
  y: number;
}
export interface TriggerData {
  kind: 'trigger';
  trigger: Trigger;
  /** the position came from `layout` or from the user; only placed nodes are written to `layout` */
  placed: boolean;
  [k: string]: unknown;
}
export interface StepData {
  kind: 'step';
  node: FlowNode;
  placed: boolean;
  [k: string]: unknown;
}
/** A sticky note on the canvas: kept in `layout` under "note:<n>" as {x, y, note}; never run. */
export interface NoteData {
  kind: 'note';
  text: string;
  placed: true;
  [k: string]: unknown;
}
export type GraphNodeData = TriggerData | StepData | NoteData;
export const NOTE_PREFIX = 'note:';
export interface GraphNode {
  id: string;
  type: string; // 'trigger' or the DSL node type
  position: XY;
  data: GraphNodeData;
  selected?: boolean;
  width?: number;
  height?: number;
  measured?: { width?: number; height?: number };
  dragging?: boolean;
  [k: string]: unknown;
}
export interface GraphEdgeData {
  /** the DSL edge's port, as written (undefined when the DSL edge has none) */
  port?: string;
  [k: string]: unknown;
}
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle: string;
  targetHandle: string;
  data: GraphEdgeData;
  selected?: boolean;
  [k: string]: unknown;
}
/** Everything of the flow document that is not drawn: name, samples, severity, … */
export type FlowMeta = Omit<Flow, 'trigger' | 'nodes' | 'edges' | 'layout'>;
export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  meta: FlowMeta;
  /** whether the document has a `layout` key */
  hasLayout: boolean;
  /** layout entries for ids that are not nodes of the graph (kept as they were) */
  extraLayout: Record<string, XY>;
}

/** Output ports of a DSL node (the schema's own rule) or of the trigger (`out`). */
export function portsOf(data: GraphNodeData): string[] {
  return data.kind === 'trigger' ? ['out'] : data.kind === 'note' ? [] : outputPorts(data.node);
}

/** The handle an edge without `port` is drawn from: the schema's default port (ports.ts), else the node's first port. */
export function defaultPort(data: GraphNodeData | undefined): string {
  if (!data || data.kind === 'trigger' || data.kind === 'note') return 'out';
  return defaultPortOf(data.node) ?? portsOf(data)[0] ?? 'out';
}

/** Nodes whose edges are written without `port` (the trigger, and nodes whose only output is their default port). */
export function implicitPort(data: GraphNodeData | undefined): boolean {
  if (!data || data.kind === 'trigger' || data.kind === 'note') return true;
  return portIsImplicit(data.node);
}

export function edgeId(from: string, port: string | undefined, to: string, taken?: Set<string>): string {
  const base = `${from}:${port ?? ''}->${to}`;
  if (!taken || !taken.has(base)) return base;
  let i = 2;
  while (taken.has(`${base}#${i}`)) i++;
  return `${base}#${i}`;
}

/** A quick layered placement (used until elk has run, and in tests). */
export function gridPositions(flow: Pick<Flow, 'nodes' | 'edges'>): Record<string, XY> {
  const rank = new Map<string, number>([[TRIGGER_ID, 0]]);
  const out = new Map<string, string[]>();
  for (const e of flow.edges ?? []) {
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e.to);
  }
  const queue = [TRIGGER_ID];
  while (queue.length) {
    const id = queue.shift()!;
    for (const to of out.get(id) ?? []) {
      if (!rank.has(to)) {
        rank.set(to, rank.get(id)! + 1);
        queue.push(to);
      }
    }
  }
  let maxRank = 0;
  for (const r of rank.values()) maxRank = Math.max(maxRank, r);
  for (const n of flow.nodes ?? []) if (!rank.has(n.id)) rank.set(n.id, ++maxRank);
  const perRank = new Map<number, number>();
  const pos: Record<string, XY> = {};
  for (const id of [TRIGGER_ID, ...(flow.nodes ?? []).map((n) => n.id)]) {
    const r = rank.get(id) ?? 0;
    const i = perRank.get(r) ?? 0;
    perRank.set(r, i + 1);
    pos[id] = { x: r * 280, y: i * 140 };
  }
  return pos;
}

export function flowToGraph(flow: Flow): Graph {
  const { trigger, nodes, edges, layout, ...meta } = flow;
  const fallback = gridPositions(flow);
  const ids = new Set<string>([TRIGGER_ID, ...(nodes ?? []).map((n) => n.id)]);
  const place = (id: string): { position: XY; placed: boolean } => {
    const p = layout?.[id];
    return p ? { position: { x: p.x, y: p.y }, placed: true } : { position: fallback[id] ?? { x: 0, y: 0 }, placed: false };
  };
  const t = place(TRIGGER_ID);
  const gNodes: GraphNode[] = [
    { id: TRIGGER_ID, type: 'trigger', position: t.position, data: { kind: 'trigger', trigger, placed: t.placed }, deletable: false },
    ...(nodes ?? []).map((node): GraphNode => {
      const p = place(node.id);
      return { id: node.id, type: node.type, position: p.position, data: { kind: 'step', node, placed: p.placed } };
    }),
  ];
  const byId = new Map(gNodes.map((n) => [n.id, n]));
  const taken = new Set<string>();
  const gEdges: GraphEdge[] = (edges ?? []).map((e) => {
    const id = edgeId(e.from, e.port, e.to, taken);
    taken.add(id);
    const data: GraphEdgeData = {};
    if (e.port !== undefined) data.port = e.port;
    return {
      id,
      source: e.from,
      target: e.to,
      sourceHandle: e.port ?? defaultPort(byId.get(e.from)?.data),
      targetHandle: TARGET_HANDLE,
      data,
    };
  });
  const extraLayout: Record<string, XY> = {};
  for (const [id, p] of Object.entries(layout ?? {})) {
    if (ids.has(id)) continue;
    if (id.startsWith(NOTE_PREFIX) && typeof p.note === 'string') gNodes.push({ id, type: 'note', position: { x: p.x, y: p.y }, data: { kind: 'note', text: p.note, placed: true } });
    else extraLayout[id] = { x: p.x, y: p.y };
  }
  return { nodes: gNodes, edges: gEdges, meta: meta as FlowMeta, hasLayout: layout !== undefined, extraLayout };
}

export function graphToFlow(graph: Graph): Flow {
  const trig = graph.nodes.find((n) => n.data.kind === 'trigger');
  const flow = { ...graph.meta } as Flow;
  flow.trigger = (trig?.data as TriggerData | undefined)?.trigger ?? ({ type: 'manual' } as Trigger);
  flow.nodes = graph.nodes.filter((n) => n.data.kind === 'step').map((n) => (n.data as StepData).node);
  flow.edges = graph.edges.map((e): DslEdge => (e.data?.port !== undefined ? { from: e.source, port: e.data.port, to: e.target } : { from: e.source, to: e.target }));
  const placed = graph.nodes.filter((n) => n.data.placed);
  if (graph.hasLayout || placed.length > 0) {
    const layout: Record<string, XY & { note?: string }> = { ...graph.extraLayout };
    for (const n of placed) layout[n.id] = n.data.kind === 'note' ? { x: n.position.x, y: n.position.y, note: n.data.text } : { x: n.position.x, y: n.position.y };
    flow.layout = layout;
  }
  return flow;
}

/** Replace one DSL node (by its old id), renaming edges when the id changes. */
export function updateStep(graph: Graph, oldId: string, node: FlowNode): Graph {
  const newId = node.id;
  const nodes = graph.nodes.map((n) =>
    n.id === oldId && n.data.kind === 'step' ? { ...n, id: newId, type: node.type, data: { ...n.data, node } } : n,
  );
  let edges = graph.edges;
  if (newId !== oldId) {
    edges = edges.map((e) => (e.source === oldId || e.target === oldId ? { ...e, source: e.source === oldId ? newId : e.source, target: e.target === oldId ? newId : e.target } : e));
    const taken = new Set<string>();
    edges = edges.map((e) => {
      const id = edgeId(e.source, e.data.port, e.target, taken);
      taken.add(id);
      return { ...e, id };
    });
  }
  // edges whose port no longer exists on the node are kept (validation reports them) unless the port was renamed away
  return { ...graph, nodes, edges };
}

export function updateTrigger(graph: Graph, trigger: Trigger): Graph {
  return { ...graph, nodes: graph.nodes.map((n) => (n.data.kind === 'trigger' ? { ...n, data: { ...n.data, trigger } } : n)) };
}

export function addEdge(graph: Graph, source: string, sourceHandle: string | null | undefined, target: string): Graph {
  const src = graph.nodes.find((n) => n.id === source);
  const handle = sourceHandle ?? defaultPort(src?.data);
  const port = implicitPort(src?.data) ? undefined : handle;
  const taken = new Set(graph.edges.map((e) => e.id));
  const data: GraphEdgeData = {};
  if (port !== undefined) data.port = port;
  const edge: GraphEdge = { id: edgeId(source, port, target, taken), source, target, sourceHandle: handle, targetHandle: TARGET_HANDLE, data };
  return { ...graph, edges: [...graph.edges, edge] };
}

export function removeElements(graph: Graph, nodeIds: Iterable<string>, edgeIds: Iterable<string> = []): Graph {
  const dn = new Set(nodeIds);
  dn.delete(TRIGGER_ID);
  const de = new Set(edgeIds);
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => !dn.has(n.id)),
    edges: graph.edges.filter((e) => !de.has(e.id) && !dn.has(e.source) && !dn.has(e.target)),
  };
}

export function setPositions(graph: Graph, positions: Map<string, XY>, markAllPlaced = true): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((n) => {
      const p = positions.get(n.id);
      if (!p && (!markAllPlaced || n.data.placed)) return n;
      return { ...n, position: p ? { x: Math.round(p.x), y: Math.round(p.y) } : n.position, data: markAllPlaced || p ? { ...n.data, placed: true } : n.data };
    }),
  };
}

/** Move the edges leaving `nodeId` by port `from` to port `to` (a renamed route rule or decision). */
export function renamePort(graph: Graph, nodeId: string, from: string, to: string): Graph {
  const taken = new Set<string>();
  const edges = graph.edges.map((e) => {
    let next = e;
    if (e.source === nodeId && e.sourceHandle === from) next = { ...e, sourceHandle: to, data: { ...e.data, port: e.data.port !== undefined ? to : undefined } };
    if (next.data.port === undefined) {
      const { port: _p, ...rest } = next.data;
      next = { ...next, data: rest };
    }
    const id = edgeId(next.source, next.data.port, next.target, taken);
    taken.add(id);
    return id === next.id ? next : { ...next, id };
  });
  return { ...graph, edges };
}
