// Small form widgets shared by the side-panel forms.
import { useEffect, useRef, useState, type ReactNode, type SyntheticEvent } from 'react';
import { insertAt, VariablePicker } from './VariablePicker.tsx';
import { readKey, showKey } from '../core/idemKey.ts';

export function Field(props: { label: string; children: ReactNode; hint?: string }) {
  return (
    <label className="fd-field">
      <span className="fd-field-label">{props.label}</span>
      {props.children}
      {props.hint && <span className="fd-hint">{props.hint}</span>}
    </label>
  );
}

/** Where the caret was in a field (kept while the picker has the focus). */
function useCaret() {
  const caret = useRef<[number, number] | null>(null);
  const track = (e: SyntheticEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    const el = e.currentTarget;
    caret.current = el.selectionStart === null ? null : [el.selectionStart, el.selectionEnd ?? el.selectionStart];
  };
  return { caret, track: { onSelect: track, onKeyUp: track, onClick: track } };
}

/** A text field; with `picker`, a variable picker beside it inserts `{{path}}` where the caret was. */
export function Text(props: { label: string; value: string | undefined; onChange: (v: string | undefined) => void; testid?: string; placeholder?: string; hint?: string; multiline?: boolean; picker?: boolean }) {
  const [v, setV] = useState(props.value ?? '');
  useEffect(() => setV(props.value ?? ''), [props.value]);
  const { caret, track } = useCaret();
  const commit = (s: string) => {
    setV(s);
    props.onChange(s === '' ? undefined : s);
  };
  const input = props.multiline ? (
    <textarea data-testid={props.testid} value={v} placeholder={props.placeholder} rows={4} onChange={(e) => commit(e.target.value)} {...track} />
  ) : (
    <input data-testid={props.testid} value={v} placeholder={props.placeholder} onChange={(e) => commit(e.target.value)} {...track} />
  );
  return (
    <Field label={props.label} hint={props.hint}>
      {props.picker ? (
        <span className="fd-with-picker">
          {input}
          <VariablePicker testid={props.testid} onPick={(path) => commit(insertAt(v, caret.current, `{{${path}}}`))} />
        </span>
      ) : (
        input
      )}
    </Field>
  );
}

export function NumberInput(props: { label: string; value: number | undefined; onChange: (v: number | undefined) => void; testid?: string; min?: number }) {
  return (
    <Field label={props.label}>
      <input
        type="number"
        data-testid={props.testid}
        min={props.min}
        value={props.value ?? ''}
        onChange={(e) => props.onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      />
    </Field>
  );
}

export function Select(props: { label: string; value: string | undefined; options: string[]; onChange: (v: string | undefined) => void; testid?: string; allowEmpty?: boolean }) {
  return (
    <Field label={props.label}>
      <select data-testid={props.testid} value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value || undefined)}>
        {props.allowEmpty && <option value="">—</option>}
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A JSON editor: edits are applied only when they parse. */
export function JsonField(props: { label: string; value: unknown; onChange: (v: unknown) => void; testid?: string; rows?: number; allowEmpty?: boolean; hint?: string; picker?: boolean }) {
  const { caret, track } = useCaret();
  const fmt = (x: unknown) => (x === undefined ? '' : JSON.stringify(x, null, 2));
  const [text, setText] = useState(fmt(props.value));
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    // keep the user's text while it parses to the same value
    try {
      if (text.trim() !== '' && JSON.stringify(JSON.parse(text)) === JSON.stringify(props.value)) return;
    } catch {
      /* replaced below */
    }
    if (text.trim() === '' && props.value === undefined) return;
    setText(fmt(props.value));
    setErr(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- follows the value from outside only; the text being typed must not reset itself
  }, [props.value]);
  const edit = (t: string) => {
    setText(t);
    if (t.trim() === '' && props.allowEmpty) {
      setErr(null);
      props.onChange(undefined);
      return;
    }
    try {
      const v: unknown = JSON.parse(t);
      setErr(null);
      props.onChange(v);
    } catch (ex) {
      setErr((ex as Error).message);
    }
  };
  const area = <textarea className="fd-code" data-testid={props.testid} rows={props.rows ?? 5} spellCheck={false} value={text} {...track} onChange={(e) => edit(e.target.value)} />;
  return (
    <Field label={props.label} hint={props.hint}>
      {props.picker ? (
        <span className="fd-with-picker">
          {area}
          <VariablePicker testid={props.testid} onPick={(path) => edit(insertAt(text, caret.current, `{{${path}}}`))} />
        </span>
      ) : (
        area
      )}
      {err && <span className="fd-field-error">{err}</span>}
    </Field>
  );
}

/** One entry per line. */
export function Lines(props: { label: string; value: string[] | undefined; onChange: (v: string[] | undefined) => void; testid?: string; hint?: string }) {
  const [text, setText] = useState((props.value ?? []).join('\n'));
  useEffect(() => {
    if (text.split('\n').map((s) => s.trim()).filter(Boolean).join('\n') !== (props.value ?? []).join('\n')) setText((props.value ?? []).join('\n'));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- follows the value from outside only; the lines being typed must not reset themselves
  }, [props.value]);
  return (
    <Field label={props.label} hint={props.hint ?? 'one per line'}>
      <textarea
        data-testid={props.testid}
        rows={3}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const lines = e.target.value.split('\n').map((s) => s.trim()).filter(Boolean);
          props.onChange(lines.length ? lines : undefined);
        }}
      />
    </Field>
  );
}

export function Tabs(props: { tabs: string[]; active: string; onChange: (t: string) => void; testid?: string }) {
  return (
    <div className="fd-tabs" role="tablist" data-testid={props.testid}>
      {props.tabs.map((t) => (
        <button key={t} type="button" role="tab" aria-selected={t === props.active} className={t === props.active ? 'active' : ''} data-testid={`${props.testid ?? 'tab'}-${t}`} onClick={() => props.onChange(t)}>
          {t}
        </button>
      ))}
    </div>
  );
}

/** Set or delete a key, keeping key order. */
export function withKey<T extends object>(o: T, k: string, v: unknown): T {
  const out = { ...o } as Record<string, unknown>;
  if (v === undefined) delete out[k];
  else out[k] = v;
  return out as T;
}

/** A rule written as a path (`payload.items`, `{{item.sku}}`) or as JSON-Logic; what it cannot read is kept as text (the validator names it). */
export function RuleText(props: { label: string; value: unknown; onChange: (v: unknown) => void; testid?: string; hint?: string; placeholder?: string }) {
  const [text, setText] = useState(showKey(props.value));
  useEffect(() => {
    if (JSON.stringify(readKey(text)) !== JSON.stringify(props.value)) setText(showKey(props.value));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- follows the value from outside only; the text being typed must not reset itself
  }, [props.value]);
  return (
    <Field label={props.label} hint={props.hint ?? 'a path such as payload.items, or JSON-Logic'}>
      <input
        className="fd-code"
        data-testid={props.testid}
        value={text}
        placeholder={props.placeholder}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          props.onChange(readKey(e.target.value));
        }}
      />
    </Field>
  );
}
