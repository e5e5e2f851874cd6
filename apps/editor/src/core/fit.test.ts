import { describe, expect, it } from 'vitest';
import { boundsOf, fitViewport, type Box, type Viewport } from './fit.ts';

const node = (x: number, y: number): Box => ({ x, y, width: 220, height: 90 });
const onScreen = (b: Box, v: Viewport) => ({ left: b.x * v.zoom + v.x, top: b.y * v.zoom + v.y, right: (b.x + b.width) * v.zoom + v.x, bottom: (b.y + b.height) * v.zoom + v.y });
const corner = { width: 230, height: 180 };
const canvas = { width: 1200, height: 800 };
const coveredBy = (boxes: Box[], v: Viewport) => boxes.filter((b) => {
  const s = onScreen(b, v);
  return s.right > canvas.width - corner.width && s.bottom > canvas.height - corner.height;
});

describe('fitViewport', () => {
  it('bounds: the union of the boxes, null for none', () => {
    expect(boundsOf([node(0, 0), node(500, 300)])).toEqual({ x: 0, y: 0, width: 720, height: 390 });
    expect(boundsOf([])).toBeNull();
  });

  it('an empty corner costs nothing: the flow fills the canvas less the margin', () => {
    // two bands, the lower one short: nothing sits in the bottom-right corner
    const boxes = [node(0, 0), node(280, 0), node(560, 0), node(840, 0), node(1120, 0), node(0, 300)];
    const v = fitViewport(boxes, { ...canvas, corner, margin: 30 });
    expect(v.zoom).toBeCloseTo((1200 - 60) / 1340, 5);
    expect(coveredBy(boxes, v)).toEqual([]);
    const all = boxes.map((b) => onScreen(b, v));
    expect(Math.min(...all.map((s) => s.left))).toBeCloseTo(30, 5);
    expect(Math.max(...all.map((s) => s.right))).toBeCloseTo(1170, 5);
  });

  it('a node in the corner: the strip beside or above the minimap is kept free, whichever zooms larger', () => {
    const wide = [node(0, 0), node(1120, 0), node(1120, 300)]; // wide and flat: give up height
    const v = fitViewport(wide, { ...canvas, corner, margin: 30 });
    expect(coveredBy(wide, v)).toEqual([]);
    expect(v.zoom).toBeCloseTo(Math.min((1200 - 60) / 1340, (800 - 30 - 180) / 390), 5);
    const tall = [node(0, 0), node(0, 1200), node(300, 1200)]; // tall and narrow: give up width
    const t = fitViewport(tall, { ...canvas, corner, margin: 30 });
    expect(coveredBy(tall, t)).toEqual([]);
    expect(t.zoom).toBeCloseTo(Math.min((1200 - 30 - 230) / 520, (800 - 60) / 1290), 5);
  });

  it('without a minimap nothing is reserved; zoom stays within its limits', () => {
    const boxes = [node(0, 0), node(1120, 300)];
    expect(fitViewport(boxes, { ...canvas, margin: 30 }).zoom).toBeCloseTo(1140 / 1340, 5);
    expect(fitViewport([node(0, 0)], { ...canvas, maxZoom: 1.1 }).zoom).toBe(1.1);
    expect(fitViewport([node(0, 0), node(100000, 0)], { ...canvas, minZoom: 0.05 }).zoom).toBe(0.05);
    expect(fitViewport([], canvas)).toEqual({ x: 0, y: 0, zoom: 1 });
  });
});
