// Live validation (debounced: a drag only revalidates once it stops), the runtime's own refusals from
// the last deploy, and the per-node error badges they give.
import { useEffect, useMemo, useRef, useState, type MutableRefObject } from 'react';
import type { Flow } from '@flowdesk/schema';
import { validateDoc, type FlowError } from '../../core/validate.ts';
import { setDecorations } from '../../decorations.ts';
import { afterMs } from '../../core/idle.ts';

export function useValidation(flow: Flow, flowRef: MutableRefObject<Flow>) {
  const [checked, setChecked] = useState<FlowError[] | null>(null); // null until the validator has loaded
  const [warnings, setWarnings] = useState<FlowError[]>([]);
  const errors = useMemo(() => checked ?? [], [checked]);
  const checkedRef = useRef(checked);
  checkedRef.current = checked;
  const [serverErrors, setServerErrors] = useState<FlowError[]>([]);

  useEffect(() => {
    let stale = false;
    const run = () => {
      void validateDoc(flowRef.current).then((r) => {
        if (stale) return;
        setChecked(r.errors);
        setWarnings(r.warnings);
      });
    };
    // the first check runs at once (the validator's chunk loads meanwhile): deferring it to an idle
    // moment let its problem badges land during the user's first drag and move the handles under it
    const cancel = afterMs(run, checkedRef.current ? 120 : 0);
    return () => {
      stale = true;
      cancel();
    };
  }, [flow, flowRef]);
  useEffect(() => {
    const m = new Map<string, string[]>();
    for (const e of [...serverErrors, ...errors]) if (e.nodeId) m.set(e.nodeId, [...(m.get(e.nodeId) ?? []), e.message]);
    const w = new Map<string, string[]>();
    for (const e of warnings) if (e.nodeId) w.set(e.nodeId, [...(w.get(e.nodeId) ?? []), e.message]);
    setDecorations({ errors: m, warnings: w });
  }, [errors, serverErrors, warnings]);
  useEffect(() => () => setDecorations({ errors: new Map(), warnings: new Map(), path: new Set(), status: new Map() }), []);
  // the runtime's refusal was about the document it saw; any edit makes it stale
  useEffect(() => setServerErrors([]), [flow]);

  const allErrors = useMemo(() => [...serverErrors, ...errors], [serverErrors, errors]);
  return { checked, errors, warnings, serverErrors, setServerErrors, allErrors, invalid: checked === null || errors.length > 0 || serverErrors.length > 0 };
}
