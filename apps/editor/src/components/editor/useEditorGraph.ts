// The editor's document: the graph with undo/redo history, and the flow it stands for. The flow is
// rebuilt only when content changes (a drag moves positions, not the document); positions are read
// fresh where they matter (draft, export, deploy) through `currentFlow()`.
import { useCallback, useMemo, useReducer, useRef } from 'react';
import type { Flow } from '@flowdesk/schema';
import { historyReducer, initHistory, type History, type HistoryAction } from '../../core/history.ts';
import { flowToGraph, graphToFlow, type FlowMeta, type Graph, type GraphNodeData } from '../../core/mapping.ts';

/** Keeps the selection of `from` on the nodes and edges of `to` (an undo does not drop what is selected). */
export const carrySelection = (from: Graph, to: Graph): Graph => {
  const selN = new Set(from.nodes.filter((n) => n.selected).map((n) => n.id));
  const selE = new Set(from.edges.filter((e) => e.selected).map((e) => e.id));
  return {
    ...to,
    nodes: to.nodes.map((n) => (!!n.selected === selN.has(n.id) ? n : { ...n, selected: selN.has(n.id) })),
    edges: to.edges.map((e) => (!!e.selected === selE.has(e.id) ? e : { ...e, selected: selE.has(e.id) })),
  };
};
const reducer = historyReducer<Graph>({ carrySelection, limit: 300 });

export interface StableContent {
  datas: GraphNodeData[];
  ids: string[];
  edges: Graph['edges'];
  meta: FlowMeta;
  hasLayout: boolean;
}

/** Identity-stable view of what a drag does not change: node data, edges, meta, ids. */
function useStableContent(graph: Graph): StableContent {
  const ref = useRef<StableContent | null>(null);
  const prev = ref.current;
  const datas = graph.nodes.map((n) => n.data);
  const edgesSame =
    prev &&
    (prev.edges === graph.edges ||
      (prev.edges.length === graph.edges.length &&
        prev.edges.every((e, i) => {
          const f = graph.edges[i]!;
          return e.id === f.id && e.source === f.source && e.target === f.target && e.sourceHandle === f.sourceHandle;
        })));
  if (prev && edgesSame && prev.meta === graph.meta && prev.hasLayout === graph.hasLayout && prev.datas.length === datas.length && prev.datas.every((d, i) => d === datas[i]) && prev.ids.every((id, i) => id === graph.nodes[i]!.id)) {
    return prev;
  }
  ref.current = { datas, ids: graph.nodes.map((n) => n.id), edges: graph.edges, meta: graph.meta, hasLayout: graph.hasLayout };
  return ref.current;
}

export function useEditorGraph(initial: Flow) {
  const [hist, dispatch] = useReducer(reducer, initial, (f) => initHistory(flowToGraph(f))) as [History<Graph>, (a: HistoryAction<Graph>) => void];
  const graph = hist.present;
  const graphRef = useRef(graph);
  graphRef.current = graph;
  const content = useStableContent(graph);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on `content` on purpose: a drag changes positions, not the document
  const flow = useMemo(() => graphToFlow(graphRef.current), [content]);
  const flowRef = useRef(flow);
  flowRef.current = flow;
  const currentFlow = useCallback(() => graphToFlow(graphRef.current), []);
  /** Applies `fn` to the graph; `record` makes it an undo step, `key` merges consecutive steps into one. */
  const update = useCallback((fn: (g: Graph) => Graph, record = true, key?: string) => dispatch({ type: 'update', fn, record, key }), []);
  return { hist, dispatch, graph, graphRef, content, flow, flowRef, currentFlow, update };
}

export type EditorGraph = ReturnType<typeof useEditorGraph>;
