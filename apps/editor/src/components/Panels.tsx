// Bottom panels of the editor: validation, dry run, version history.
import { useEffect, useState } from 'react';
import type { Flow } from '@flowdesk/schema';
import type { DryRunResult } from '@flowdesk/engine';
import { runDry } from '../core/dryrun.ts';
import { payloadErrors, type FlowError } from '../core/validate.ts';
import { get, post } from '../api.ts';
import { ErrorList } from './ImportDialog.tsx';
import type { Pinned } from '../core/pinned.ts';

function WarningList(props: { warnings: FlowError[]; onPick: (nodeId: string) => void }) {
  if (!props.warnings.length) return null;
  return (
    <ul className="fd-errors fd-warnings" data-testid="warning-list">
      {props.warnings.map((e, i) => (
        <li key={i} data-testid="validation-warning" data-node={e.nodeId ?? ''} className={e.nodeId ? 'clickable' : ''} onClick={() => e.nodeId && props.onPick(e.nodeId)}>
          <span className="fd-pill st-waiting">warning</span> {e.nodeId && <b>{e.nodeId}</b>} {e.message} <code>{e.path}</code>
        </li>
      ))}
    </ul>
  );
}

export function ValidationPanel(props: { errors: FlowError[]; warnings?: FlowError[]; serverErrors: FlowError[]; onPick: (nodeId: string) => void }) {
  const all = [...props.serverErrors.map((e) => ({ ...e, server: true })), ...props.errors.map((e) => ({ ...e, server: false }))];
  const warnings = props.warnings ?? [];
  if (!all.length) {
    return (
      <>
        <div className="fd-ok" data-testid="validation-ok">
          ✓ No problems. This flow can be deployed{warnings.length ? ' — but read the warnings below' : ''}.
        </div>
        <WarningList warnings={warnings} onPick={props.onPick} />
      </>
    );
  }
  return (
    <>
    <WarningList warnings={warnings} onPick={props.onPick} />
    <ul className="fd-errors" data-testid="validation-list">
      {all.map((e, i) => (
        <li key={i} data-testid="validation-error" data-node={e.nodeId ?? ''} className={e.nodeId ? 'clickable' : ''} onClick={() => e.nodeId && props.onPick(e.nodeId)}>
          {e.server && <span className="fd-pill st-failed">runtime</span>} {e.nodeId && <b>{e.nodeId}</b>} {e.message} <code>{e.path}</code>
        </li>
      ))}
    </ul>
    </>
  );
}

export function DryRunPanel(props: { flow: Flow; pinned?: Pinned; onResult: (r: DryRunResult | null) => void }) {
  const samples = props.flow.samples ?? [];
  const [sample, setSample] = useState(0);
  const [text, setText] = useState(JSON.stringify(samples[0]?.payload ?? {}, null, 2));
  const [result, setResult] = useState<DryRunResult | null>(null);
  const [contract, setContract] = useState<{ path: string; message: string }[]>([]);
  const [parseErr, setParseErr] = useState<string | null>(null);
  const [decisions, setDecisions] = useState<Record<string, string>>({});
  const [failing, setFailing] = useState<Record<string, 'ok' | 'error'>>({});
  const reviews = props.flow.nodes.filter((n) => n.type === 'review');
  const actions = props.flow.nodes.filter((n) => n.type === 'action');
  const pick = (i: number) => {
    setSample(i);
    setText(JSON.stringify(samples[i]?.payload ?? {}, null, 2));
  };
  const run = async () => {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
      setParseErr(null);
    } catch (e) {
      setParseErr((e as Error).message);
      return;
    }
    const t = props.flow.trigger as { payloadSchema?: unknown };
    const errs = await payloadErrors(t.payloadSchema, payload);
    setContract(errs);
    if (errs.length) {
      // the runtime would refuse this event (422): no path to show, and nothing "succeeded"
      setResult(null);
      props.onResult(null);
      return;
    }
    const r = await runDry(props.flow, payload, samples[sample]?.headers, { decisions, actionResults: failing, pinned: props.pinned });
    setResult(r);
    props.onResult(r);
  };
  return (
    <div className="fd-dry" data-testid="dryrun-panel">
      <div className="fd-dry-input">
        {samples.length > 0 && (
          <select value={sample} onChange={(e) => pick(Number(e.target.value))} data-testid="dryrun-sample">
            {samples.map((s, i) => (
              <option key={i} value={i}>
                {s.name}
              </option>
            ))}
          </select>
        )}
        <textarea className="fd-code" rows={7} value={text} onChange={(e) => setText(e.target.value)} data-testid="dryrun-payload" spellCheck={false} />
        <div className="fd-row">
          <button type="button" className="fd-btn primary" onClick={() => void run()} data-testid="dryrun-run">
            Dry run
          </button>
          {result && (
            <button
              type="button"
              className="fd-btn"
              onClick={() => {
                setResult(null);
                props.onResult(null);
              }}
            >
              Clear
            </button>
          )}
        </div>
        {parseErr && <div className="fd-field-error">{parseErr}</div>}
        {(reviews.length > 0 || actions.length > 0) && (
          <details data-testid="dryrun-choices">
            <summary className="fd-hint">What-if: review decisions and failing actions</summary>
            {reviews.map((n) => (
              <label key={n.id} className="fd-check">
                {n.id} decides
                <select value={decisions[n.id] ?? n.decisions[0]} onChange={(e) => setDecisions({ ...decisions, [n.id]: e.target.value })}>
                  {n.decisions.map((d) => (
                    <option key={d}>{d}</option>
                  ))}
                </select>
              </label>
            ))}
            {actions.map((n) => (
              <label key={n.id} className="fd-check">
                <input type="checkbox" checked={failing[n.id] === 'error'} onChange={(e) => setFailing({ ...failing, [n.id]: e.target.checked ? 'error' : 'ok' })} /> {n.id} fails
              </label>
            ))}
          </details>
        )}
      </div>
      <div className="fd-dry-result" data-testid="dryrun-result">
        {contract.length > 0 && (
          <div className="fd-callout error" data-testid="dryrun-contract-errors">
            <b>The payload breaks the trigger's contract — the runtime would answer 422:</b>
            <ErrorList errors={contract} testid="dryrun-contract-error" />
          </div>
        )}
        {result && (
          <>
            <div>
              <b>Path:</b> <span data-testid="dryrun-path">{result.path.join(' → ')}</span> <span className={`fd-pill st-${result.status}`} data-testid="dryrun-status">
                {result.status}
              </span>
            </div>
            {result.errors.length > 0 && <ErrorList errors={result.errors} testid="dryrun-error" />}
            <div>
              <b>Vars:</b> <code>{JSON.stringify(result.vars)}</code>
            </div>
            {(result.steps ?? []).some((s) => s.output !== undefined || s.error || s.pinned) && (
              <div>
                <b>Steps:</b>
                <ul>
                  {(result.steps ?? []).map((s, i) => (
                    <li key={i} data-testid="dryrun-step" data-node={s.nodeId} data-status={s.status}>
                      <b>{s.nodeId}</b> <span className={`fd-pill st-${s.status}`}>{s.status}</span>
                      {s.pinned && <span className="fd-pill st-waiting" title="a pinned output stood in for this step">pinned</span>}
                      {s.port && <small> → {s.port}</small>}
                      {s.error && <div className="fd-field-error" data-testid="dryrun-step-error">✗ {s.error}</div>}
                      {s.output !== undefined && <code className="fd-block" data-testid="dryrun-step-output">{JSON.stringify(s.output)}</code>}
                    </li>
                  ))}
                </ul>
              </div>
            )}
            <div>
              <b>Would call:</b>
              {result.actions.length === 0 && ' nothing'}
              <ul>
                {result.actions.map((a, i) => (
                  <li key={i} data-testid="dryrun-action" data-node={a.nodeId} data-failing={a.error ? 'true' : 'false'}>
                    <b>{a.nodeId}</b>: {a.action} <code>{JSON.stringify(a.params)}</code>
                    {a.error && (
                      <div className="fd-field-error" data-testid="dryrun-action-error">
                        ✗ {a.error}
                      </div>
                    )}
                  </li>
                ))}
              </ul>
            </div>
            {result.end?.exitState && (
              <div>
                <b>Record:</b> {result.end.exitState.entity} {result.end.exitState.key} → {result.end.exitState.state}
              </div>
            )}
          </>
        )}
        {!result && !contract.length && <p className="fd-hint">Runs the flow in your browser with the engine the runtime uses. Nothing is sent anywhere.</p>}
      </div>
    </div>
  );
}

interface VersionRow {
  version: number;
  createdAt?: string;
  at?: string;
  deployedAt?: string;
  flow?: Flow;
}

export function VersionsPanel(props: { flowId: string; current?: number; deployed: boolean; onRolledBack: () => void }) {
  const [rows, setRows] = useState<VersionRow[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const load = () =>
    get<unknown>(`/api/flows/${props.flowId}/versions`)
      .then((r) => {
        const list = (Array.isArray(r) ? r : ((r as { versions?: unknown[] })?.versions ?? [])) as (VersionRow | number)[];
        setRows(list.map((x) => (typeof x === 'number' ? { version: x } : x)).sort((a, b) => b.version - a.version));
      })
      .catch((e) => setErr((e as Error).message));
  useEffect(() => {
    if (props.deployed) void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reload when the flow or its deployed version changes, not when `load` is re-created
  }, [props.flowId, props.current, props.deployed]);
  if (!props.deployed) return <p className="fd-hint">Not deployed yet: versions appear after the first deploy.</p>;
  if (err) return <div className="fd-field-error">{err}</div>;
  if (!rows) return <p className="fd-hint">Loading…</p>;
  return (
    <table className="fd-table" data-testid="versions">
      <tbody>
        {rows.map((v) => (
          <tr key={v.version} data-testid={`version-${v.version}`}>
            <td>v{v.version}</td>
            <td>{v.createdAt ?? v.deployedAt ?? v.at ?? ''}</td>
            <td>{v.version === props.current ? <span className="fd-pill st-succeeded">current</span> : null}</td>
            <td>
              {v.version !== props.current && (
                <button
                  type="button"
                  className="fd-btn small"
                  data-testid={`rollback-${v.version}`}
                  onClick={async () => {
                    if (!confirm(`Roll back to v${v.version}? This deploys a new version equal to v${v.version}.`)) return;
                    await post(`/api/flows/${props.flowId}/rollback`, { version: v.version });
                    props.onRolledBack();
                  }}
                >
                  Roll back
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
