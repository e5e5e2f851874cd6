// Runs: a filtered, auto-refreshing list; one run on the canvas with its path and each step's details.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import type { Flow, LoopState, Run, Step } from '@flowdesk/schema';
import { get, post } from '../api.ts';
import { flowToGraph } from '../core/mapping.ts';
import { setDecorations } from '../decorations.ts';
import { navigate } from '../router.ts';
import { Canvas } from '../components/Canvas.tsx';
import { ReplayResult, useReplay } from './replay.tsx';

const STATUSES = ['queued', 'running', 'waiting', 'needs_review', 'held', 'succeeded', 'dead', 'failed', 'cancelled'];

export function usePoll<T>(load: () => Promise<T>, ms: number, enabled = true): { data: T | null; error: string | null; refresh: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    load()
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e) => setError((e as Error).message));
  }, [load]);
  useEffect(() => {
    refresh();
    if (!enabled) return;
    const t = setInterval(refresh, ms);
    return () => clearInterval(t);
  }, [refresh, ms, enabled]);
  return { data, error, refresh };
}

export const when = (s?: string) => (s ? s.replace('T', ' ').slice(0, 19) : '');

/** A day picked in the browser (local time) → the instant it starts, ISO; `next` → the instant it ends. */
function dayStart(day: string, next = false): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (next ? 1 : 0)).toISOString();
}

export function RunsPage() {
  const params = new URLSearchParams(location.search);
  const [status, setStatus] = useState(params.get('status') ?? '');
  const [flowId, setFlowId] = useState(params.get('flowId') ?? '');
  const [fromDay, setFromDay] = useState(params.get('from') ?? '');
  const [toDay, setToDay] = useState(params.get('to') ?? '');
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [auto, setAuto] = useState(true);
  const flows = usePoll(useCallback(() => get<Flow[]>('/api/flows'), []), 60_000, false);
  const load = useCallback(async () => {
    const q = new URLSearchParams();
    if (status) q.set('status', status);
    if (flowId) q.set('flowId', flowId);
    const from = dayStart(fromDay);
    const to = dayStart(toDay, true); // the "to" day is included
    if (from) q.set('from', from);
    if (to) q.set('to', to);
    q.set('limit', '100');
    const text = search.trim();
    if (!text) return get<Run[]>(`/api/runs?${q}`);
    // the search box finds a run by its idempotency key or by its record ("ada@x.io", "account:ada@x.io")
    const byKey = new URLSearchParams(q);
    byKey.set('key', text);
    const byRecord = new URLSearchParams(q);
    byRecord.set('record', text);
    const [a, b] = await Promise.all([get<Run[]>(`/api/runs?${byKey}`), get<Run[]>(`/api/runs?${byRecord}`)]);
    const seen = new Set<string>();
    return [...a, ...b]
      .filter((r) => !seen.has(r.id) && seen.add(r.id))
      .sort((x, y) => (y.createdAt ?? '').localeCompare(x.createdAt ?? '') || y.id.localeCompare(x.id))
      .slice(0, 100);
  }, [status, flowId, fromDay, toDay, search]);
  const runs = usePoll(load, 2000, auto);
  useEffect(() => {
    const q = new URLSearchParams();
    if (status) q.set('status', status);
    if (flowId) q.set('flowId', flowId);
    if (fromDay) q.set('from', fromDay);
    if (toDay) q.set('to', toDay);
    if (search.trim()) q.set('q', search.trim());
    history.replaceState(null, '', `/runs${q.size ? `?${q}` : ''}`);
  }, [status, flowId, fromDay, toDay, search]);
  return (
    <div className="fd-page" data-testid="runs-page">
      <div className="fd-page-head">
        <h2>Runs</h2>
        <div className="fd-row">
          <select value={flowId} onChange={(e) => setFlowId(e.target.value)} data-testid="runs-flow-filter">
            <option value="">All flows</option>
            {(flows.data ?? []).map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
          <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="runs-status-filter">
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <label className="fd-check" title="runs started on or after this day">
            from <input type="date" value={fromDay} max={toDay || undefined} onChange={(e) => setFromDay(e.target.value)} data-testid="runs-from" />
          </label>
          <label className="fd-check" title="runs started on or before this day">
            to <input type="date" value={toDay} min={fromDay || undefined} onChange={(e) => setToDay(e.target.value)} data-testid="runs-to" />
          </label>
          <input type="search" placeholder="Key or record (e.g. ada@x.io)" aria-label="Search runs by key or record" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="runs-search" />
          <label className="fd-check">
            <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} data-testid="runs-auto" /> auto-refresh
          </label>
          <button type="button" className="fd-btn" onClick={runs.refresh}>
            Refresh
          </button>
        </div>
      </div>
      {runs.error && <div className="fd-callout error">{runs.error}</div>}
      <table className="fd-table fd-list" data-testid="runs-table">
        <thead>
          <tr>
            <th>Started</th>
            <th>Flow</th>
            <th>Status</th>
            <th>Steps</th>
            <th>About (record or key)</th>
            <th>Run</th>
          </tr>
        </thead>
        <tbody>
          {(runs.data ?? []).map((r) => (
            <tr
              key={r.id}
              className="clickable"
              data-testid="run-row"
              data-run={r.id}
              onClick={() => navigate(`/runs/${r.id}`)}
            >
              <td>{when(r.createdAt ?? r.startedAt)}</td>
              <td>
                {r.flowId} <small>v{r.flowVersion}</small>
              </td>
              <td>
                <span className={`fd-pill st-${r.status}`} data-testid="run-status">
                  {r.status}
                </span>
                {r.outcome && <small> {r.outcome}</small>}
              </td>
              <td>{r.steps?.length ?? ''}</td>
              <td data-testid="run-about">{r.record ? `${r.record.entity} ${r.record.key}` : (r.idempotencyKey ?? '')}</td>
              <td>
                <code>{r.id}</code>
              </td>
            </tr>
          ))}
          {runs.data && runs.data.length === 0 && (
            <tr>
              <td colSpan={6} className="fd-hint">
                No runs match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

async function loadFlowVersion(flowId: string, version: number): Promise<Flow> {
  try {
    const list = await get<unknown>(`/api/flows/${flowId}/versions`);
    const arr = (Array.isArray(list) ? list : ((list as { versions?: unknown[] }).versions ?? [])) as { version: number; doc?: Flow; flow?: Flow }[];
    const hit = arr.find((v) => v.version === version);
    if (hit?.doc) return hit.doc;
    if (hit?.flow) return hit.flow;
    if (hit && (hit as unknown as Flow).nodes) return hit as unknown as Flow;
  } catch {
    /* fall back to the latest */
  }
  try {
    return await get<Flow>(`/api/flows/${flowId}/versions/${version}`);
  } catch {
    return get<Flow>(`/api/flows/${flowId}`);
  }
}

export function RunView(props: { runId: string }) {
  const loadRun = useCallback(() => get<Run>(`/api/runs/${props.runId}`), [props.runId]);
  const [live, setLive] = useState(true);
  const run = usePoll(loadRun, 2000, live);
  const [flow, setFlow] = useState<Flow | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [latestVersion, setLatestVersion] = useState<number | undefined>(undefined);
  const { outcomes, replay } = useReplay();
  const r = run.data;
  useEffect(() => {
    if (r && ['succeeded', 'dead', 'failed', 'cancelled'].includes(r.status)) setLive(false);
  }, [r]);
  // a replay on the latest version moves the run to it: the canvas follows
  useEffect(() => {
    if (r && (!flow || flow.version !== r.flowVersion)) void loadFlowVersion(r.flowId, r.flowVersion).then((f) => setFlow({ ...f, version: r.flowVersion }));
  }, [r, flow]);
  const failedRun = r ? r.status === 'dead' || r.status === 'failed' : false;
  const flowIdOfRun = r?.flowId;
  useEffect(() => {
    if (failedRun && flowIdOfRun) void get<Flow>(`/api/flows/${flowIdOfRun}`).then((f) => setLatestVersion(f.version)).catch(() => undefined);
  }, [failedRun, flowIdOfRun]);
  const replayRun = async (onLatest: boolean) => {
    if (!r) return;
    setMsg(null);
    await replay(`/api/runs/${r.id}/replay`, r.id, onLatest);
    setLive(true);
    run.refresh();
  };
  const graph = useMemo(() => (flow ? flowToGraph(flow) : null), [flow]);
  const pathIds = useMemo(() => (r ? ['trigger', ...r.steps.map((s) => s.nodeId)] : []), [r]);
  const pathEdges = useMemo(() => {
    if (!graph || !r) return new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i + 1 < pathIds.length; i++) {
      const from = pathIds[i]!;
      const to = pathIds[i + 1]!;
      const port = i > 0 ? r.steps[i - 1]?.port : undefined;
      const e = graph.edges.find((x) => x.source === from && x.target === to && (!port || x.sourceHandle === port)) ?? graph.edges.find((x) => x.source === from && x.target === to);
      if (e) ids.add(e.id);
    }
    return ids;
  }, [graph, r, pathIds]);
  useEffect(() => {
    if (!r) return;
    const status = new Map<string, string>();
    for (const s of r.steps) status.set(s.nodeId, s.status);
    // a loop body's nodes: on the path when an item went through them, failed when any item failed there
    const path = new Set(pathIds);
    for (const loop of Object.values(r.loops ?? {}))
      for (const st of loop.states)
        for (const s of st.steps) {
          path.add(s.nodeId);
          if (status.get(s.nodeId) !== 'failed') status.set(s.nodeId, s.status);
        }
    setDecorations({ path, status, errors: new Map(), warnings: new Map() });
  }, [r, pathIds]);
  useEffect(() => () => setDecorations({ path: new Set(), status: new Map() }), []);
  if (run.error) return <div className="fd-page fd-callout error">{run.error}</div>;
  if (!r) return <div className="fd-page">Loading…</div>;
  const steps = r.steps.filter((s) => !picked || s.nodeId === picked);
  return (
    <div className="fd-runview" data-testid="run-view" data-run={r.id}>
      <div className="fd-toolbar">
        <div className="fd-title">
          <a
            href="/runs"
            onClick={(e) => {
              e.preventDefault();
              navigate('/runs');
            }}
          >
            ← Runs
          </a>
          <b>{r.flowId}</b> <small>v{r.flowVersion}</small>
          <a
            href={`/flows/${r.flowId}`}
            data-testid="run-open-editor"
            title="open this flow in the editor"
            onClick={(e) => {
              e.preventDefault();
              navigate(`/flows/${r.flowId}`);
            }}
          >
            edit the flow
          </a>
          <span className={`fd-pill st-${r.status}`} data-testid="run-view-status">
            {r.status}
          </span>
          <code>{r.id}</code>
          {r.parent && (
            <a
              href={`/runs/${r.parent.runId}`}
              data-testid="run-parent"
              title={`this run was started by step ${r.parent.nodeId} of a ${r.parent.flowId} run`}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/runs/${r.parent!.runId}`);
              }}
            >
              ↖ called by {r.parent.flowId} ({r.parent.nodeId})
            </a>
          )}
        </div>
        <div className="fd-toolbar-actions">
          {(r.status === 'dead' || r.status === 'failed') && latestVersion !== undefined && latestVersion > r.flowVersion && (
            <button type="button" className="fd-btn primary" data-testid="run-replay-latest" onClick={() => void replayRun(true)} title="after a fix: resume at the failed step on the latest deployed version">
              Replay on latest (v{latestVersion})
            </button>
          )}
          {(r.status === 'dead' || r.status === 'failed') && (
            <button type="button" className="fd-btn" data-testid="run-replay" onClick={() => void replayRun(false)} title="resume at the failed step on the version it failed on">
              Replay on v{r.flowVersion}
            </button>
          )}
          {(r.status === 'waiting' || r.status === 'queued') && (
            <button type="button" className="fd-btn" onClick={() => void post(`/api/runs/${r.id}/cancel`).then(run.refresh)}>
              Cancel run
            </button>
          )}
        </div>
      </div>
      {msg && <div className="fd-banner">{msg}</div>}
      {outcomes[r.id] && <ReplayResult outcome={outcomes[r.id]!} />}
      {r.error && <div className="fd-banner error">{r.error}</div>}
      <div className="fd-workspace">
        <div className="fd-center">
          {graph ? (
            <ReactFlowProvider>
              <Canvas graph={graph} readOnly pathEdges={pathEdges} onNodeClick={(id) => setPicked((p) => (p === id ? null : id))} />
            </ReactFlowProvider>
          ) : (
            <p>Loading the flow…</p>
          )}
        </div>
        <aside className="fd-side wide" data-testid="run-steps">
          <header>
            <b>Steps</b> {picked && <button type="button" className="fd-link" onClick={() => setPicked(null)}>show all</button>}
          </header>
          <details>
            <summary>Payload</summary>
            <pre className="fd-pre">{JSON.stringify(r.payload, null, 2)}</pre>
          </details>
          {steps.map((s, i) => (
            <StepCard key={`${s.nodeId}-${i}`} step={s} loop={r.loops?.[s.nodeId]} childRunId={flow ? childRunOf(flow, s) : undefined} />
          ))}
          <details>
            <summary>Vars</summary>
            <pre className="fd-pre">{JSON.stringify(r.vars, null, 2)}</pre>
          </details>
        </aside>
      </div>
    </div>
  );
}

/** The child run a flow.call step started (its output carries the run id while waiting and after). */
function childRunOf(flow: Flow, step: Step): string | undefined {
  const node = flow.nodes.find((n) => n.id === step.nodeId);
  if (node?.type !== 'action' || node.action !== 'flow.call') return undefined;
  const id = (step.output as { runId?: unknown } | undefined)?.runId;
  return typeof id === 'string' ? id : undefined;
}

/** A foreach step's items: each one's status and its result (or error), in order. */
function LoopItems({ loop }: { loop: LoopState }) {
  const shown = loop.states.slice(0, 200);
  return (
    <details open data-testid="loop-items">
      <summary>
        {loop.states.length} item(s): {loop.states.filter((s) => s.status === 'succeeded').length} succeeded
        {loop.states.some((s) => s.status === 'failed') && `, ${loop.states.filter((s) => s.status === 'failed').length} failed`}
      </summary>
      <table className="fd-table">
        <tbody>
          {shown.map((st) => (
            <tr key={st.index} data-testid={`loop-item-${st.index}`} data-status={st.status}>
              <td>#{st.index}</td>
              <td>
                <code>{short(loop.items[st.index])}</code>
              </td>
              <td>
                <span className={`fd-pill st-${st.status}`}>{st.status}</span>
              </td>
              <td data-testid="loop-item-result">{st.status === 'failed' ? <span className="fd-field-error">{st.error}</span> : st.result !== undefined ? <code>{short(st.result)}</code> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {loop.states.length > shown.length && <p className="fd-hint">…and {loop.states.length - shown.length} more (see the output).</p>}
    </details>
  );
}

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? '';
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
};

function StepCard({ step, loop, childRunId }: { step: Step; loop?: LoopState; childRunId?: string }) {
  return (
    <div className="fd-step" data-testid={`step-${step.nodeId}`}>
      <div className="fd-row">
        <b>{step.nodeId}</b> <span className={`fd-pill st-${step.status}`}>{step.status}</span>
        {step.port && <small>→ {step.port}</small>}
        <small className="fd-grow">{when(step.startedAt)}</small>
      </div>
      {step.error && <div className="fd-field-error">{step.error}</div>}
      {childRunId && (
        <a
          href={`/runs/${childRunId}`}
          data-testid="step-child-run"
          onClick={(e) => {
            e.preventDefault();
            navigate(`/runs/${childRunId}`);
          }}
        >
          ↘ the called run <code>{childRunId}</code>
        </a>
      )}
      {loop && <LoopItems loop={loop} />}
      {step.input !== undefined && (
        <details>
          <summary>Input</summary>
          <pre className="fd-pre">{JSON.stringify(step.input, null, 2)}</pre>
        </details>
      )}
      {step.output !== undefined && (
        <details>
          <summary>Output</summary>
          <pre className="fd-pre">{JSON.stringify(step.output, null, 2)}</pre>
        </details>
      )}
      {step.attempts?.length > 0 && (
        <details open={step.attempts.length > 1}>
          <summary>{step.attempts.length} attempt(s)</summary>
          <table className="fd-table">
            <tbody>
              {step.attempts.map((a, i) => (
                <tr key={i}>
                  <td>{when(a.at)}</td>
                  <td>{a.status ?? ''}</td>
                  <td>{a.errorClass ?? 'ok'}</td>
                  <td>{a.durationMs} ms</td>
                  <td>{a.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}
