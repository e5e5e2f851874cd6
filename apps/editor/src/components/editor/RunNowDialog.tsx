// "Run now": starts a real run of the deployed version with a payload (a sample, or typed in).
import { useState } from 'react';
import type { Flow } from '@flowdesk/schema';
import { ApiError, post } from '../../api.ts';
import { navigate } from '../../router.ts';

export function RunNowDialog(props: { flow: Flow; onClose: () => void }) {
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
