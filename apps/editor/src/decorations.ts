// Per-node decorations (validation errors, the highlighted path, run step status) kept outside the
// graph: nodes subscribe to their own slice, so a new error list re-renders only the nodes it touches.
import { useSyncExternalStore } from 'react';

export interface Decorations {
  errors: Map<string, string[]>;
  warnings: Map<string, string[]>;
  path: Set<string>;
  status: Map<string, string>;
}
let state: Decorations = { errors: new Map(), warnings: new Map(), path: new Set(), status: new Map() };
const listeners = new Set<() => void>();

export function setDecorations(patch: Partial<Decorations>): void {
  state = { ...state, ...patch };
  listeners.forEach((l) => l());
}
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/** A string key so unchanged nodes skip rendering. */
export function useNodeDecoration(id: string): { errors: string[]; warnings: string[]; onPath: boolean; status?: string } {
  const key = useSyncExternalStore(subscribe, () => {
    const e = state.errors.get(id);
    const w = state.warnings.get(id);
    return `${state.path.has(id) ? 1 : 0}\u0001${state.status.get(id) ?? ''}\u0001${e ? e.join('\u0000') : ''}\u0001${w ? w.join('\u0000') : ''}`;
  });
  const [p, s, e, w] = key.split('\u0001') as [string, string, string, string];
  return { onPath: p === '1', status: s || undefined, errors: e ? e.split('\u0000') : [], warnings: w ? w.split('\u0000') : [] };
}
