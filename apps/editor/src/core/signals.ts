// Signals for the browser tests: an event counts up on <html data-fd-EVENT="n">, with a
// data-fd-EVENT-pending mark while one is scheduled, so a test waits for the event itself — never for
// a fixed time. Nothing in the editor reads them.
export type Signal = 'autosave' | 'view-fit';

export function signalPending(s: Signal): void {
  document.documentElement.setAttribute(`data-fd-${s}-pending`, '');
}

export function signalDone(s: Signal): void {
  const el = document.documentElement;
  el.removeAttribute(`data-fd-${s}-pending`);
  el.setAttribute(`data-fd-${s}`, String(Number(el.getAttribute(`data-fd-${s}`) ?? 0) + 1));
}
