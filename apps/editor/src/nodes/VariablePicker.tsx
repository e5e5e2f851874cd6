// The variable picker (issue 14, item 7): beside `{{ }}` fields and rule fields, a list of what the node
// can read — the contract's and the samples' payload fields, upstream steps' outputs and vars, `item` in
// a loop (core/variables.ts) — searchable, each with where it comes from. Picking inserts it.
import { createContext, useContext, useEffect, useRef, useState } from 'react';
import type { Variable } from '../core/variables.ts';

/** The selected node's variables, provided by the side panel. */
export const VariablesContext = createContext<Variable[]>([]);

export function VariablePicker(props: { onPick: (path: string) => void; testid?: string }) {
  const vars = useContext(VariablesContext);
  const [open, setOpen] = useState(false);
  const [q, setQ] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  if (!vars.length) return null;
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = vars.filter((v) => words.every((w) => `${v.path} ${v.from}`.toLowerCase().includes(w)));
  return (
    <div className="fd-var-picker" ref={box}>
      <button type="button" className="fd-icon-btn" title="Insert a variable" aria-expanded={open} data-testid={`${props.testid ?? 'var'}-pick`} onClick={() => setOpen((o) => !o)}>
        {'{x}'}
      </button>
      {open && (
        <div className="fd-var-list" data-testid="variable-picker" role="listbox">
          <input
            autoFocus
            type="search"
            placeholder="Search variables"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setOpen(false);
              if (e.key === 'Enter' && shown[0]) {
                e.preventDefault();
                props.onPick(shown[0].path);
                setOpen(false);
              }
            }}
            data-testid="variable-search"
          />
          {shown.map((v) => (
            <button
              type="button"
              role="option"
              aria-selected={false}
              key={v.path}
              className="fd-var-option"
              data-testid="variable-option"
              data-path={v.path}
              onClick={() => {
                props.onPick(v.path);
                setOpen(false);
              }}
            >
              <code>{v.path}</code> <small>{v.from}</small>
            </button>
          ))}
          {shown.length === 0 && <p className="fd-hint">Nothing matches.</p>}
        </div>
      )}
    </div>
  );
}

/** `value` with `text` put at `caret` ([start, end] of the selection; the end of the value when unknown). */
export function insertAt(value: string, caret: [number, number] | null, text: string): string {
  const [a, b] = caret ?? [value.length, value.length];
  return value.slice(0, a) + text + value.slice(b);
}
