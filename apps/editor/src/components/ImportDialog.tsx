// Import a flow from a file or pasted JSON. An invalid document shows every error and changes nothing.
import { useState } from 'react';
import type { Flow } from '@flowdesk/schema';
import { validateDoc, type FlowError } from '../core/validate.ts';
import { savePinned, takePinData } from '../core/pinned.ts';

/**
 * Reads an exported flow. Pinned data it carries (`pinData`, exported only when asked) is not part of
 * the flow: it is kept in this browser for the flow (pinned.ts) once the flow itself is valid.
 */
export async function parseFlowText(text: string): Promise<{ flow?: Flow; errors: FlowError[] }> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { errors: [{ path: '', message: `not JSON: ${(e as Error).message}` }] };
  }
  const { doc, pinned } = takePinData(raw);
  const r = await validateDoc(doc);
  if (!r.ok) return { errors: r.errors };
  if (pinned) savePinned((doc as Flow).id, pinned);
  return { flow: doc as Flow, errors: [] };
}

export function ErrorList(props: { errors: FlowError[]; testid: string }) {
  return (
    <ul className="fd-errors" data-testid={props.testid}>
      {props.errors.map((e, i) => (
        <li key={i} data-testid={`${props.testid}-item`}>
          <code>{e.path || '/'}</code> {e.nodeId && <b>[{e.nodeId}]</b>} {e.message}
        </li>
      ))}
    </ul>
  );
}

export function ImportDialog(props: { onImport: (flow: Flow) => void; onClose: () => void; initialErrors?: FlowError[] }) {
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<FlowError[]>(props.initialErrors ?? []);
  const [busy, setBusy] = useState(false);
  const tryImport = async (t: string) => {
    setBusy(true);
    const r = await parseFlowText(t);
    setBusy(false);
    if (r.flow) props.onImport(r.flow);
    else setErrors(r.errors);
  };
  return (
    <div className="fd-modal-back" onClick={props.onClose}>
      <div className="fd-modal" role="dialog" aria-label="Import a flow" data-testid="import-dialog" onClick={(e) => e.stopPropagation()}>
        <h3>Import a flow</h3>
        <p className="fd-hint">Choose a .json file exported from Flowdesk, or paste the JSON.</p>
        <input
          type="file"
          accept="application/json,.json"
          data-testid="import-file"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (f) await tryImport(await f.text());
            e.target.value = '';
          }}
        />
        <textarea className="fd-code" rows={8} placeholder="…or paste the flow JSON here" value={text} onChange={(e) => setText(e.target.value)} data-testid="import-text" />
        {errors.length > 0 && (
          <div className="fd-callout error" data-testid="import-errors">
            <b>This file is not a valid flow ({errors.length} error{errors.length > 1 ? 's' : ''}). Nothing was changed.</b>
            <ErrorList errors={errors} testid="import-error" />
          </div>
        )}
        <div className="fd-modal-actions">
          <button type="button" className="fd-btn" onClick={props.onClose} data-testid="import-cancel">
            Cancel
          </button>
          <button type="button" className="fd-btn primary" disabled={!text.trim() || busy} onClick={() => tryImport(text)} data-testid="import-submit">
            Import pasted JSON
          </button>
        </div>
      </div>
    </div>
  );
}

export function downloadJson(name: string, value: unknown): void {
  const blob = new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
