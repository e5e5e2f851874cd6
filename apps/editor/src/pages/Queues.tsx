// Dead letters (replay/discard), the review queue (SOP + decisions), the local e-mail outbox.
import { useCallback, useState } from 'react';
import type { DeadLetter, Flow, ReviewItem } from '@flowdesk/schema';
import { ApiError, get, post } from '../api.ts';
import { navigate } from '../router.ts';
import { usePoll, when } from './Runs.tsx';
import { ReplayResult, useReplay } from './replay.tsx';

function NotYet({ error }: { error: string | null }) {
  if (!error) return null;
  return <div className="fd-callout">{/404/.test(error) ? 'This part of the runtime is not available yet.' : error}</div>;
}
const runLink = (id: string) => (
  <a
    href={`/runs/${id}`}
    onClick={(e) => {
      e.preventDefault();
      navigate(`/runs/${id}`);
    }}
  >
    <code>{id}</code>
  </a>
);

export function DeadLettersPage() {
  const list = usePoll(useCallback(() => get<DeadLetter[]>('/api/dead-letters'), []), 5000);
  const flows = usePoll(useCallback(() => get<Flow[]>('/api/flows'), []), 15_000);
  const latest = new Map((flows.data ?? []).map((f) => [f.id, f.version ?? 0]));
  const [msg, setMsg] = useState<string | null>(null);
  const { outcomes, replay } = useReplay();
  const act = async (id: string, what: 'discard') => {
    if (!confirm('Discard this dead letter? The run stays dead.')) return;
    try {
      await post(`/api/dead-letters/${id}/${what}`);
      setMsg('Discarded.');
    } catch (e) {
      setMsg(e instanceof ApiError ? e.message : String(e));
    }
    list.refresh();
  };
  const replayDl = async (d: DeadLetter, onLatest: boolean) => {
    await replay(`/api/dead-letters/${d.id}/replay`, d.runId, onLatest);
    list.refresh();
  };
  const open = (list.data ?? []).filter((d) => d.status === 'open' || d.status === 'replaying');
  return (
    <div className="fd-page" data-testid="dead-letters">
      <h2>Dead letters</h2>
      <p className="fd-hint">Runs that failed for good after every retry. Fix the cause, then replay: the run resumes at the failed step.</p>
      {msg && <div className="fd-banner">{msg}</div>}
      {Object.values(outcomes).map((o) => (
        <ReplayResult key={o.runId} outcome={o} onOpen={(id) => navigate(`/runs/${id}`)} />
      ))}
      <NotYet error={list.error} />
      {list.data && open.length === 0 && <p className="fd-ok">✓ Nothing failed.</p>}
      {open.map((d) => (
        <div className="fd-card" key={d.id} data-testid="dead-letter">
          <div className="fd-row">
            <span className={`fd-pill sev-${d.severity}`}>{d.severity}</span> <b>{d.flowId}</b> at <b>{d.nodeId}</b> {runLink(d.runId)} <small className="fd-grow">{when(d.createdAt)}</small>
            {(latest.get(d.flowId) ?? d.flowVersion) > d.flowVersion && (
              <button type="button" className="fd-btn primary small" onClick={() => void replayDl(d, true)} data-testid="dl-replay-latest" title="after a fix: the run resumes at the failed step on the latest deployed version">
                Replay on latest (v{latest.get(d.flowId)})
              </button>
            )}
            <button type="button" className="fd-btn small" onClick={() => void replayDl(d, false)} data-testid="dl-replay" title="the run resumes at the failed step on the version it failed on">
              Replay on v{d.flowVersion}
            </button>
            <button type="button" className="fd-btn small" onClick={() => void act(d.id, 'discard')} data-testid="dl-discard">
              Discard
            </button>
          </div>
          <div className="fd-field-error">{d.error}</div>
          {d.sop?.length > 0 && (
            <ol className="fd-sop">
              {d.sop.map((s, i) => (
                <li key={i}>{s}</li>
              ))}
            </ol>
          )}
        </div>
      ))}
    </div>
  );
}

/** Who a review item is about: its record, and the payload's naming fields, above the raw JSON. */
function whoOf(r: ReviewItem): string {
  const ctx = (r.context ?? {}) as { payload?: Record<string, unknown>; record?: { entity?: string; key?: string } | null };
  const p = ctx.payload && typeof ctx.payload === 'object' ? ctx.payload : {};
  const parts = ['name', 'company', 'email', 'orderId', 'amount', 'budget'].filter((k) => typeof p[k] === 'string' || typeof p[k] === 'number').map((k) => `${k}: ${String(p[k])}`);
  if (ctx.record?.key && !parts.some((x) => x.endsWith(`: ${ctx.record!.key}`))) parts.unshift(`${ctx.record.entity ?? 'record'} ${ctx.record.key}`);
  return parts.join(' · ');
}

export function ReviewsPage() {
  const list = usePoll(useCallback(() => get<ReviewItem[]>('/api/reviews'), []), 5000);
  const [msg, setMsg] = useState<string | null>(null);
  const resolve = async (id: string, decision: string) => {
    try {
      await post(`/api/reviews/${id}/resolve`, { decision });
      setMsg(`Decided: ${decision}`);
    } catch (e) {
      setMsg((e as Error).message);
    }
    list.refresh();
  };
  const open = (list.data ?? []).filter((r) => r.status === 'open');
  return (
    <div className="fd-page" data-testid="reviews">
      <h2>Review queue</h2>
      {msg && <div className="fd-banner">{msg}</div>}
      <NotYet error={list.error} />
      {list.data && open.length === 0 && <p className="fd-ok">✓ Nothing waits for you.</p>}
      {open.map((r) => (
        <div className="fd-card" key={r.id} data-testid="review-item">
          <div className="fd-row">
            <b>{r.title || r.nodeId}</b> <span className="fd-pill">{r.queue}</span> <small>{r.flowId}</small> {runLink(r.runId)} <small className="fd-grow">{when(r.createdAt)}</small>
          </div>
          {whoOf(r) && (
            <div className="fd-who" data-testid="review-who">
              {whoOf(r)}
            </div>
          )}
          {r.timeout && (
            <small className="fd-hint" data-testid="review-timeout">
              Nobody deciding by {when(r.timeout.at)} means “{r.timeout.decision}”.
            </small>
          )}
          {r.sop?.length > 0 && (
            <ol className="fd-sop">
              {r.sop.map((s, i) => (
                <li key={i}>{s}</li>
              ))}
            </ol>
          )}
          <details>
            <summary>Context</summary>
            <pre className="fd-pre">{JSON.stringify(r.context, null, 2)}</pre>
          </details>
          <div className="fd-row">
            {r.decisions.map((d) => (
              <button type="button" key={d} className="fd-btn" onClick={() => void resolve(r.id, d)} data-testid={`decide-${d}`}>
                {d}
              </button>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}

interface Mail {
  id?: string;
  to?: string | string[];
  subject?: string;
  text?: string;
  html?: string;
  at?: string;
  createdAt?: string;
  runId?: string;
}
export function OutboxPage() {
  const list = usePoll(useCallback(() => get<Mail[]>('/api/outbox'), []), 5000);
  return (
    <div className="fd-page" data-testid="outbox">
      <h2>Outbox</h2>
      <p className="fd-hint">E-mails kept locally because no SMTP server is configured.</p>
      <NotYet error={list.error} />
      {list.data && list.data.length === 0 && <p className="fd-hint">No e-mails yet.</p>}
      {(list.data ?? []).map((m, i) => (
        <div className="fd-card" key={m.id ?? i} data-testid="outbox-item">
          <div className="fd-row">
            <b>{m.subject}</b> <small>to {Array.isArray(m.to) ? m.to.join(', ') : m.to}</small> <small className="fd-grow">{when(m.at ?? m.createdAt)}</small>
            {m.runId && runLink(m.runId)}
          </div>
          <pre className="fd-pre">{m.text ?? m.html}</pre>
        </div>
      ))}
    </div>
  );
}
