// "Run this step" (issue 17, item 5): the selected node runs alone on a sample payload — the runtime
// walks the draft up to it, pinned outputs standing in for earlier steps. Before an action that calls
// outside really calls, the user is asked here (nothing is sent until "Call it"); the result can be
// pinned, and a pinned output can be typed in instead of calling at all.
import { useState } from 'react';
import type { Flow } from '@flowdesk/schema';
import { ApiError, post } from '../../api.ts';
import type { Pinned } from '../../core/pinned.ts';

interface StepAnswer {
  status: 'ran' | 'called' | 'needs-confirmation' | 'internal' | 'not-reached';
  nodeId: string;
  action?: string;
  params?: unknown;
  ok?: boolean;
  output?: unknown;
  error?: string;
  step?: { status: string; output?: unknown; error?: string; port?: string };
  result: { path: string[] };
}

const json = (v: unknown) => JSON.stringify(v, null, 2);

export function StepTest(props: { nodeId: string; flow: () => Flow; pinned: Pinned; onPin: (nodeId: string, output: unknown | undefined) => void }) {
  const { nodeId } = props;
  const samples = props.flow().samples ?? [];
  const [payloadText, setPayloadText] = useState(() => json(samples[0]?.payload ?? {}));
  const [answer, setAnswer] = useState<StepAnswer | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [pinText, setPinText] = useState<string | null>(null);
  const isPinned = Object.prototype.hasOwnProperty.call(props.pinned, nodeId);
  const [open, setOpen] = useState(isPinned);

  const run = async (confirm: boolean) => {
    setProblem(null);
    let payload: unknown;
    try {
      payload = JSON.parse(payloadText);
    } catch (e) {
      setProblem(`the payload is not JSON: ${(e as Error).message}`);
      return;
    }
    // this step's own pin is not used: the point is to run it
    const { [nodeId]: _own, ...pinned } = props.pinned;
    setBusy(true);
    try {
      setAnswer(await post<StepAnswer>('/api/steps/run', { flow: props.flow(), nodeId, payload, pinned, ...(confirm ? { confirm: true } : {}) }));
    } catch (e) {
      const errs = e instanceof ApiError ? ((e.body as { errors?: { path: string; message: string }[] })?.errors ?? []) : [];
      setAnswer(null);
      setProblem(`${(e as Error).message}${errs.length ? `: ${errs.map((x) => `${x.path} ${x.message}`).join('; ')}` : ''}`);
    } finally {
      setBusy(false);
    }
  };

  const output = answer?.status === 'called' ? (answer.ok ? answer.output : undefined) : answer?.status === 'ran' && answer.step?.status === 'succeeded' ? answer.step.output : undefined;
  const failed = answer?.status === 'called' ? (answer.ok ? undefined : answer.error) : answer?.status === 'ran' ? answer.step?.error : undefined;

  return (
    <details className="fd-subsection" data-testid="step-test" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <b>Test this step</b> {isPinned && <span className="fd-pill st-waiting" data-testid="step-pinned-badge">pinned</span>}
      </summary>
      <label className="fd-field">
        <span className="fd-field-label">Sample payload</span>
        <textarea className="fd-code" rows={4} spellCheck={false} value={payloadText} onChange={(e) => setPayloadText(e.target.value)} data-testid="step-payload" />
      </label>
      <div className="fd-row">
        <button type="button" className="fd-btn primary" disabled={busy} onClick={() => void run(false)} data-testid="run-step">
          ▶ Run this step
        </button>
        <button type="button" className="fd-btn" onClick={() => setPinText(json(isPinned ? props.pinned[nodeId] : (output ?? {})))} data-testid="step-pin-edit">
          {isPinned ? 'Edit pinned output' : 'Pin an output…'}
        </button>
        {isPinned && (
          <button type="button" className="fd-btn" onClick={() => props.onPin(nodeId, undefined)} data-testid="step-unpin">
            Unpin
          </button>
        )}
      </div>
      <p className="fd-hint">Runs the flow up to here on the payload, using pinned outputs of earlier steps. Nothing outside is called without asking.</p>
      {problem && <div className="fd-field-error" data-testid="step-problem">{problem}</div>}
      {answer?.status === 'needs-confirmation' && (
        <div className="fd-callout warn" data-testid="step-confirm-box" role="alertdialog" aria-label="Really call?">
          <b>This step really calls {answer.action}.</b> Nothing has been sent yet. It would send:
          <pre className="fd-pre">{json(answer.params)}</pre>
          <div className="fd-row">
            <button type="button" className="fd-btn danger" disabled={busy} onClick={() => void run(true)} data-testid="step-confirm">
              Call it once
            </button>
            <button type="button" className="fd-btn" onClick={() => setAnswer(null)} data-testid="step-cancel">
              Cancel
            </button>
          </div>
          <p className="fd-hint">Or pin a stored response instead, and later steps use it without calling.</p>
        </div>
      )}
      {answer?.status === 'internal' && (
        <div className="fd-callout" data-testid="step-internal">
          {answer.action} changes Flowdesk's own data: it runs only in a real run. Pin an output to test the steps after it.
        </div>
      )}
      {answer?.status === 'not-reached' && (
        <div className="fd-callout" data-testid="step-not-reached">
          This payload does not reach {nodeId} (it goes {answer.result.path.join(' → ')}).
        </div>
      )}
      {(answer?.status === 'ran' || answer?.status === 'called') && (
        <div data-testid="step-result" data-status={failed ? 'failed' : 'succeeded'}>
          {answer.status === 'called' && <p className="fd-hint">Called {answer.action} once.</p>}
          {failed ? <div className="fd-field-error" data-testid="step-error">✗ {failed}</div> : <pre className="fd-pre" data-testid="step-output">{json(output ?? null)}</pre>}
          {!failed && (
            <button type="button" className="fd-btn" onClick={() => props.onPin(nodeId, output ?? null)} data-testid="step-pin">
              📌 Pin this output
            </button>
          )}
        </div>
      )}
      {pinText !== null && (
        <div data-testid="step-pin-form">
          <label className="fd-field">
            <span className="fd-field-label">Pinned output (JSON) — stands in for this step in dry runs and step tests</span>
            <textarea className="fd-code" rows={5} spellCheck={false} value={pinText} onChange={(e) => setPinText(e.target.value)} data-testid="step-pin-text" />
          </label>
          <div className="fd-row">
            <button
              type="button"
              className="fd-btn primary"
              data-testid="step-pin-save"
              onClick={() => {
                try {
                  props.onPin(nodeId, JSON.parse(pinText));
                  setPinText(null);
                  setProblem(null);
                } catch (e) {
                  setProblem(`the pinned output is not JSON: ${(e as Error).message}`);
                }
              }}
            >
              Pin
            </button>
            <button type="button" className="fd-btn" onClick={() => setPinText(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </details>
  );
}
