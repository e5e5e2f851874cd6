// Keyboard: undo/redo, copy/paste/duplicate and delete of the selection (not while typing in a field).
import { useCallback, useEffect, useRef, type MutableRefObject } from 'react';
import type { HistoryAction } from '../../core/history.ts';
import { pasteInto, type Clipboard } from '../../core/ids.ts';
import { removeElements, type Graph } from '../../core/mapping.ts';

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export function useShortcuts(graphRef: MutableRefObject<Graph>, update: (fn: (g: Graph) => Graph) => void, dispatch: (a: HistoryAction<Graph>) => void): void {
  const clipboard = useRef<Clipboard | null>(null);
  const deleteSelection = useCallback(() => {
    const g = graphRef.current;
    const nodes = g.nodes.filter((n) => n.selected && n.data.kind !== 'trigger').map((n) => n.id);
    const edges = g.edges.filter((e) => e.selected).map((e) => e.id);
    if (nodes.length || edges.length) update((x) => removeElements(x, nodes, edges));
  }, [graphRef, update]);
  const copy = useCallback(() => {
    const g = graphRef.current;
    const nodes = g.nodes.filter((n) => n.selected && n.data.kind === 'step');
    const ids = new Set(nodes.map((n) => n.id));
    clipboard.current = { nodes: structuredClone(nodes), edges: structuredClone(g.edges.filter((e) => ids.has(e.source) && ids.has(e.target))) };
    pastes.current = 0;
  }, [graphRef]);
  // each paste of one copy lands a step further down and right, never on the one before
  const pastes = useRef(0);
  const paste = useCallback(() => {
    const clip = clipboard.current;
    if (!clip?.nodes.length) return;
    const step = 40 * ++pastes.current;
    update((g) => pasteInto(g, clip, { x: step, y: step }).graph);
  }, [update]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === 'z' && !e.shiftKey) {
        e.preventDefault();
        dispatch({ type: 'undo' });
      } else if (mod && ((k === 'z' && e.shiftKey) || k === 'y')) {
        e.preventDefault();
        dispatch({ type: 'redo' });
      } else if (mod && k === 'c') {
        copy();
      } else if (mod && k === 'v') {
        e.preventDefault();
        paste();
      } else if (mod && k === 'd') {
        e.preventDefault();
        copy();
        paste();
      } else if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) {
        e.preventDefault();
        deleteSelection();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [copy, paste, deleteSelection, dispatch]);
}
