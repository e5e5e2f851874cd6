// Unsaved drafts in localStorage, one per flow id.
import type { Flow } from '@flowdesk/schema';

const PREFIX = 'flowdesk:draft:';
export interface Draft {
  flow: Flow;
  at: string;
  /** written by "New flow" / import / duplicate, not by an edit */
  fresh?: boolean;
}
export function loadDraft(id: string): Draft | null {
  try {
    const raw = localStorage.getItem(PREFIX + id);
    return raw ? (JSON.parse(raw) as Draft) : null;
  } catch {
    return null;
  }
}
export function saveDraft(id: string, flow: Flow, fresh = false): void {
  try {
    localStorage.setItem(PREFIX + id, JSON.stringify({ flow, at: new Date().toISOString(), ...(fresh ? { fresh } : {}) }));
  } catch {
    /* storage full: the warning before leaving still protects the work */
  }
}
export function clearDraft(id: string): void {
  localStorage.removeItem(PREFIX + id);
}
export function draftIds(): string[] {
  const out: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k?.startsWith(PREFIX)) out.push(k.slice(PREFIX.length));
  }
  return out;
}
