import { describe, expect, it } from 'vitest';
import { checkConnection } from './connections.ts';
import { flowToGraph } from './mapping.ts';
import { DESIGN_EXAMPLE, NO_LAYOUT } from './fixtures.ts';
import { historyReducer, initHistory } from './history.ts';
import { freshId } from './ids.ts';

describe('isValidConnection', () => {
  const g = flowToGraph(DESIGN_EXAMPLE);
  it('refuses anything into the trigger', () => {
    const r = checkConnection(g, { source: 'done', sourceHandle: null, target: 'trigger' });
    expect(r).toMatchObject({ ok: false });
    expect((r as { reason: string }).reason).toMatch(/trigger/);
  });
  it('allows one edge per output port', () => {
    expect(checkConnection(g, { source: 'welcome', sourceHandle: 'ok', target: 'dropped' })).toMatchObject({ ok: false, reason: expect.stringMatching(/already connected/) });
    expect(checkConnection(g, { source: 'welcome', sourceHandle: 'error', target: 'dropped' })).toEqual({ ok: true });
  });
  it('refuses cycles unless they pass through a wait or review node', () => {
    const noPorts = { ...g, edges: g.edges.filter((e) => e.source !== 'welcome') };
    expect(checkConnection(noPorts, { source: 'welcome', sourceHandle: 'ok', target: 'score' })).toMatchObject({ ok: false, reason: expect.stringMatching(/loop/) });
    const nl = flowToGraph({ ...NO_LAYOUT, edges: NO_LAYOUT.edges.filter((e) => e.port !== 'error') });
    expect(checkConnection(nl, { source: 'a', sourceHandle: 'error', target: 'w' })).toEqual({ ok: true });
  });
});

describe('history', () => {
  type S = { v: number; sel: string };
  const reduce = historyReducer<S>({ carrySelection: (from, to) => ({ ...to, sel: from.sel }) });
  it('records changes, coalesces by key, skips unrecorded changes, keeps selection on undo', () => {
    let h = initHistory<S>({ v: 0, sel: '' });
    h = reduce(h, { type: 'set', value: { v: 1, sel: '' }, record: true });
    h = reduce(h, { type: 'set', value: { v: 2, sel: '' }, record: true, key: 'drag' });
    h = reduce(h, { type: 'set', value: { v: 3, sel: '' }, record: true, key: 'drag' });
    h = reduce(h, { type: 'set', value: { v: 3, sel: 'x' }, record: false });
    expect(h.past.map((s) => s.v)).toEqual([0, 1]);
    h = reduce(h, { type: 'undo' });
    expect(h.present).toEqual({ v: 1, sel: 'x' });
    h = reduce(h, { type: 'redo' });
    expect(h.present.v).toBe(3);
    h = reduce(h, { type: 'reset', value: { v: 9, sel: '' } });
    expect(h.past).toEqual([]);
  });
  it('fresh ids', () => {
    expect(freshId('route', new Set(['route', 'route-2']))).toBe('route-3');
    expect(freshId('Send E-mail!', new Set())).toBe('send-e-mail');
    expect(freshId('trigger', new Set(['trigger']))).toBe('trigger-2');
  });
});
