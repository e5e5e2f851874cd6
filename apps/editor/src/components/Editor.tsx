// The flow editor: loads the flow (or the browser's draft of it) and puts the pieces together — the
// graph with its history (useEditorGraph), edits (useGraphEdits), shortcuts, validation, drafts,
// deploy; the toolbar, palette, canvas, bottom panel and side panel.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ReactFlowProvider, useReactFlow, useStoreApi } from '@xyflow/react';
import type { Flow } from '@flowdesk/schema';
import type { DryRunResult } from '@flowdesk/engine';
import { ApiError, get, put } from '../api.ts';
import { loadDraft, saveDraft } from '../core/drafts.ts';
import { canonicalJson } from '../core/json.ts';
import { elkLayout } from '../core/layout.ts';
import { flowToGraph, NOTE_PREFIX, setPositions, type Graph, type GraphNodeData } from '../core/mapping.ts';
import type { FlowError } from '../core/validate.ts';
import { setDecorations } from '../decorations.ts';
import { navigate } from '../router.ts';
import { Canvas } from './Canvas.tsx';
import { useFit } from './useFit.ts';
import { BottomPanel, type PanelTab } from './editor/BottomPanel.tsx';
import { RunNowDialog } from './editor/RunNowDialog.tsx';
import { Toolbar } from './editor/Toolbar.tsx';
import { carrySelection, useEditorGraph } from './editor/useEditorGraph.ts';
import { useDraft } from './editor/useDraft.ts';
import { useGraphEdits } from './editor/useGraphEdits.ts';
import { useShortcuts } from './editor/useShortcuts.ts';
import { useValidation } from './editor/useValidation.ts';
import { downloadJson, ImportDialog, parseFlowText } from './ImportDialog.tsx';
import { ConnectionBanner } from './ConnectionBanner.tsx';
import { Palette } from './Palette.tsx';
import { loadPanels, savePanels, type PanelPrefs } from '../core/panels.ts';
import { SidePanel } from './SidePanel.tsx';
import { StepTest } from './editor/StepTest.tsx';
import { loadPinned, PIN_DATA_KEY, savePinned, type Pinned } from '../core/pinned.ts';
import { variablesFor } from '../core/variables.ts';

/** Suggestions for the rule builder's field input: what the node can read, then payload fields and vars. */
function fieldSuggestions(flow: Flow, first: string[] = []): string[] {
  const out = new Set<string>(first);
  const ps = (flow.trigger as { payloadSchema?: { properties?: Record<string, unknown> } }).payloadSchema;
  for (const k of Object.keys(ps?.properties ?? {})) out.add(`payload.${k}`);
  for (const n of flow.nodes) if (n.type === 'compute') for (const k of Object.keys(n.set ?? {})) out.add(`vars.${k}`);
  out.add('vars.score');
  out.add('record.state');
  return [...out];
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
      // a draft that was never deployed is not asked for by id: no 404 in the console for a new flow
      const known = loadDraft(props.flowId) ? (await get<{ id: string }[]>('/api/flows')).some((f) => f.id === props.flowId) : true;
      if (known) deployed = await get<Flow>(`/api/flows/${props.flowId}`);
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
  const fit = useFit();
  const rfStore = useStoreApi();
  /** the canvas size at rest (the side panel comes and goes with the selection), for a layout that fits
   *  it: wrapped into rows only when one row would be too small to read there */
  const room = () => {
    const el = rfStore.getState().domNode;
    if (!el?.clientWidth || !el.clientHeight) return undefined;
    const side = document.querySelector<HTMLElement>('[data-testid="side-panel"]')?.offsetWidth ?? 0;
    return { width: el.clientWidth + side, height: el.clientHeight };
  };
  const [panels, setPanelState] = useState(loadPanels);
  const setPanels = (p: PanelPrefs) => {
    setPanelState(p);
    savePanels(p);
  };
  const { hist, dispatch, graph, graphRef, content, flow, flowRef, currentFlow, update } = useEditorGraph(props.initial);
  const edits = useGraphEdits(graphRef, update);
  useShortcuts(graphRef, update, dispatch);
  const { checked, errors, warnings, serverErrors, setServerErrors, allErrors, invalid } = useValidation(flow, flowRef);
  const draft = useDraft(flowId, graph, currentFlow, props.deployed, props.initial);

  const [deployedVersion, setDeployedVersion] = useState<number | undefined>(props.deployed?.version);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error' | 'info'; text: string } | null>(null);
  /** a deploy refused because another version was deployed since this edit's: the version now live */
  const [overtaken, setOvertaken] = useState<number | null>(null);
  const [restored, setRestored] = useState(props.restoredAt);
  const [panel, setPanel] = useState<PanelTab>('problems');
  const [importOpen, setImportOpen] = useState<{ errors?: FlowError[] } | null>(null);
  const [runNow, setRunNow] = useState(false);
  const [dry, setDry] = useState<DryRunResult | null>(null);
  const [busy, setBusy] = useState(false);

  // --- pinned step outputs (kept in this browser, never deployed)
  const [pinned, setPinnedState] = useState<Pinned>(() => loadPinned(flowId));
  const pin = useCallback(
    (nodeId: string, output: unknown) => {
      setPinnedState((p) => {
        const { [nodeId]: _old, ...rest } = p;
        const next = output === undefined ? rest : { ...rest, [nodeId]: output };
        savePinned(flowId, next);
        return next;
      });
    },
    [flowId],
  );

  // --- dry-run highlight (it belongs to the open dry-run panel)
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
    if (panel !== 'dry-run') setDry(null);
  }, [panel]);

  // --- auto-layout for flows opened without positions
  useEffect(() => {
    if (graph.nodes.some((n) => n.data.placed) || graph.nodes.length < 2) return;
    let cancelled = false;
    void elkLayout(graph, room()).then((pos) => {
      if (cancelled) return;
      update((g) => ({ ...g, nodes: g.nodes.map((n) => (pos.has(n.id) ? { ...n, position: pos.get(n.id)! } : n)) }), false);
      void fit({ maxZoom: 1.1, positions: pos });
    });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on open: the graph as loaded is what gets laid out
  }, []);

  // --- import / export / deploy
  const applyImport = useCallback(
    (doc: Flow) => {
      setImportOpen(null);
      if (doc.id !== flowId) {
        saveDraft(doc.id, doc, true);
        navigate(`/flows/${doc.id}`);
        return;
      }
      update((g) => carrySelection(g, flowToGraph(doc)));
      setPinnedState(loadPinned(flowId)); // the import may have brought pinned data
      setStatus({ kind: 'info', text: 'Imported. Deploy to make it live.' });
    },
    [flowId, update],
  );
  const onDropFile = useCallback(
    async (file: File) => {
      const r = await parseFlowText(await file.text());
      if (r.flow) applyImport(r.flow);
      else setImportOpen({ errors: r.errors });
    },
    [applyImport],
  );
  /** `replace`: deploy even if another version was deployed since the one this edit started from */
  const deploy = async (doc: Flow = currentFlow(), replace = false) => {
    setBusy(true);
    setStatus(null);
    setOvertaken(null);
    try {
      const { version: _v, ...body } = doc;
      // never silently over a version deployed elsewhere (another tab, another person) since this one
      const precondition: Record<string, string> = replace ? {} : deployedVersion === undefined ? { 'if-none-match': '*' } : { 'if-match': `"${deployedVersion}"` };
      const r = await put<{ id: string; version: number }>(`/api/flows/${flowId}`, body, precondition);
      update((g) => ({ ...g, meta: { ...g.meta, version: r.version } }), false);
      draft.markDeployed({ ...doc, version: r.version } as Flow);
      setDeployedVersion(r.version);
      setServerErrors([]);
      setRestored(undefined);
      setStatus({ kind: 'ok', text: `Saved · version ${r.version} is live` });
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        const errs = ((e.body as { errors?: FlowError[] })?.errors ?? []).map((x) => ({ ...x, nodeId: x.nodeId ?? undefined }));
        setServerErrors(errs);
        setPanel('problems');
        if (!panels.bottom) setPanels({ ...panels, bottom: true });
        setStatus({ kind: 'error', text: `The runtime refused this flow (${errs.length} problem${errs.length === 1 ? '' : 's'}).` });
      } else if (e instanceof ApiError && e.status === 409 && typeof (e.body as { latestVersion?: unknown })?.latestVersion === 'number') {
        const latest = (e.body as { latestVersion: number }).latestVersion;
        setOvertaken(latest);
        setStatus({
          kind: 'error',
          text:
            deployedVersion === undefined
              ? `Not deployed: a flow "${flowId}" already exists (version ${latest} is live).`
              : `Not deployed: version ${latest} was deployed elsewhere since version ${deployedVersion}, which you are editing.`,
        });
      } else setStatus({ kind: 'error', text: `Deploy failed: ${(e as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  const active = graph.meta.active !== false;
  const selection = useStableSelection(graph);
  const selectedId = selection.length === 1 && selection[0]!.data.kind === 'step' ? selection[0]!.id : undefined;
  const variables = useMemo(() => variablesFor(flow, selectedId), [flow, selectedId]);
  const fields = useMemo(() => fieldSuggestions(flow, variables.map((v) => v.path)), [flow, variables]);

  // stable, so a drag (which re-renders the editor every frame) does not re-render the side panel's form
  const onNote = useCallback(
    (id: string, text: string) => update((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === id && n.data.kind === 'note' ? { ...n, data: { ...n.data, text } } : n)) })),
    [update],
  );

  // the side panel opens on a selection (or the settings button) and otherwise leaves the canvas the room
  const [settingsOpen, setSettingsOpen] = useState(false);
  const anySelected = selection.length > 0;
  useEffect(() => {
    if (anySelected) setSettingsOpen(false);
  }, [anySelected]);
  const sideShown = panels.side && (anySelected || settingsOpen);
  // the side panel opening narrows the canvas from the right: a selected node it would hide is panned into view
  useEffect(() => {
    if (!sideShown || !anySelected) return;
    const raf = requestAnimationFrame(() => {
      const el = rfStore.getState().domNode;
      const n = rf.getNode(selection[0]!.id);
      if (!el || !n) return;
      const { x, y, zoom } = rf.getViewport();
      const right = (n.position.x + (n.measured?.width ?? 220)) * zoom + x;
      const over = right + 24 - el.clientWidth;
      if (over > 0) void rf.setViewport({ x: x - over, y, zoom }, { duration: 150 });
    });
    return () => cancelAnimationFrame(raf);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- on opening, and on a new selection
  }, [sideShown, selection]);

  const stepTest = useCallback((nodeId: string) => <StepTest key={nodeId} nodeId={nodeId} flow={currentFlow} pinned={pinned} onPin={pin} />, [currentFlow, pinned, pin]);

  return (
    <div className="fd-editor" data-testid="editor">
      <Toolbar
        name={graph.meta.name}
        onRename={(name) => edits.onMeta({ ...graph.meta, name })}
        flowId={flowId}
        deployedVersion={deployedVersion}
        dirty={draft.dirty}
        undoSteps={hist.past.length}
        redoSteps={hist.future.length}
        onUndo={() => dispatch({ type: 'undo' })}
        onRedo={() => dispatch({ type: 'redo' })}
        panels={panels}
        onPanels={setPanels}
        settingsOpen={settingsOpen && !anySelected}
        onSettings={() => {
          if (settingsOpen && !anySelected) return setSettingsOpen(false);
          update((g) => ({ ...g, nodes: g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), edges: g.edges.map((e) => (e.selected ? { ...e, selected: false } : e)) }), false);
          setSettingsOpen(true);
          if (!panels.side) setPanels({ ...panels, side: true });
        }}
        onTidy={async () => {
          const pos = await elkLayout(graphRef.current, room());
          update((g) => setPositions(g, pos));
          void fit({ maxZoom: 1.1, duration: 300, positions: pos });
        }}
        onAddNote={() => {
          const box = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
          const at = box ? rf.screenToFlowPosition({ x: box.left + box.width / 2 - 100, y: box.top + box.height / 3 }) : { x: 0, y: 0 };
          update((g) => {
            const taken = new Set(g.nodes.map((n) => n.id));
            let i = 1;
            while (taken.has(`${NOTE_PREFIX}${i}`)) i++;
            const note = { id: `${NOTE_PREFIX}${i}`, type: 'note', position: { x: Math.round(at.x), y: Math.round(at.y) }, data: { kind: 'note' as const, text: '', placed: true as const }, selected: true };
            return { ...g, nodes: [...g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), note] };
          });
        }}
        onExport={() => {
          const doc = currentFlow();
          downloadJson(`${doc.id}.json`, doc);
        }}
        onExportWithPins={
          Object.keys(pinned).length
            ? () => {
                const doc = currentFlow();
                downloadJson(`${doc.id}.json`, { ...doc, [PIN_DATA_KEY]: pinned });
              }
            : undefined
        }
        onImport={() => setImportOpen({})}
        active={active}
        onActive={(on) => {
          const meta = { ...graph.meta, active: on };
          update((g) => ({ ...g, meta }));
          void deploy({ ...currentFlow(), active: on });
        }}
        onRunNow={() => setRunNow(true)}
        invalid={invalid}
        busy={busy}
        onDeploy={() => void deploy()}
      />
      {restored && (
        <div className="fd-banner" data-testid="draft-restored">
          Restored your unsaved draft from {new Date(restored).toLocaleString()}.
          <button
            type="button"
            className="fd-link"
            data-testid="discard-draft"
            onClick={() => {
              if (!confirm('Discard the draft and go back to the deployed version?')) return;
              draft.discard();
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
          {overtaken !== null && (
            <>
              {' '}
              <button
                type="button"
                className="fd-btn small"
                data-testid="overtaken-load"
                onClick={() => {
                  if (!confirm(`Discard your changes and open version ${overtaken}?`)) return;
                  draft.discard();
                  props.reload();
                }}
              >
                Open version {overtaken}
              </button>{' '}
              <button type="button" className="fd-btn small" data-testid="overtaken-replace" onClick={() => void deploy(currentFlow(), true)}>
                Deploy mine over it
              </button>
            </>
          )}
        </div>
      )}
      <ConnectionBanner flow={flow} />
      <div className="fd-workspace">
        {panels.palette && <Palette onAdd={edits.addEntry} />}
        <div className="fd-center">
          <Canvas graph={graph} showMinimap={panels.minimap} pathEdges={pathEdges} onNodesChange={edits.onNodesChange} onEdgesChange={edits.onEdgesChange} onConnect={edits.onConnect} onDropEntry={edits.addEntry} onDropFile={onDropFile} />
          <BottomPanel
            open={panels.bottom}
            onOpen={(bottom) => setPanels({ ...panels, bottom })}
            tab={panel}
            onTab={setPanel}
            checked={checked}
            errors={errors}
            warnings={warnings}
            serverErrors={serverErrors}
            onPick={edits.pick}
            flow={flow}
            pinned={pinned}
            onDryRun={setDry}
            flowId={flowId}
            deployedVersion={deployedVersion}
            onRolledBack={props.reload}
          />
        </div>
        {sideShown && <SidePanel selected={selection} nodeIds={content.ids} meta={graph.meta} errors={allErrors} fields={fields} variables={variables} stepTest={stepTest} onNode={edits.onNode} onTrigger={edits.onTrigger} onMeta={edits.onMeta} onNote={onNote} onRenamePort={edits.onRenamePort} />}
      </div>
      {importOpen && <ImportDialog onImport={applyImport} onClose={() => setImportOpen(null)} initialErrors={importOpen.errors} />}
      {runNow && <RunNowDialog flow={currentFlow()} onClose={() => setRunNow(false)} />}
    </div>
  );
}
