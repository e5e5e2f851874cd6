// Fit view that keeps the minimap's corner free without giving up a whole band of the canvas: the
// flow is fitted with a small margin, and only if a node would then sit under the minimap is room
// reserved — a strip on the right or one at the bottom, whichever leaves the larger zoom. (React
// Flow's own fitView takes one padding for all sides, so keeping the corner free cost a 175 px band
// along the whole bottom and made titles of wide flows too small to read.)

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}
export interface FitOptions {
  /** the canvas size on screen */
  width: number;
  height: number;
  /** the box the minimap takes in the bottom-right corner (its size plus its margin), if shown */
  corner?: { width: number; height: number };
  /** the margin kept around the flow on every side */
  margin?: number;
  minZoom?: number;
  maxZoom?: number;
}

export const FIT_MARGIN = 32;

/** The union of the boxes, or null for none. */
export function boundsOf(boxes: Box[]): Box | null {
  if (!boxes.length) return null;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.width);
    y1 = Math.max(y1, b.y + b.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The viewport that centres `b` in the area [left, top, right, bottom] of the screen. */
function fitInto(b: Box, area: { left: number; top: number; right: number; bottom: number }, minZoom: number, maxZoom: number): Viewport {
  const w = Math.max(1, area.right - area.left), h = Math.max(1, area.bottom - area.top);
  const zoom = Math.min(maxZoom, Math.max(minZoom, Math.min(w / Math.max(1, b.width), h / Math.max(1, b.height))));
  return { zoom, x: area.left + (w - b.width * zoom) / 2 - b.x * zoom, y: area.top + (h - b.height * zoom) / 2 - b.y * zoom };
}

/** Whether a box, drawn with viewport `v`, overlaps the bottom-right corner of the canvas. */
function underCorner(b: Box, v: Viewport, o: Required<Pick<FitOptions, 'width' | 'height'>> & { corner: { width: number; height: number } }): boolean {
  const right = (b.x + b.width) * v.zoom + v.x, bottom = (b.y + b.height) * v.zoom + v.y;
  return right > o.width - o.corner.width && bottom > o.height - o.corner.height;
}

/** The viewport showing every box as large as the canvas allows, none of them under the minimap's corner. */
export function fitViewport(boxes: Box[], o: FitOptions): Viewport {
  const b = boundsOf(boxes);
  const m = o.margin ?? FIT_MARGIN;
  const minZoom = o.minZoom ?? 0.05, maxZoom = o.maxZoom ?? 1;
  if (!b) return { x: 0, y: 0, zoom: 1 };
  const plain = fitInto(b, { left: m, top: m, right: o.width - m, bottom: o.height - m }, minZoom, maxZoom);
  const corner = o.corner;
  if (!corner || !boxes.some((x) => underCorner(x, plain, { width: o.width, height: o.height, corner }))) return plain;
  const beside = fitInto(b, { left: m, top: m, right: o.width - Math.max(m, corner.width), bottom: o.height - m }, minZoom, maxZoom);
  const above = fitInto(b, { left: m, top: m, right: o.width - m, bottom: o.height - Math.max(m, corner.height) }, minZoom, maxZoom);
  return beside.zoom > above.zoom ? beside : above;
}
