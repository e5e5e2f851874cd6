// Pinned data (issue 17, item 5): per flow, node id → an output that stands in for that step in the
// editor's dry run and "Run this step" (an action is not called, code is not run). Kept in this browser
// beside the draft — never part of the flow document, so a deploy never carries it; an export carries it
// only when asked (as `pinData`, which the import takes back out).
export type Pinned = Record<string, unknown>;

const PREFIX = 'flowdesk:pinned:';
export const PIN_DATA_KEY = 'pinData';

export function loadPinned(flowId: string): Pinned {
  try {
    const raw = localStorage.getItem(PREFIX + flowId);
    const v: unknown = raw ? JSON.parse(raw) : {};
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Pinned) : {};
  } catch {
    return {};
  }
}

export function savePinned(flowId: string, pinned: Pinned): void {
  try {
    if (Object.keys(pinned).length) localStorage.setItem(PREFIX + flowId, JSON.stringify(pinned));
    else localStorage.removeItem(PREFIX + flowId);
  } catch {
    /* storage full: the pins stay for this session */
  }
}

/** Splits an imported document into the flow and the pinned data it carried (if any). */
export function takePinData(doc: unknown): { doc: unknown; pinned?: Pinned } {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || !(PIN_DATA_KEY in doc)) return { doc };
  const { [PIN_DATA_KEY]: pins, ...rest } = doc as Record<string, unknown>;
  return { doc: rest, ...(pins && typeof pins === 'object' && !Array.isArray(pins) ? { pinned: pins as Pinned } : {}) };
}
