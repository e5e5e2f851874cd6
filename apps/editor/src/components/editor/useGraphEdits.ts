// Every way the graph is edited: canvas changes (drag, delete, connect), palette drops, side-panel
// forms (consecutive edits of one node within a second are one undo step) and picking a node.
import { useCallback, useRef, type MutableRefObject } from 'react';
import { applyEdgeChanges, applyNodeChanges, useReactFlow, type Connection, type EdgeChange, type Node, type NodeChange } from '@xyflow/react';
import type { FlowNode, Trigger } from '@flowdesk/schema';
import { freshId } from '../../core/ids.ts';
import { canonicalJson } from '../../core/json.ts';
import { signalDone, signalPending } from '../../core/signals.ts';
import { newNode, paletteEntry } from '../../core/look.ts';
import { addEdge, portsOf, renamePort, setPositions, updateStep, updateTrigger, type FlowMeta, type Graph, type GraphNode, type GraphNodeData, type XY } from '../../core/mapping.ts';
import { checkConnection } from '../../core/connections.ts';
import { useFit } from '../useFit.ts';

type Update = (fn: (g: Graph) => Graph, record?: boolean, key?: string) => void;

export function useGraphEdits(graphRef: MutableRefObject<Graph>, update: Update) {
  const rf = useReactFlow();
  const fit = useFit();
  const dragKey = useRef<string | null>(null);
  const formKey = useRef<{ id: string; t: number; key: string } | null>(null);
  const seq = useRef(0);

  const onNodesChange = useCallback(
    (changes: NodeChange<Node<GraphNodeData>>[]) => {
      const structural = changes.some((c) => c.type === 'position' || c.type === 'remove' || c.type === 'add' || c.type === 'replace');
      if (!structural) {
        update((g) => ({ ...g, nodes: applyNodeChanges(changes, g.nodes as Node<GraphNodeData>[]) as GraphNode[] }), false);
        return;
      }
      const pos = changes.filter((c) => c.type === 'position');
      const dragging = pos.some((c) => c.type === 'position' && c.dragging);
      const cur = new Map(graphRef.current.nodes.map((n) => [n.id, n.position]));
      const moved = pos.some((c) => c.type === 'position' && c.position && (c.position.x !== cur.get(c.id)?.x || c.position.y !== cur.get(c.id)?.y));
      const other = changes.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace');
      if (!other && !moved && !dragKey.current) {
        // a click on a node reports a "drag" that moved nothing: not an undo step
        update((g) => ({ ...g, nodes: applyNodeChanges(changes, g.nodes as Node<GraphNodeData>[]) as GraphNode[] }), false);
        return;
      }
      if (pos.length && !dragKey.current) dragKey.current = `drag:${++seq.current}`;
      const key = dragKey.current ?? undefined;
      update(
        (g) => {
          let next: Graph = { ...g, nodes: applyNodeChanges(changes, g.nodes as Node<GraphNodeData>[]) as GraphNode[] };
          if (pos.length && !dragging) next = setPositions(next, new Map()); // drag end: positions are saved in layout
          return next;
        },
        true,
        key,
      );
      if (!dragging) dragKey.current = null;
    },
    [graphRef, update],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const structural = changes.some((c) => c.type !== 'select');
      update((g) => ({ ...g, edges: applyEdgeChanges(changes, g.edges as never) as unknown as Graph['edges'] }), structural);
    },
    [update],
  );
  const onConnect = useCallback((c: Connection) => update((g) => addEdge(g, c.source, c.sourceHandle, c.target)), [update]);

  const addEntry = useCallback(
    (key: string, at?: XY) => {
      const e = paletteEntry(key);
      if (!e) return;
      let position = at;
      if (!position) {
        // right of the selected node, or of the rightmost one
        const ns = graphRef.current.nodes;
        const anchor = ns.find((n) => n.selected) ?? ns.reduce<GraphNode | undefined>((a, n) => (!a || n.position.x > a.position.x ? n : a), undefined);
        position = anchor ? { x: anchor.position.x + 300, y: anchor.position.y + ns.filter((n) => Math.abs(n.position.x - anchor.position.x - 300) < 50).length * 150 } : { x: 0, y: 0 };
        signalPending('view-fit');
        setTimeout(() => void fit({ maxZoom: 1, duration: 200 }).finally(() => signalDone('view-fit')), 30);
      }
      // click-to-add with a node selected: the new node hangs off that node's first free output
      const from = at ? undefined : graphRef.current.nodes.find((n) => n.selected);
      update((g) => {
        const id = freshId(e.action ? e.action.replace('.', '-') : e.type, new Set(g.nodes.map((n) => n.id)));
        const node: GraphNode = { id, type: e.type, position: { x: Math.round(position!.x), y: Math.round(position!.y) }, data: { kind: 'step', node: newNode(e.type, id, e.action), placed: true }, selected: true };
        const base = setPositions(g, new Map()); // from now on every position is saved in layout
        let next: Graph = {
          ...base,
          nodes: [...base.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node],
          edges: base.edges.map((x) => (x.selected ? { ...x, selected: false } : x)),
        };
        const source = from && next.nodes.find((n) => n.id === from.id);
        const port = source && portsOf(source.data).find((p) => !next.edges.some((x) => x.source === source.id && x.sourceHandle === p));
        if (source && port && checkConnection(next, { source: source.id, sourceHandle: port, target: id }).ok) next = addEdge(next, source.id, port, id);
        return next;
      });
    },
    [graphRef, fit, update],
  );

  const formRecordKey = useCallback((id: string) => {
    const now = Date.now();
    const f = formKey.current;
    if (f && f.id === id && now - f.t < 1000) {
      f.t = now;
      return f.key;
    }
    formKey.current = { id, t: now, key: `form:${id}:${++seq.current}` };
    return formKey.current.key;
  }, []);
  const onNode = useCallback(
    (oldId: string, n: FlowNode) => {
      const cur = graphRef.current.nodes.find((x) => x.id === oldId);
      if (cur?.data.kind === 'step' && oldId === n.id && canonicalJson(cur.data.node) === canonicalJson(n)) return; // no change
      update((g) => updateStep(g, oldId, n), true, formRecordKey(n.id));
    },
    [graphRef, update, formRecordKey],
  );
  const onTrigger = useCallback(
    (t: Trigger) => {
      const cur = graphRef.current.nodes.find((x) => x.data.kind === 'trigger');
      if (cur?.data.kind === 'trigger' && canonicalJson(cur.data.trigger) === canonicalJson(t)) return;
      update((g) => updateTrigger(g, t), true, formRecordKey('trigger'));
    },
    [graphRef, update, formRecordKey],
  );
  const onMeta = useCallback((m: FlowMeta) => update((g) => ({ ...g, meta: m }), true, formRecordKey('$meta')), [update, formRecordKey]);
  const onRenamePort = useCallback((id: string, a: string, b: string) => update((g) => renamePort(g, id, a, b), true, formRecordKey(id)), [update, formRecordKey]);
  const pick = useCallback(
    (id: string) => {
      update((g) => ({ ...g, nodes: g.nodes.map((n) => ({ ...n, selected: n.id === id })) }), false);
      const n = graphRef.current.nodes.find((x) => x.id === id);
      if (n) void rf.setCenter(n.position.x + 110, n.position.y + 50, { zoom: Math.max(rf.getZoom(), 0.8), duration: 300 });
    },
    [graphRef, rf, update],
  );
  return { onNodesChange, onEdgesChange, onConnect, addEntry, onNode, onTrigger, onMeta, onRenamePort, pick };
}
