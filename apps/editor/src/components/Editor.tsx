// The flow editor: state (undo/redo history over the graph), toolbar, palette, canvas, side panel,
// validation / dry run / versions; drafts in localStorage; deploy to the runtime.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { applyEdgeChanges, applyNodeChanges, ReactFlowProvider, useReactFlow, type Connection, type EdgeChange, type Node, type NodeChange } from '@xyflow/react';
import type { Flow, FlowNode, Trigger } from '@flowdesk/schema';
import type { DryRunResult } from '@flowdesk/engine';
import { ApiError, get, post, put } from '../api.ts';
import { clearDraft, loadDraft, saveDraft } from '../core/drafts.ts';
import { historyReducer, initHistory, type History, type HistoryAction } from '../core/history.ts';
import { freshId, pasteInto, type Clipboard } from '../core/ids.ts';
import { canonicalJson } from '../core/json.ts';
import { elkLayout } from '../core/layout.ts';
import {
  addEdge,
  flowToGraph,
  graphToFlow,
  removeElements,
  renamePort,
  setPositions,
  updateStep,
  updateTrigger,
  type FlowMeta,
  type Graph,
  type GraphNode,
  type GraphNodeData,
  type XY,
} from '../core/mapping.ts';
import { newNode } from '../core/templates.ts';
import { validateDoc, type FlowError } from '../core/validate.ts';
import { setDecorations } from '../decorations.ts';
import { paletteEntry } from '../core/look.ts';
import { navigate, setLeaveGuard } from '../router.ts';
import { Canvas } from './Canvas.tsx';
import { downloadJson, ImportDialog, parseFlowText } from './ImportDialog.tsx';
import { Palette } from './Palette.tsx';
import { DryRunPanel, ValidationPanel, VersionsPanel } from './Panels.tsx';
import { SidePanel } from './SidePanel.tsx';

const carrySelection = (from: Graph, to: Graph): Graph => {
  const selN = new Set(from.nodes.filter((n) => n.selected).map((n) => n.id));
  const selE = new Set(from.edges.filter((e) => e.selected).map((e) => e.id));
  return {
    ...to,
    nodes: to.nodes.map((n) => (!!n.selected === selN.has(n.id) ? n : { ...n, selected: selN.has(n.id) })),
    edges: to.edges.map((e) => (!!e.selected === selE.has(e.id) ? e : { ...e, selected: selE.has(e.id) })),
  };
};
const reducer = historyReducer<Graph>({ carrySelection, limit: 300 });

/** Suggestions for the rule builder's field input: payload fields and vars. */
function fieldSuggestions(flow: Flow): string[] {
  const out = new Set<string>();
  const ps = (flow.trigger as { payloadSchema?: { properties?: Record<string, unknown> } }).payloadSchema;
  for (const k of Object.keys(ps?.properties ?? {})) out.add(`payload.${k}`);
  for (const n of flow.nodes) if (n.type === 'compute') for (const k of Object.keys(n.set ?? {})) out.add(`vars.${k}`);
  out.add('vars.score');
  out.add('record.state');
  return [...out];
}

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

/** Identity-stable view of what a drag does not change: node data, edges, meta, ids. */
function useStableContent(graph: Graph): { datas: GraphNodeData[]; ids: string[]; edges: Graph['edges']; meta: FlowMeta; hasLayout: boolean } {
  const ref = useRef<ReturnType<typeof useStableContent> | null>(null);
  const prev = ref.current;
  const datas = graph.nodes.map((n) => n.data);
  const edgesSame = prev && (prev.edges === graph.edges || (prev.edges.length === graph.edges.length && prev.edges.every((e, i) => { const f = graph.edges[i]!; return e.id === f.id && e.source === f.source && e.target === f.target && e.sourceHandle === f.sourceHandle; })));
  if (prev && edgesSame && prev.meta === graph.meta && prev.hasLayout === graph.hasLayout && prev.datas.length === datas.length && prev.datas.every((d, i) => d === datas[i]) && prev.ids.every((id, i) => id === graph.nodes[i]!.id)) {
    return prev;
  }
  ref.current = { datas, ids: graph.nodes.map((n) => n.id), edges: graph.edges, meta: graph.meta, hasLayout: graph.hasLayout };
  return ref.current;
}

/** The selected nodes (id + data), identity-stable while neither changes. */
function useStableSelection(graph: Graph): { id: string; data: GraphNodeData }[] {
  const ref = useRef<{ id: string; data: GraphNodeData }[]>([]);
  const sel = graph.nodes.filter((n) => n.selected);
  const prev = ref.current;
  if (prev.length === sel.length && prev.every((p, i) => p.id === sel[i]!.id && p.data === sel[i]!.data)) return prev;
  ref.current = sel.map((n) => ({ id: n.id, data: n.data }));
  return ref.current;
}

interface EditorProps {
  initial: Flow;
  deployed: Flow | null;
  restoredAt?: string;
}

export function EditorPage(props: { flowId: string }) {
  const [state, setState] = useState<{ status: 'loading' | 'ready' | 'missing' | 'error'; props?: EditorProps; error?: string; seq: number }>({ status: 'loading', seq: 0 });
  const load = useCallback(async () => {
    let deployed: Flow | null = null;
    try {
      deployed = await get<Flow>(`/api/flows/${props.flowId}`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) {
        setState((s) => ({ status: 'error', error: (e as Error).message, seq: s.seq + 1 }));
        return;
      }
    }
    const draft = loadDraft(props.flowId);
    if (draft && (!deployed || canonicalJson(draft.flow) !== canonicalJson(deployed))) {
      setState((s) => ({ status: 'ready', props: { initial: draft.flow, deployed, restoredAt: draft.fresh ? undefined : draft.at }, seq: s.seq + 1 }));
    } else if (deployed) {
      setState((s) => ({ status: 'ready', props: { initial: deployed, deployed }, seq: s.seq + 1 }));
    } else {
      setState((s) => ({ status: 'missing', seq: s.seq + 1 }));
    }
  }, [props.flowId]);
  useEffect(() => {
    setState((s) => ({ status: 'loading', seq: s.seq }));
    void load();
  }, [load]);
  if (state.status === 'loading') return <div className="fd-page">Loading…</div>;
  if (state.status === 'missing') return <div className="fd-page" data-testid="flow-missing">There is no flow “{props.flowId}”.</div>;
  if (state.status === 'error') return <div className="fd-page fd-field-error">{state.error}</div>;
  return (
    <ReactFlowProvider key={`${props.flowId}:${state.seq}`}>
      <Editor {...state.props!} flowId={props.flowId} reload={() => void load()} />
    </ReactFlowProvider>
  );
}

function Editor(props: EditorProps & { flowId: string; reload: () => void }) {
  const { flowId } = props;
  const rf = useReactFlow();
  const [hist, dispatch] = useReducer(reducer, props.initial, (f) => initHistory(flowToGraph(f))) as [History<Graph>, (a: HistoryAction<Graph>) => void];
  const graph = hist.present;
  const graphRef = useRef(graph);
  graphRef.current = graph;
  // The document without positions changes only when content changes: a drag does not revalidate,
  // re-render forms or rebuild the flow. Positions are read fresh where they matter (draft, export, deploy).
  const content = useStableContent(graph);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on `content` on purpose: a drag changes positions, not the document
  const flow = useMemo(() => graphToFlow(graphRef.current), [content]);
  const currentFlow = () => graphToFlow(graphRef.current);
  const flowRef = useRef(flow);
  flowRef.current = flow;

  const [deployedCanon, setDeployedCanon] = useState(() => (props.deployed ? canonicalJson(props.deployed) : null));
  const [deployedVersion, setDeployedVersion] = useState<number | undefined>(props.deployed?.version);
  const [checked, setChecked] = useState<FlowError[] | null>(null); // null until the validator has loaded
  const errors = useMemo(() => checked ?? [], [checked]);
  const checkedRef = useRef(checked);
  checkedRef.current = checked;
  const [serverErrors, setServerErrors] = useState<FlowError[]>([]);
  const [dirty, setDirty] = useState(() => !props.deployed || canonicalJson(props.initial) !== canonicalJson(props.deployed));
  const [status, setStatus] = useState<{ kind: 'ok' | 'error' | 'info'; text: string } | null>(null);
  const [restored, setRestored] = useState(props.restoredAt);
  const [panel, setPanel] = useState<'problems' | 'dry-run' | 'versions'>('problems');
  const [importOpen, setImportOpen] = useState<{ errors?: FlowError[] } | null>(null);
  const [runNow, setRunNow] = useState(false);
  const [dry, setDry] = useState<DryRunResult | null>(null);
  const [busy, setBusy] = useState(false);
  const dragKey = useRef<string | null>(null);
  const formKey = useRef<{ id: string; t: number; key: string } | null>(null);
  const clipboard = useRef<Clipboard | null>(null);
  const seq = useRef(0);

  const update = useCallback((fn: (g: Graph) => Graph, record = true, key?: string) => dispatch({ type: 'update', fn, record, key }), []);

  // --- validation (debounced; a drag only revalidates once it stops)
  useEffect(() => {
    let stale = false;
    const t = setTimeout(() => {
      void validateDoc(flowRef.current).then((r) => {
        if (!stale) setChecked(r.errors);
      });
    }, checkedRef.current ? 120 : 0);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [flow]);
  useEffect(() => {
    const m = new Map<string, string[]>();
    for (const e of [...serverErrors, ...errors]) if (e.nodeId) m.set(e.nodeId, [...(m.get(e.nodeId) ?? []), e.message]);
    setDecorations({ errors: m });
  }, [errors, serverErrors]);
  useEffect(() => () => setDecorations({ errors: new Map(), path: new Set(), status: new Map() }), []);

  // --- draft autosave + unsaved marker
  useEffect(() => {
    const t = setTimeout(() => {
      const doc = currentFlow();
      const canon = canonicalJson(doc);
      const d = canon !== deployedCanon;
      // a draft that already holds this document is not rewritten (an untouched new flow keeps its
      // "fresh" draft: no "restored" banner after a reload)
      if (d) {
        const existing = loadDraft(flowId);
        if (!existing || canonicalJson(existing.flow) !== canon) saveDraft(flowId, doc);
      }
      else if (!d) clearDraft(flowId);
      setDirty(d);
    }, 250);
    return () => clearTimeout(t);
  }, [graph.nodes, graph.edges, graph.meta, deployedCanon, flowId]);
  useEffect(() => {
    const before = (e: BeforeUnloadEvent) => {
      if (!dirtyRef.current) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', before);
    setLeaveGuard(() => (dirtyRef.current ? 'This flow has changes that are not deployed. They are kept as a draft in this browser. Leave the editor?' : null));
    return () => {
      window.removeEventListener('beforeunload', before);
      setLeaveGuard(null);
    };
  }, []);
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;

  // --- dry-run highlight
  const pathEdges = useMemo(() => {
    if (!dry) return undefined;
    const ids = new Set<string>();
    for (const t of dry.edges) {
      const e = graph.edges.find((x) => x.source === t.from && x.target === t.to && (t.port === undefined || x.sourceHandle === t.port));
      if (e) ids.add(e.id);
    }
    return ids;
  }, [dry, graph.edges]);
  useEffect(() => setDecorations({ path: new Set(dry?.path ?? []) }), [dry]);
  useEffect(() => {
    if (panel !== 'dry-run') setDry(null); // the highlight belongs to the open dry-run panel
  }, [panel]);

  // --- auto-layout for flows opened without positions
  useEffect(() => {
    if (graph.nodes.some((n) => n.data.placed) || graph.nodes.length < 2) return;
    let cancelled = false;
    void elkLayout(graph).then((pos) => {
      if (cancelled) return;
      update((g) => ({ ...g, nodes: g.nodes.map((n) => (pos.has(n.id) ? { ...n, position: pos.get(n.id)! } : n)) }), false);
      setTimeout(() => void rf.fitView({ padding: 0.2, maxZoom: 1.1 }), 50);
    });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on open: the graph as loaded is what gets laid out
  }, []);

  // --- canvas changes
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
      update((g) => {
        let next: Graph = { ...g, nodes: applyNodeChanges(changes, g.nodes as Node<GraphNodeData>[]) as GraphNode[] };
        if (pos.length && !dragging) next = setPositions(next, new Map()); // drag end: positions are saved in layout
        return next;
      }, true, key);
      if (!dragging) dragKey.current = null;
    },
    [update],
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
        position = anchor ? { x: anchor.position.x + 300, y: anchor.position.y + (ns.filter((n) => Math.abs(n.position.x - anchor.position.x - 300) < 50).length * 150) } : { x: 0, y: 0 };
        setTimeout(() => void rf.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }), 30);
      }
      update((g) => {
        const id = freshId(e.action ? e.action.replace('.', '-') : e.type, new Set(g.nodes.map((n) => n.id)));
        const node: GraphNode = { id, type: e.type, position: { x: Math.round(position!.x), y: Math.round(position!.y) }, data: { kind: 'step', node: newNode(e.type, id, e.action), placed: true }, selected: true };
        const base = setPositions(g, new Map()); // from now on every position is saved in layout
        return {
          ...base,
          nodes: [...base.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node],
          edges: base.edges.map((x) => (x.selected ? { ...x, selected: false } : x)),
        };
      });
    },
    [rf, update],
  );

  // --- side panel edits (consecutive edits of one node within a second are one undo step)
  const formRecordKey = (id: string) => {
    const now = Date.now();
    const f = formKey.current;
    if (f && f.id === id && now - f.t < 1000) {
      f.t = now;
      return f.key;
    }
    formKey.current = { id, t: now, key: `form:${id}:${++seq.current}` };
    return formKey.current.key;
  };
  const onNode = useCallback(
    (oldId: string, n: FlowNode) => {
      const cur = graphRef.current.nodes.find((x) => x.id === oldId);
      if (cur?.data.kind === 'step' && oldId === n.id && canonicalJson(cur.data.node) === canonicalJson(n)) return; // no change
      update((g) => updateStep(g, oldId, n), true, formRecordKey(n.id));
    },
    [update],
  );
  const onTrigger = useCallback(
    (t: Trigger) => {
      const cur = graphRef.current.nodes.find((x) => x.data.kind === 'trigger');
      if (cur?.data.kind === 'trigger' && canonicalJson(cur.data.trigger) === canonicalJson(t)) return;
      update((g) => updateTrigger(g, t), true, formRecordKey('trigger'));
    },
    [update],
  );
  const onMeta = useCallback((m: FlowMeta) => update((g) => ({ ...g, meta: m }), true, formRecordKey('$meta')), [update]);
  const onRenamePort = useCallback((id: string, a: string, b: string) => update((g) => renamePort(g, id, a, b), true, formRecordKey(id)), [update]);
  const pick = useCallback(
    (id: string) => {
      update((g) => ({ ...g, nodes: g.nodes.map((n) => ({ ...n, selected: n.id === id })) }), false);
      const n = graphRef.current.nodes.find((x) => x.id === id);
      if (n) void rf.setCenter(n.position.x + 110, n.position.y + 50, { zoom: Math.max(rf.getZoom(), 0.8), duration: 300 });
    },
    [rf, update],
  );

  // --- keyboard: undo/redo, copy/paste/duplicate, delete
  const deleteSelection = useCallback(() => {
    const g = graphRef.current;
    const nodes = g.nodes.filter((n) => n.selected && n.data.kind === 'step').map((n) => n.id);
    const edges = g.edges.filter((e) => e.selected).map((e) => e.id);
    if (nodes.length || edges.length) update((x) => removeElements(x, nodes, edges));
  }, [update]);
  const copy = useCallback(() => {
    const g = graphRef.current;
    const nodes = g.nodes.filter((n) => n.selected && n.data.kind === 'step');
    const ids = new Set(nodes.map((n) => n.id));
    clipboard.current = { nodes: structuredClone(nodes), edges: structuredClone(g.edges.filter((e) => ids.has(e.source) && ids.has(e.target))) };
  }, []);
  const paste = useCallback(() => {
    const clip = clipboard.current;
    if (clip?.nodes.length) update((g) => pasteInto(g, clip).graph);
  }, [update]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === 'z' && !e.shiftKey) {
        e.preventDefault();
        dispatch({ type: 'undo' });
      } else if (mod && ((k === 'z' && e.shiftKey) || k === 'y')) {
        e.preventDefault();
        dispatch({ type: 'redo' });
      } else if (mod && k === 'c') {
        copy();
      } else if (mod && k === 'v') {
        e.preventDefault();
        paste();
      } else if (mod && k === 'd') {
        e.preventDefault();
        copy();
        paste();
      } else if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) {
        e.preventDefault();
        deleteSelection();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [copy, paste, deleteSelection]);

  // --- import / export / deploy
  const exportFlow = () => {
    const doc = currentFlow();
    downloadJson(`${doc.id}.json`, doc);
  };
  const applyImport = (doc: Flow) => {
    setImportOpen(null);
    if (doc.id !== flowId) {
      saveDraft(doc.id, doc, true);
      navigate(`/flows/${doc.id}`);
      return;
    }
    update((g) => carrySelection(g, flowToGraph(doc)));
    setStatus({ kind: 'info', text: 'Imported. Deploy to make it live.' });
  };
  const onDropFile = useCallback(async (file: File) => {
    const r = await parseFlowText(await file.text());
    if (r.flow) applyImport(r.flow);
    else setImportOpen({ errors: r.errors });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- applyImport reads the graph through refs; a stable handler keeps the canvas from re-rendering
  }, []);

  const invalid = checked === null || errors.length > 0 || serverErrors.length > 0;
  const deploy = async (doc: Flow = currentFlow()) => {
    setBusy(true);
    setStatus(null);
    try {
      const { version: _v, ...body } = doc;
      const r = await put<{ id: string; version: number }>(`/api/flows/${flowId}`, body);
      const saved = { ...doc, version: r.version } as Flow;
      update((g) => ({ ...g, meta: { ...g.meta, version: r.version } }), false);
      setDeployedCanon(canonicalJson(saved));
      setDeployedVersion(r.version);
      clearDraft(flowId);
      setServerErrors([]);
      setRestored(undefined);
      setStatus({ kind: 'ok', text: `Saved · version ${r.version} is live` });
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        const errs = ((e.body as { errors?: FlowError[] })?.errors ?? []).map((x) => ({ ...x, nodeId: x.nodeId ?? undefined }));
        setServerErrors(errs);
        setPanel('problems');
        setStatus({ kind: 'error', text: `The runtime refused this flow (${errs.length} problem${errs.length === 1 ? '' : 's'}).` });
      } else setStatus({ kind: 'error', text: `Deploy failed: ${(e as Error).message}` });
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => setServerErrors([]), [flow]);

  const active = graph.meta.active !== false;
  const fields = useMemo(() => fieldSuggestions(flow), [flow]);
  const allErrors = useMemo(() => [...serverErrors, ...errors], [serverErrors, errors]);
  const selection = useStableSelection(graph);

  return (
    <div className="fd-editor" data-testid="editor">
      <div className="fd-toolbar">
        <div className="fd-title">
          <input className="fd-title-input" value={graph.meta.name} onChange={(e) => onMeta({ ...graph.meta, name: e.target.value })} data-testid="flow-title" aria-label="Flow name" />
          <code>{flowId}</code>
          {deployedVersion !== undefined && <span className="fd-pill" data-testid="deployed-version">v{deployedVersion}</span>}
          {dirty ? (
            <span className="fd-unsaved" data-testid="unsaved" title="Changes are kept as a draft in this browser until you deploy">
              ● Unsaved changes
            </span>
          ) : (
            <span className="fd-saved" data-testid="saved-state">
              ✓ Saved
            </span>
          )}
        </div>
        <div className="fd-toolbar-actions">
          <button type="button" className="fd-btn" onClick={() => dispatch({ type: 'undo' })} disabled={!hist.past.length} data-testid="undo" data-steps={hist.past.length} title="Undo (Ctrl/Cmd+Z)">
            ↶
          </button>
          <button type="button" className="fd-btn" onClick={() => dispatch({ type: 'redo' })} disabled={!hist.future.length} data-testid="redo" title="Redo (Ctrl/Cmd+Shift+Z)">
            ↷
          </button>
          <button
            type="button"
            className="fd-btn"
            data-testid="tidy"
            onClick={async () => {
              const pos = await elkLayout(graphRef.current);
              update((g) => setPositions(g, pos));
              setTimeout(() => void rf.fitView({ padding: 0.2, duration: 300 }), 50);
            }}
          >
            Tidy up
          </button>
          <button type="button" className="fd-btn" onClick={exportFlow} data-testid="export">
            Export
          </button>
          <button type="button" className="fd-btn" onClick={() => setImportOpen({})} data-testid="import">
            Import
          </button>
          <label className="fd-switch" title={deployedVersion === undefined ? 'Deploy first' : 'Inactive flows ignore their triggers'}>
            <input
              type="checkbox"
              checked={active}
              disabled={busy || invalid || deployedVersion === undefined}
              data-testid="active-switch"
              onChange={(e) => {
                const meta = { ...graph.meta, active: e.target.checked };
                update((g) => ({ ...g, meta }));
                void deploy({ ...currentFlow(), active: e.target.checked });
              }}
            />
            <span>{active ? 'Active' : 'Inactive'}</span>
          </label>
          <button
            type="button"
            className="fd-btn"
            disabled={deployedVersion === undefined || !active}
            title={deployedVersion === undefined ? 'Deploy first' : !active ? 'The flow is inactive' : 'Start a run of the deployed version'}
            onClick={() => setRunNow(true)}
            data-testid="run-now"
          >
            Run now
          </button>
          <button type="button" className="fd-btn primary" disabled={invalid || busy} onClick={() => void deploy()} data-testid="deploy" title={invalid ? 'Fix the problems listed below first' : 'Make this version live'}>
            {busy ? 'Deploying…' : 'Deploy'}
          </button>
        </div>
      </div>
      {restored && (
        <div className="fd-banner" data-testid="draft-restored">
          Restored your unsaved draft from {new Date(restored).toLocaleString()}.
          <button
            type="button"
            className="fd-link"
            data-testid="discard-draft"
            onClick={() => {
              if (!confirm('Discard the draft and go back to the deployed version?')) return;
              clearDraft(flowId);
              dirtyRef.current = false;
              props.reload();
            }}
          >
            Discard draft
          </button>
        </div>
      )}
      {status && (
        <div className={`fd-banner ${status.kind}`} data-testid={status.kind === 'ok' ? 'deploy-ok' : 'editor-status'}>
          {status.text}
        </div>
      )}
      <div className="fd-workspace">
        <Palette onAdd={addEntry} />
        <div className="fd-center">
          <Canvas graph={graph} pathEdges={pathEdges} onNodesChange={onNodesChange} onEdgesChange={onEdgesChange} onConnect={onConnect} onDropEntry={addEntry} onDropFile={onDropFile} />
          <div className="fd-bottom">
            <div className="fd-tabs">
              <button type="button" className={panel === 'problems' ? 'active' : ''} onClick={() => setPanel('problems')} data-testid="tab-problems">
                Problems {errors.length + serverErrors.length > 0 && <span className="fd-badge" data-testid="problem-count">{errors.length + serverErrors.length}</span>}
              </button>
              <button type="button" className={panel === 'dry-run' ? 'active' : ''} onClick={() => setPanel('dry-run')} data-testid="tab-dryrun">
                Dry run
              </button>
              <button type="button" className={panel === 'versions' ? 'active' : ''} onClick={() => setPanel('versions')} data-testid="tab-versions">
                Versions
              </button>
            </div>
            <div className="fd-bottom-body">
              {panel === 'problems' && (checked === null ? <p className="fd-hint">Checking…</p> : <ValidationPanel errors={errors} serverErrors={serverErrors} onPick={pick} />)}
              {panel === 'dry-run' && <DryRunPanel flow={flow} onResult={setDry} />}
              {panel === 'versions' && <VersionsPanel flowId={flowId} current={deployedVersion} deployed={deployedVersion !== undefined} onRolledBack={props.reload} />}
            </div>
          </div>
        </div>
        <SidePanel selected={selection} nodeIds={content.ids} meta={graph.meta} errors={allErrors} fields={fields} onNode={onNode} onTrigger={onTrigger} onMeta={onMeta} onRenamePort={onRenamePort} />
      </div>
      {importOpen && <ImportDialog onImport={applyImport} onClose={() => setImportOpen(null)} initialErrors={importOpen.errors} />}
      {runNow && <RunNowDialog flow={currentFlow()} onClose={() => setRunNow(false)} />}
    </div>
  );
}

function RunNowDialog(props: { flow: Flow; onClose: () => void }) {
  const samples = props.flow.samples ?? [];
  const [text, setText] = useState(JSON.stringify(samples[0]?.payload ?? {}, null, 2));
  const [err, setErr] = useState<string | null>(null);
  return (
    <div className="fd-modal-back" onClick={props.onClose}>
      <div className="fd-modal" role="dialog" aria-label="Run now" data-testid="run-now-dialog" onClick={(e) => e.stopPropagation()}>
        <h3>Run “{props.flow.name}” now</h3>
        <p className="fd-hint">Starts a real run of the deployed version with this payload.</p>
        {samples.length > 0 && (
          <select onChange={(e) => setText(JSON.stringify(samples[Number(e.target.value)]?.payload ?? {}, null, 2))}>
            {samples.map((s, i) => (
              <option key={i} value={i}>
                {s.name}
              </option>
            ))}
          </select>
        )}
        <textarea className="fd-code" rows={8} value={text} onChange={(e) => setText(e.target.value)} data-testid="run-now-payload" />
        {err && (
          <div className="fd-field-error" data-testid="run-now-error" style={{ whiteSpace: 'pre-wrap' }}>
            {err}
          </div>
        )}
        <div className="fd-modal-actions">
          <button type="button" className="fd-btn" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="fd-btn primary"
            data-testid="run-now-start"
            onClick={async () => {
              try {
                const payload = JSON.parse(text);
                const r = await post<{ runId: string }>(`/api/flows/${props.flow.id}/run`, { payload });
                props.onClose();
                navigate(`/runs/${r.runId}`);
              } catch (e) {
                const list = e instanceof ApiError ? ((e.body as { errors?: { path: string; message: string }[] })?.errors ?? []) : [];
                setErr([(e as Error).message, ...list.map((x) => `${x.path || '/'}: ${x.message}`)].join('\n'));
              }
            }}
          >
            Start run
          </button>
        </div>
      </div>
    </div>
  );
}
