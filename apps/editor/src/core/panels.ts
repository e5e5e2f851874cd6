// Which parts of the editor are shown (palette, side panel, bottom panel, minimap), kept per browser.
export interface PanelPrefs {
  palette: boolean;
  side: boolean;
  bottom: boolean;
  minimap: boolean;
}
const KEY = 'flowdesk:panels';
export const ALL_SHOWN: PanelPrefs = { palette: true, side: true, bottom: true, minimap: true };

export function loadPanels(): PanelPrefs {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Record<keyof PanelPrefs, unknown>>;
    const out = { ...ALL_SHOWN };
    for (const k of Object.keys(ALL_SHOWN) as (keyof PanelPrefs)[]) if (typeof raw[k] === 'boolean') out[k] = raw[k];
    return out;
  } catch {
    return { ...ALL_SHOWN };
  }
}

export function savePanels(p: PanelPrefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(p));
  } catch {
    /* storage full: the choice lasts for this page */
  }
}
