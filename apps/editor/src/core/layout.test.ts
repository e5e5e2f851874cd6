// Tidy up's layout (elkjs): left to right, and a long flow wrapped into rows that fit the canvas.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Flow } from '@flowdesk/schema';
import { elkLayout } from './layout.ts';
import { flowToGraph, type XY } from './mapping.ts';

const W = 230, H = 110; // the size elkLayout gives an unmeasured node
const load = (name: string) => flowToGraph(JSON.parse(readFileSync(new URL(`../../../../flows/${name}.json`, import.meta.url), 'utf8')) as Flow);
const room = { width: 1240, height: 790 }; // the canvas at 1440×900 with the palette shown
const READABLE_ZOOM = 0.7; // 13 px titles at 9 px or more

function shape(pos: Map<string, XY>) {
  const xs = [...pos.values()].map((p) => p.x), ys = [...pos.values()].map((p) => p.y);
  const width = Math.max(...xs) + W - Math.min(...xs), height = Math.max(...ys) + H - Math.min(...ys);
  return { width, height, zoom: Math.min((room.width - 64) / width, (room.height - 64) / height) };
}

/** Every edge goes right, or down to a later row; nothing starts left of the trigger. */
function readsLeftToRight(g: ReturnType<typeof load>, pos: Map<string, XY>): string[] {
  const bad: string[] = [];
  const t = pos.get('trigger')!;
  for (const [id, p] of pos) if (p.x < t.x) bad.push(`${id} left of the trigger`);
  for (const e of g.edges) {
    const a = pos.get(e.source)!, b = pos.get(e.target)!;
    if (!(b.x > a.x || b.y >= a.y + H)) bad.push(`${e.source} → ${e.target}`);
  }
  return bad;
}

describe('elkLayout', { timeout: 30_000 }, () => {
  it('a long flow: one row without a room; wrapped into rows that read left to right with one', async () => {
    const g = load('invoicing-collections');
    const row = await elkLayout(g);
    expect(shape(row).width).toBeGreaterThan(3 * room.width); // one row: far too wide to read at fit view
    expect(readsLeftToRight(g, row)).toEqual([]);
    const wrapped = await elkLayout(g, room);
    expect(wrapped.size).toBe(g.nodes.length);
    expect(shape(wrapped).zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
    expect(shape(wrapped).zoom).toBeGreaterThan(2 * shape(row).zoom);
    expect(readsLeftToRight(g, wrapped)).toEqual([]);
  });

  it('every shipped blueprint tidied for the canvas reads left to right at a readable zoom', async () => {
    for (const name of ['client-onboarding', 'delivery-ops', 'invoice-paid', 'lead-qualification', 'payment-received']) {
      const g = load(name);
      const pos = await elkLayout(g, room);
      expect(readsLeftToRight(g, pos), name).toEqual([]);
      expect(shape(pos).zoom, name).toBeGreaterThanOrEqual(READABLE_ZOOM);
    }
  });

  it('a short flow stays on one row, and notes keep their place', async () => {
    const g = load('lead-inbox');
    const withNote = { ...g, nodes: [...g.nodes, { id: 'note:1', type: 'note', position: { x: 5, y: 5 }, data: { kind: 'note' as const, text: 'hi', placed: true as const } }] };
    const pos = await elkLayout(withNote, room);
    expect(pos.has('note:1')).toBe(false);
    expect(new Set([...pos.values()].map((p) => p.y)).size).toBe(1);
    expect(readsLeftToRight(g, pos)).toEqual([]);
  });
});
