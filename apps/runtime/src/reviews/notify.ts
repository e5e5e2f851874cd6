// A review item reaches the founder: one message to the alert webhook and FLOWDESK_ALERT_EMAIL with a
// signed link per decision. What was sent where is kept on the review item (`notified`).
import type { ReviewItem } from '@flowdesk/schema';
import type { AlertDispatcher } from '../alerts/dispatcher.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/types.ts';
import { DEFAULT_LINK_TTL_MS, linkKey, signLink } from './links.ts';

export interface ReviewNotifierOptions {
  store: Store;
  clock: Clock;
  alerts: AlertDispatcher;
  /** the public base URL (FLOWDESK_PUBLIC_URL), read when a review opens */
  baseUrl: () => string;
}

export async function reviewLinks(store: Store, item: ReviewItem, baseUrl: string, nowMs: number): Promise<{ decision: string; url: string }[]> {
  const key = await linkKey(store);
  const exp = item.timeout ? Date.parse(item.timeout.at) : nowMs + DEFAULT_LINK_TTL_MS;
  return item.decisions.map((decision) => ({ decision, url: `${baseUrl}/r/${signLink(key, { reviewId: item.id, decision, exp })}` }));
}

export function reviewMessage(item: ReviewItem, links: { decision: string; url: string }[]): { subject: string; text: string } {
  const lines = [
    `Review needed: ${item.title}`,
    `Flow ${item.flowId}, queue "${item.queue}".`,
    ...(item.sop.length ? ['', ...item.sop.map((s) => `- ${s}`)] : []),
    '',
    ...links.map((l) => `${l.decision}: ${l.url}`),
    ...(item.timeout ? ['', `Nobody deciding by ${item.timeout.at} means "${item.timeout.decision}".`] : []),
    '',
    'Each link opens a page that asks you to confirm; it works once.',
  ];
  return { subject: `[Flowdesk] Review needed: ${item.title}`, text: lines.join('\n') };
}

export function createReviewNotifier(opts: ReviewNotifierOptions): (item: ReviewItem) => Promise<void> {
  return async (item) => {
    if (opts.alerts.channels().length === 0) return;
    const links = await reviewLinks(opts.store, item, opts.baseUrl(), opts.clock.now());
    const msg = reviewMessage(item, links);
    const delivered = await opts.alerts.notify(msg);
    await opts.store.updateDoc('reviews', item.id, (cur) => (cur ? { ...cur, notified: [...(cur.notified ?? []), ...delivered] } : undefined));
  };
}
