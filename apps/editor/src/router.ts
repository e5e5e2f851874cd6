// A tiny history-API router (the runtime falls back to index.html for any non-API path).
import { useEffect, useState } from 'react';

type Guard = () => string | null; // a message when leaving should be confirmed
let guard: Guard | null = null;
function setLeaveGuard(g: Guard | null): void {
  guard = g;
}

/**
 * While `unsaved()` holds, leaving asks first: an in-app link or the back button with `message`
 * (confirm), closing or reloading the tab with the browser's own prompt. Returns the undo (an effect's cleanup).
 */
export function guardLeaving(unsaved: () => boolean, message: string): () => void {
  const before = (e: BeforeUnloadEvent) => {
    if (!unsaved()) return;
    e.preventDefault();
    e.returnValue = '';
  };
  window.addEventListener('beforeunload', before);
  setLeaveGuard(() => (unsaved() ? message : null));
  return () => {
    window.removeEventListener('beforeunload', before);
    setLeaveGuard(null);
  };
}

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  const msg = guard?.();
  if (msg && !confirm(msg)) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event('flowdesk:navigate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    let current = location.pathname + location.search;
    const on = () => {
      current = location.pathname + location.search;
      setPath(location.pathname);
    };
    // the browser's back/forward button: the same warning as a link, and staying means going back
    const onPop = () => {
      const msg = guard?.();
      if (msg && !confirm(msg)) {
        history.pushState(null, '', current);
        return;
      }
      on();
    };
    window.addEventListener('popstate', onPop);
    window.addEventListener('flowdesk:navigate', on);
    return () => {
      window.removeEventListener('popstate', onPop);
      window.removeEventListener('flowdesk:navigate', on);
    };
  }, []);
  return path;
}
