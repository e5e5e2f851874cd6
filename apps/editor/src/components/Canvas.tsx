// The canvas: React Flow with MiniMap, Controls, Background; palette drops (screenToFlowPosition),
// connection checks with the refusal reason, file drops (import).
import { memo, useCallback, useMemo, useRef, useState, type DragEvent, useEffect } from 'react';
import { applyNodeChanges, Background, ControlButton, Controls, MiniMap, ReactFlow, useNodesInitialized, useReactFlow, type Connection, type EdgeChange, type NodeChange, type Edge, type Node, type FinalConnectionState } from '@xyflow/react';
import { checkConnection } from '../core/connections.ts';
import type { Graph, GraphNodeData, XY } from '../core/mapping.ts';
import { nodeTypes } from '../nodes/registry.ts';
import { lookOf } from '../core/look.ts';
import { edgeTypes } from './FlowEdge.tsx';
import { useFit } from './useFit.ts';

export const DND_TYPE = 'application/x-flowdesk-node';

export interface CanvasProps {
  graph: Graph;
  readOnly?: boolean;
  /** the minimap can be hidden (default shown) */
  showMinimap?: boolean;
  pathEdges?: Set<string>; // edge ids on the highlighted path
  onNodesChange?: (c: NodeChange<Node<GraphNodeData>>[]) => void;
  onEdgesChange?: (c: EdgeChange[]) => void;
  onConnect?: (c: Connection) => void;
  onDropEntry?: (key: string, at: XY) => void;
  onDropFile?: (file: File) => void;
  onNodeClick?: (id: string) => void;
}

/** React Flow's own first fit, before the nodes are measured; useFit then fits them keeping the minimap's corner free. */
const FIRST_FIT = { padding: { top: '40px', left: '40px', right: '40px', bottom: '175px' }, maxZoom: 0.9 } as const;

const miniColor = (n: Node) => (n.type === 'note' ? '#facc15' : lookOf(n.type).color);

export const Canvas = memo(function Canvas(props: CanvasProps) {
  const { graph, readOnly } = props;
  const rf = useReactFlow();
  const graphRef = useRef(graph);
  graphRef.current = graph;
  const [refusal, setRefusal] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const edges = useMemo(
    () =>
      graph.edges.map((e) => {
        const on = props.pathEdges?.has(e.id) ?? false;
        const label = e.sourceHandle && e.sourceHandle !== 'out' && e.sourceHandle !== 'ok' ? e.sourceHandle : undefined;
        return { ...e, type: 'flow', className: on ? 'on-path' : undefined, animated: on, label } as Edge;
      }),
    [graph.edges, props.pathEdges],
  );

  const isValidConnection = useCallback((c: Connection | Edge) => checkConnection(graphRef.current, c as Connection).ok, []);
  const onConnectEnd = useCallback((_e: MouseEvent | TouchEvent, s: FinalConnectionState) => {
    if (s.isValid || !s.fromNode) return;
    const toNode = s.toNode;
    if (!toNode) return;
    const r = checkConnection(graphRef.current, { source: s.fromNode.id, sourceHandle: s.fromHandle?.id ?? null, target: toNode.id });
    if (!r.ok) {
      setRefusal(r.reason);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setRefusal(null), 5000);
    }
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = e.dataTransfer.types.includes('Files') ? 'copy' : 'move';
  }, []);
  const { onDropEntry, onDropFile } = props;
  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      if (readOnly) return;
      const file = e.dataTransfer.files?.[0];
      if (file) {
        onDropFile?.(file);
        return;
      }
      const key = e.dataTransfer.getData(DND_TYPE) || e.dataTransfer.getData('text/plain');
      if (key) onDropEntry?.(key, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [readOnly, onDropEntry, onDropFile, rf],
  );
  const { onNodeClick } = props;
  const nodeClick = useCallback((_e: unknown, n: Node) => onNodeClick?.(n.id), [onNodeClick]);
  // read-only (the run view): React Flow's measurements still need somewhere to go, or the minimap
  // has no node sizes and draws nothing
  const [ownNodes, setOwnNodes] = useState(graph.nodes as Node<GraphNodeData>[]);
  useEffect(() => setOwnNodes(graph.nodes as Node<GraphNodeData>[]), [graph.nodes]);
  const ownChange = useCallback((c: NodeChange<Node<GraphNodeData>>[]) => setOwnNodes((ns) => applyNodeChanges(c, ns)), []);
  const controlled = props.onNodesChange !== undefined;
  // once every node has its measured size: the fit that keeps only the minimap's corner free (a big
  // flow renders only what is visible, so its nodes never all measure: React Flow's first fit stays)
  const fit = useFit();
  const measured = useNodesInitialized();
  const fitted = useRef(false);
  useEffect(() => {
    if (!measured || fitted.current) return;
    fitted.current = true;
    void fit({ maxZoom: FIRST_FIT.maxZoom });
  }, [measured, fit]);

  return (
    <div className="fd-canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow
        nodes={controlled ? (graph.nodes as Node<GraphNodeData>[]) : ownNodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={controlled ? props.onNodesChange : ownChange}
        onEdgesChange={props.onEdgesChange}
        onConnect={props.onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeClick={nodeClick}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        deleteKeyCode={null}
        selectionKeyCode={null}
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        // a big flow renders only what is in view: dragging a node to the canvas's edge pans the view,
        // and culling keeps that pan from repainting every node (measured: without it the drag is slower)
        onlyRenderVisibleElements={graph.nodes.length > 150}
        fitView
        fitViewOptions={FIRST_FIT}
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} />
        {props.showMinimap !== false && <MiniMap pannable zoomable nodeColor={miniColor} />}
        <Controls showFitView={false}>
          <ControlButton className="react-flow__controls-fitview" onClick={() => void fit({ maxZoom: FIRST_FIT.maxZoom, duration: 200 })} title="Fit view" aria-label="Fit view">
            ⛶
          </ControlButton>
        </Controls>
      </ReactFlow>
      {refusal && (
        <div className="fd-toast warn" role="status" data-testid="connection-refused">
          {refusal}
        </div>
      )}
    </div>
  );
});
