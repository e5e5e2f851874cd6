// The flow list: the runtime's flows (and local drafts) with trigger, version and last run status.
import { useCallback, useEffect, useState } from 'react';
import type { Flow, Run } from '@flowdesk/schema';
import { del, get, post } from '../api.ts';
import { clearDraft, draftIds, loadDraft, saveDraft } from '../core/drafts.ts';
import { freshId, slug } from '../core/ids.ts';
import { newFlow } from '../core/templates.ts';
import { triggerSummary } from '../core/look.ts';
import { navigate } from '../router.ts';
import { ImportDialog } from '../components/ImportDialog.tsx';

type Row = { flow: Flow & { hold?: boolean }; deployed: boolean; draft: boolean; heldRuns?: number; lastRun?: { status: string; at: string; id: string } };

export function FlowList() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [idText, setIdText] = useState('');
  const [importing, setImporting] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState<Row | null>(null);

  const load = useCallback(async () => {
    try {
      const list = await get<(Flow & { hold?: boolean; heldRuns?: number; lastRun?: { status: string; startedAt?: string; createdAt?: string; id: string } })[]>('/api/flows');
      let runs: Run[] = [];
      try {
        runs = await get<Run[]>('/api/runs?limit=200');
      } catch {
        /* runs are optional here */
      }
      const latest = new Map<string, Run>();
      for (const r of runs) if (!latest.has(r.flowId)) latest.set(r.flowId, r);
      const out: Row[] = (Array.isArray(list) ? list : []).map((f) => {
        const lr = f.lastRun ?? latest.get(f.id);
        return {
          flow: f,
          deployed: true,
          draft: Boolean(loadDraft(f.id)),
          heldRuns: f.heldRuns,
          lastRun: lr ? { status: lr.status, at: (lr as Run).createdAt ?? (lr as { startedAt?: string }).startedAt ?? '', id: lr.id } : undefined,
        };
      });
      const known = new Set(out.map((r) => r.flow.id));
      for (const id of draftIds()) {
        const d = loadDraft(id);
        if (d && !known.has(id)) out.push({ flow: d.flow, deployed: false, draft: true });
      }
      out.sort((a, b) => a.flow.name.localeCompare(b.flow.name));
      setRows(out);
      setErr(null);
    } catch (e) {
      setErr((e as Error).message);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const taken = new Set((rows ?? []).map((r) => r.flow.id));
  const suggestedId = freshId(slug(name.trim() || 'New flow'), taken);
  const idProblem = !idText.trim()
    ? null
    : !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(idText.trim())
      ? 'an id is lower-case letters, digits, - and _ (it is also the webhook path)'
      : taken.has(idText.trim())
        ? `a flow "${idText.trim()}" exists already`
        : null;
  const create = () => {
    if (idProblem) return;
    const n = name.trim() || 'New flow';
    const id = idText.trim() || suggestedId;
    saveDraft(id, newFlow(id, n), true);
    navigate(`/flows/${id}`);
  };
  const duplicate = async (r: Row) => {
    const src = r.deployed ? await get<Flow>(`/api/flows/${r.flow.id}`) : r.flow;
    const id = freshId(`${src.id}-copy`, taken);
    const { version: _v, ...rest } = structuredClone(src);
    const copy = { ...rest, id, name: `${src.name} (copy)` } as Flow;
    if (copy.trigger.type === 'webhook') copy.trigger = { ...copy.trigger, path: `${copy.trigger.path}-copy` };
    saveDraft(id, copy, true);
    navigate(`/flows/${id}`);
  };

  return (
    <div className="fd-page" data-testid="flow-list">
      <div className="fd-page-head">
        <h2>Flows</h2>
        <div className="fd-row">
          <button type="button" className="fd-btn" onClick={() => setImporting(true)} data-testid="import-flow">
            Import
          </button>
          <button type="button" className="fd-btn primary" onClick={() => setCreating(true)} data-testid="new-flow">
            + New flow
          </button>
        </div>
      </div>
      {creating && (
        <form
          className="fd-card fd-row"
          onSubmit={(e) => {
            e.preventDefault();
            create();
          }}
        >
          <label className="fd-field">
            <span className="fd-field-label">Name</span>
            <input autoFocus placeholder="What does it do? e.g. Lead intake" value={name} onChange={(e) => setName(e.target.value)} data-testid="new-flow-name" />
          </label>
          <label className="fd-field">
            <span className="fd-field-label">Id (also its webhook path)</span>
            <input placeholder={suggestedId} value={idText} onChange={(e) => setIdText(e.target.value)} data-testid="new-flow-id" aria-invalid={idProblem ? true : undefined} />
            {idProblem && (
              <span className="fd-field-error" data-testid="new-flow-id-error">
                {idProblem}
              </span>
            )}
          </label>
          <button type="submit" className="fd-btn primary" data-testid="new-flow-create" disabled={Boolean(idProblem)}>
            Create
          </button>
          <button type="button" className="fd-btn" onClick={() => setCreating(false)}>
            Cancel
          </button>
        </form>
      )}
      {err && <div className="fd-callout error">{err}</div>}
      {!rows && !err && <p>Loading…</p>}
      {rows && rows.length === 0 && <p className="fd-hint">No flows yet. Create one, or import a blueprint.</p>}
      {rows && rows.length > 0 && (
        <table className="fd-table fd-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Trigger</th>
              <th>Version</th>
              <th>Last run</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.flow.id} data-testid={`flow-row-${r.flow.id}`}>
                <td>
                  <a
                    href={`/flows/${r.flow.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(`/flows/${r.flow.id}`);
                    }}
                    data-testid={`open-${r.flow.id}`}
                  >
                    <b>{r.flow.name}</b>
                  </a>
                  <div className="fd-hint">
                    {r.flow.id}
                    {r.flow.active === false && !r.flow.hold && ' · inactive'}
                    {r.flow.hold && ' · paused, holding events'}
                  </div>
                  {r.flow.hold && (
                    <span className="fd-pill warn" data-testid={`held-${r.flow.id}`}>
                      {r.heldRuns ?? 0} held
                    </span>
                  )}
                </td>
                <td>{triggerSummary(r.flow.trigger)}</td>
                <td>
                  {r.deployed ? `v${r.flow.version ?? '?'}` : <span className="fd-pill">not deployed</span>} {r.draft && <span className="fd-pill warn">draft</span>}
                </td>
                <td>
                  {r.lastRun ? (
                    <a
                      href={`/runs/${r.lastRun.id}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`/runs/${r.lastRun!.id}`);
                      }}
                    >
                      <span className={`fd-pill st-${r.lastRun.status}`}>{r.lastRun.status}</span> <small>{r.lastRun.at.replace('T', ' ').slice(0, 16)}</small>
                    </a>
                  ) : (
                    <span className="fd-hint">—</span>
                  )}
                </td>
                <td className="fd-row-actions">
                  {r.deployed && <HoldControls row={r} onDone={() => void load()} onError={setErr} />}
                  <button type="button" className="fd-btn small" onClick={() => void duplicate(r)} data-testid={`duplicate-${r.flow.id}`}>
                    Duplicate
                  </button>
                  <button type="button" className="fd-btn small danger" onClick={() => setConfirmDelete(r)} data-testid={`delete-${r.flow.id}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {confirmDelete && (
        <div className="fd-modal-back" onClick={() => setConfirmDelete(null)}>
          <div className="fd-modal" role="dialog" data-testid="confirm-delete" onClick={(e) => e.stopPropagation()}>
            <h3>Delete “{confirmDelete.flow.name}”?</h3>
            <p>{confirmDelete.deployed ? 'Its triggers stop at once. Its history and past runs are kept.' : 'The local draft is removed.'}</p>
            <div className="fd-modal-actions">
              <button type="button" className="fd-btn" onClick={() => setConfirmDelete(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="fd-btn danger"
                data-testid="confirm-delete-yes"
                onClick={async () => {
                  const r = confirmDelete;
                  setConfirmDelete(null);
                  if (r.deployed) await del(`/api/flows/${r.flow.id}`).catch((e) => setErr((e as Error).message));
                  clearDraft(r.flow.id);
                  void load();
                }}
              >
                Delete
              </button>
            </div>
          </div>
        </div>
      )}
      {importing && (
        <ImportDialog
          onClose={() => setImporting(false)}
          onImport={(f) => {
            let doc = f;
            if (taken.has(f.id)) {
              const id = freshId(f.id, taken);
              if (!confirm(`A flow “${f.id}” already exists. Import as “${id}”?`)) return;
              doc = { ...f, id };
            }
            saveDraft(doc.id, doc, true);
            setImporting(false);
            navigate(`/flows/${doc.id}`);
          }}
        />
      )}
    </div>
  );
}

/**
 * Pause a flow while keeping its webhook answering (events wait as held runs), switch it back on (held
 * events start in arrival order), or discard what is held.
 */
function HoldControls(props: { row: Row; onDone: () => void; onError: (m: string) => void }) {
  const f = props.row.flow;
  const act = async (path: string, body: unknown, question?: string) => {
    if (question && !confirm(question)) return;
    try {
      await post(`/api/flows/${f.id}/${path}`, body);
      props.onDone();
    } catch (e) {
      props.onError((e as Error).message);
    }
  };
  const holdable = f.trigger.type === 'webhook' || f.trigger.type === 'schedule';
  return (
    <>
      {f.active !== false && holdable && (
        <button type="button" className="fd-btn small" title="Stop running it; events are kept and run when you switch it back on" onClick={() => void act('active', { active: false, hold: true })} data-testid={`hold-${f.id}`}>
          Pause &amp; hold
        </button>
      )}
      {f.active === false && (
        <button type="button" className="fd-btn small primary" onClick={() => void act('active', { active: true })} data-testid={`resume-${f.id}`}>
          {props.row.heldRuns ? `Resume (runs ${props.row.heldRuns})` : 'Resume'}
        </button>
      )}
      {f.hold && (props.row.heldRuns ?? 0) > 0 && (
        <button
          type="button"
          className="fd-btn small danger"
          onClick={() => void act('held/discard', {}, `Discard the ${props.row.heldRuns} held event(s) of “${f.name}”? They are cancelled and never run.`)}
          data-testid={`discard-held-${f.id}`}
        >
          Discard held
        </button>
      )}
    </>
  );
}
