// A tiny history-API router (the runtime falls back to index.html for any non-API path).
import { useEffect, useState } from 'react';

type Guard = () => string | null; // a message when leaving should be confirmed
let guard: Guard | null = null;
export function setLeaveGuard(g: Guard | null): void {
  guard = g;
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
    const on = () => setPath(location.pathname);
    window.addEventListener('popstate', on);
    window.addEventListener('flowdesk:navigate', on);
    return () => {
      window.removeEventListener('popstate', on);
      window.removeEventListener('flowdesk:navigate', on);
    };
  }, []);
  return path;
}
