import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Flow } from '@flowdesk/schema';
import { addEdge, flowToGraph, graphToFlow, removeElements, renamePort, setPositions, updateStep, TRIGGER_ID } from './mapping.ts';
import { DESIGN_EXAMPLE, NO_LAYOUT, STALE_LAYOUT } from './fixtures.ts';
import { pasteInto } from './ids.ts';

const flowsDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../flows');
const shipped: [string, Flow][] = existsSync(flowsDir)
  ? readdirSync(flowsDir)
      .filter((f) => f.endsWith('.json') && f !== 'state-map.json' && !f.endsWith('.schema.json'))
      .map((f): [string, Flow] => [f, JSON.parse(readFileSync(join(flowsDir, f), 'utf8')) as Flow])
      .filter(([, d]) => d && typeof d === 'object' && (d as { dsl?: unknown }).dsl === 1)
  : [];

describe('DSL ⇄ React Flow mapping', () => {
  const all: [string, Flow][] = [['design example', DESIGN_EXAMPLE], ['no layout', NO_LAYOUT], ['stale layout', STALE_LAYOUT], ...shipped];
  it.each(all)('round-trips %s deep-equal', (_name, flow) => {
    const copy = structuredClone(flow);
    const g = flowToGraph(flow);
    expect(graphToFlow(g)).toEqual(copy);
    // and through JSON (what export/import does)
    expect(JSON.parse(JSON.stringify(graphToFlow(flowToGraph(JSON.parse(JSON.stringify(flow))))))).toEqual(copy);
  });

  it('sticky notes: layout entries "note:<n>" with text become note nodes (no ports) and go back into the layout', () => {
    const flow: Flow = { ...structuredClone(DESIGN_EXAMPLE), layout: { ...DESIGN_EXAMPLE.layout, 'note:1': { x: 5, y: 6, note: 'Ask Ada about VAT' }, 'note:2': { x: 1, y: 2 } } };
    const g = flowToGraph(flow);
    const note = g.nodes.find((n) => n.id === 'note:1')!;
    expect(note).toMatchObject({ type: 'note', position: { x: 5, y: 6 }, data: { kind: 'note', text: 'Ask Ada about VAT' } });
    expect(g.nodes.some((n) => n.id === 'note:2')).toBe(false); // no text: kept as a plain layout entry
    expect(graphToFlow(g)).toEqual(flow);
    expect(graphToFlow(g).nodes.map((n) => n.id)).not.toContain('note:1');
    const moved = setPositions(g, new Map([['note:1', { x: 50, y: 60 }]]), false);
    expect(graphToFlow(moved).layout!['note:1']).toEqual({ x: 50, y: 60, note: 'Ask Ada about VAT' });
    expect(graphToFlow(removeElements(g, ['note:1'])).layout).not.toHaveProperty('note:1');
  });

  it('draws the trigger as the node "trigger" and one edge per DSL edge with the right handles', () => {
    const g = flowToGraph(DESIGN_EXAMPLE);
    expect(g.nodes[0]).toMatchObject({ id: TRIGGER_ID, type: 'trigger' });
    expect(g.nodes.map((n) => n.id)).toEqual(['trigger', 'score', 'qualify', 'welcome', 'manual', 'done', 'dropped']);
    const welcome = g.edges.find((e) => e.source === 'welcome')!;
    expect(welcome.sourceHandle).toBe('ok');
    expect(welcome.data.port).toBeUndefined();
    expect(g.edges.find((e) => e.source === 'qualify' && e.target === 'manual')!.sourceHandle).toBe('review');
    expect(g.nodes.find((n) => n.id === 'score')!.position).toEqual({ x: 240, y: 80 });
    expect(g.nodes.find((n) => n.id === 'score')!.data.placed).toBe(true);
    expect(g.nodes.find((n) => n.id === 'qualify')!.data.placed).toBe(false);
  });

  it('writes positions into layout once nodes are moved', () => {
    const g = setPositions(flowToGraph(NO_LAYOUT), new Map([['w', { x: 10.4, y: 20.6 }]]));
    const f = graphToFlow(g);
    expect(f.layout!.w).toEqual({ x: 10, y: 21 });
    expect(Object.keys(f.layout!).sort()).toEqual(['a', 'e', 'trigger', 'w']);
  });

  it('adds edges with explicit ports only where the DSL needs them', () => {
    let g = flowToGraph({ ...NO_LAYOUT, edges: [] });
    g = addEdge(g, 'trigger', 'out', 'w');
    g = addEdge(g, 'a', 'error', 'e');
    expect(graphToFlow(g).edges).toEqual([{ from: 'trigger', to: 'w' }, { from: 'a', port: 'error', to: 'e' }]);
  });

  it('renames a node and its edges, renames a port, removes nodes with their edges', () => {
    let g = flowToGraph(DESIGN_EXAMPLE);
    g = updateStep(g, 'qualify', { ...(DESIGN_EXAMPLE.nodes[1] as Extract<Flow['nodes'][number], { type: 'route' }>), id: 'triage' });
    g = renamePort(g, 'triage', 'fast', 'hot');
    const f = graphToFlow(g);
    expect(f.edges).toContainEqual({ from: 'score', to: 'triage' });
    expect(f.edges).toContainEqual({ from: 'triage', port: 'hot', to: 'welcome' });
    const r = graphToFlow(removeElements(g, ['triage', 'trigger']));
    expect(r.nodes.map((n) => n.id)).not.toContain('triage');
    expect(r.edges.some((e) => e.from === 'triage' || e.to === 'triage')).toBe(false);
    expect(r.trigger).toEqual(DESIGN_EXAMPLE.trigger);
  });

  it('pastes copies with fresh ids and keeps the edges between them', () => {
    const g = flowToGraph(DESIGN_EXAMPLE);
    const clip = { nodes: g.nodes.filter((n) => ['welcome', 'done'].includes(n.id)), edges: g.edges.filter((e) => e.source === 'welcome') };
    const { graph, newIds } = pasteInto(g, clip);
    expect(newIds).toEqual(['welcome-2', 'done-2']);
    const f = graphToFlow(graph);
    expect(f.edges).toContainEqual({ from: 'welcome-2', to: 'done-2' });
    expect(f.nodes.find((n) => n.id === 'welcome-2')).toMatchObject({ type: 'action', action: 'http.request' });
  });
});
