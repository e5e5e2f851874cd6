// What happens when the store cannot write (a full disk, an I/O error, a lost database): a P0 alert —
// delivered by the alert webhook, which needs no disk — and a log line; when writes work again, a log
// line and the runs a failed write stopped go on. /healthz reads store.health() directly.
import type { Logger } from '../observability/logger.ts';
import type { AlertDispatcher } from '../alerts/dispatcher.ts';
import type { Store, StoreHealth } from '../store/types.ts';

/** One P0 per outage; an outage that comes back within this long is the same outage. */
const REALERT_MS = 10 * 60_000;

export function watchStoreHealth(deps: { store: Store; alerts: AlertDispatcher; log: Logger; onWritable: () => void; now: () => number }): void {
  const { store, alerts, log } = deps;
  let lastAlertAt = -Infinity;
  store.onHealthChange((h: StoreHealth) => {
    if (!h.ok) {
      log.error({ cause: h.cause }, 'store: writes fail; webhooks answer 503 until they work again');
      if (deps.now() - lastAlertAt < REALERT_MS) return;
      lastAlertAt = deps.now();
      void alerts
        .raise({
          flowId: 'flowdesk',
          kind: 'store_unwritable',
          severity: 'P0',
          message: `Flowdesk cannot write to its store: ${h.cause}. New events are refused (503) until it can; nothing already acknowledged is lost. Free disk space (or fix the database) — writes resume by themselves.`,
        })
        .catch((e: Error) => log.error({ err: e.message }, 'could not raise the store alert'));
    } else {
      log.info('store: writes work again');
      deps.onWritable();
    }
  });
}
