// Which parts of the editor are shown (palette, side panel, bottom panel, minimap), kept per browser.
// The bottom panel starts collapsed to its tabs: a newcomer's first view is the flow, at a readable size.
export interface PanelPrefs {
  palette: boolean;
  side: boolean;
  bottom: boolean;
  minimap: boolean;
}
const KEY = 'flowdesk:panels';
export const DEFAULT_PANELS: PanelPrefs = { palette: true, side: true, bottom: false, minimap: true };

export function loadPanels(): PanelPrefs {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Record<keyof PanelPrefs, unknown>>;
    const out = { ...DEFAULT_PANELS };
    for (const k of Object.keys(DEFAULT_PANELS) as (keyof PanelPrefs)[]) if (typeof raw[k] === 'boolean') out[k] = raw[k];
    return out;
  } catch {
    return { ...DEFAULT_PANELS };
  }
}

export function savePanels(p: PanelPrefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(p));
  } catch {
    /* storage full: the choice lasts for this page */
  }
}
