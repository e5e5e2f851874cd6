// Alerts: stored, then delivered to the channels set by environment, with per-(flow, node, kind) folding.
// Channels: FLOWDESK_ALERT_WEBHOOK_URL (Slack-compatible {"text"}), FLOWDESK_ALERT_EMAIL (via sendEmail).
// A failed delivery is recorded on the alert and logged; it never throws to the caller.
import { randomUUID } from 'node:crypto';
import type { Alert, Severity } from '@flowdesk/schema';
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store, Timer } from '../store/types.ts';
import { makeRedactor } from '../security/redact.ts';
import { alertText, formatAlertEmail, formatSummaryEmail, summaryText, type SummaryInput } from './email-format.ts';
import { closeFoldWindow, FOLD_WINDOW_MS, foldAlert, foldKey, summaryTimerId, type FoldState } from './fold.ts';

export type AlertInput = Omit<Alert, 'id' | 'at' | 'delivered'>;
export type Delivery = NonNullable<Alert['delivered']>[number];
export type SendEmail = (m: { to: string; subject: string; text: string }) => Promise<unknown>;

export interface AlertDispatcherOptions {
  store: Store;
  clock: Clock;
  /** FLOWDESK_* settings; read at each delivery */
  env: Record<string, string | undefined>;
  log: Logger;
  sendEmail?: SendEmail;
  /** secret values to redact from alert messages and delivery errors */
  secretValues?: () => readonly string[];
  windowMs?: number; // default 10 minutes
  webhookTimeoutMs?: number; // default 5 s
}

export interface AlertDispatcher {
  raise(input: AlertInput): Promise<Alert>;
  /** Called by the worker when an `alert-summary` timer is due; other kinds are ignored. */
  onTimer(timer: Timer): Promise<void>;
  /** At start-up: sends summaries of windows that closed while no timer fired (a crash between claim and send). */
  resume(): Promise<void>;
  /** Channels configured now, e.g. ["webhook", "email"]. */
  channels(): string[];
  /** Sends a message that is not an alert (a review waiting) to every channel, unfolded; never throws. */
  notify(message: { subject: string; text: string }): Promise<Delivery[]>;
}

/** The fold state of one key, kept in the 'settings' collection so it survives restarts. */
interface FoldDoc {
  id: string;
  fold: FoldState;
  flowId: string;
  nodeId?: string;
  kind: string;
  severity: Severity; // the most severe of the folded repeats
  lastAlertId?: string;
  lastMessage?: string;
  [k: string]: unknown;
}
export const FOLD_DOC_PREFIX = 'alert-fold:';

const moreSevere = (a: Severity, b: Severity): Severity => (a < b ? a : b); // P0 < P1 < P2

export function createAlertDispatcher(opts: AlertDispatcherOptions): AlertDispatcher {
  const { store, clock, env, log, sendEmail } = opts;
  const windowMs = opts.windowMs ?? FOLD_WINDOW_MS;
  const timeoutMs = opts.webhookTimeoutMs ?? 5_000;
  const redactor = () => makeRedactor(opts.secretValues?.() ?? []);
  const iso = (ms: number) => new Date(ms).toISOString();

  const channels = () => {
    const out: string[] = [];
    if (env.FLOWDESK_ALERT_WEBHOOK_URL) out.push('webhook');
    if (env.FLOWDESK_ALERT_EMAIL && sendEmail) out.push('email');
    return out;
  };

  async function postWebhook(url: string, text: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new Error(`timed out after ${timeoutMs} ms`);
      throw new Error(`network error: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
    }
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  }

  /** Sends to every configured channel; never throws. */
  async function deliver(text: string, email: { subject: string; text: string }, suffix = ''): Promise<Delivery[]> {
    const clean = redactor();
    const jobs: Promise<Delivery>[] = [];
    const attempt = (channel: string, fn: () => Promise<unknown>): Promise<Delivery> =>
      fn().then(
        () => ({ channel: channel + suffix, at: iso(clock.now()), ok: true }),
        (e: unknown) => {
          const error = clean(e instanceof Error ? e.message : String(e));
          log.warn({ channel, error }, 'alert delivery failed');
          return { channel: channel + suffix, at: iso(clock.now()), ok: false, error };
        },
      );
    const url = env.FLOWDESK_ALERT_WEBHOOK_URL;
    if (url) jobs.push(attempt('webhook', () => postWebhook(url, clean(text))));
    const to = env.FLOWDESK_ALERT_EMAIL;
    if (to && sendEmail) jobs.push(attempt('email', () => sendEmail({ to, subject: clean(email.subject), text: clean(email.text) })));
    return Promise.all(jobs);
  }

  async function recordDeliveries(alertId: string | undefined, deliveries: Delivery[]): Promise<Alert | undefined> {
    if (!alertId || deliveries.length === 0) return undefined;
    return store.updateDoc('alerts', alertId, (cur) => (cur ? { ...cur, delivered: [...(cur.delivered ?? []), ...deliveries] } : undefined));
  }

  async function sendSummary(doc: FoldDoc, count: number): Promise<void> {
    const s: SummaryInput = { flowId: doc.flowId, nodeId: doc.nodeId, kind: doc.kind, severity: doc.severity, count, windowMs, lastMessage: doc.lastMessage };
    const deliveries = await deliver(summaryText(s), formatSummaryEmail(s), ':summary');
    await recordDeliveries(doc.lastAlertId, deliveries).catch((e: unknown) => log.error({ err: String(e) }, 'could not record alert summary delivery'));
  }

  async function closeWindow(docId: string): Promise<void> {
    const now = clock.now();
    let count = 0;
    let snapshot: FoldDoc | undefined;
    let rescheduleAt: number | undefined;
    await store.updateDoc('settings', docId, (cur) => {
      const doc = cur as FoldDoc | undefined;
      const d = closeFoldWindow(doc?.fold, now);
      count = d.summaryCount;
      rescheduleAt = d.rescheduleAt;
      snapshot = doc;
      if (!doc || d.summaryCount === 0 || !d.state) return undefined;
      return { ...doc, fold: d.state };
    });
    if (rescheduleAt !== undefined && snapshot) {
      await store.putTimer({ id: summaryTimerId(snapshot.fold.key), kind: 'alert-summary', dueAt: iso(rescheduleAt), flowId: snapshot.flowId, data: { key: snapshot.fold.key } });
    }
    if (count > 0 && snapshot) await sendSummary(snapshot, count);
  }

  return {
    channels,

    notify(message) {
      return deliver(message.text, message);
    },

    async raise(input) {
      const now = clock.now();
      const clean = redactor();
      const alert: Alert = clean({ ...input, id: randomUUID(), at: iso(now), delivered: [] });
      // An alert that cannot be stored (the store cannot write: a full disk) is still delivered, at once
      // and unfolded: the channels need no disk, and this is when the owner most needs to hear.
      const undeliverableToStore = async (e: unknown): Promise<Alert> => {
        log.error({ err: (e as Error).message, kind: alert.kind }, 'alert not stored (the store cannot write); delivering it anyway');
        return { ...alert, delivered: await deliver(alertText(alert), formatAlertEmail(alert, windowMs)) };
      };
      try {
        await store.putDoc('alerts', alert);
      } catch (e) {
        return undeliverableToStore(e);
      }

      const key = foldKey(alert.flowId, alert.nodeId, alert.kind);
      const docId = FOLD_DOC_PREFIX + key;
      let decision: ReturnType<typeof foldAlert> | undefined;
      let previous: FoldDoc | undefined;
      const folded = store.updateDoc('settings', docId, (cur) => {
        const doc = cur as FoldDoc | undefined;
        previous = doc;
        decision = foldAlert(doc?.fold, key, now, windowMs);
        const base = { id: docId, fold: decision.state, flowId: alert.flowId, nodeId: alert.nodeId, kind: alert.kind };
        const next: FoldDoc = decision.deliverNow
          ? { ...base, severity: alert.severity }
          : { ...base, severity: moreSevere(doc?.severity ?? alert.severity, alert.severity), lastAlertId: alert.id, lastMessage: alert.message };
        return next;
      });
      try {
        await folded;
      } catch (e) {
        return undeliverableToStore(e);
      }
      const d = decision!;

      if (d.flushSummary && previous) await sendSummary(previous, d.flushSummary);
      if (!d.deliverNow) {
        await store.putTimer({ id: summaryTimerId(key), kind: 'alert-summary', dueAt: iso(d.summaryDueAt!), flowId: alert.flowId, data: { key } });
        return alert;
      }
      const deliveries = await deliver(alertText(alert), formatAlertEmail(alert, windowMs));
      if (deliveries.length === 0) return alert;
      return (await recordDeliveries(alert.id, deliveries)) ?? { ...alert, delivered: deliveries };
    },

    async onTimer(timer) {
      if (timer.kind !== 'alert-summary') return;
      const key = typeof timer.data?.key === 'string' ? timer.data.key : timer.id.slice('alert-summary:'.length);
      await closeWindow(FOLD_DOC_PREFIX + key);
    },

    async resume() {
      const now = clock.now();
      const docs = (await store.listDocs('settings')) as FoldDoc[];
      for (const doc of docs) {
        if (!doc.id.startsWith(FOLD_DOC_PREFIX) || !doc.fold || doc.fold.suppressed === 0) continue;
        if (now >= doc.fold.windowEndsAt && !(await store.getTimer(summaryTimerId(doc.fold.key)))) await closeWindow(doc.id);
      }
    },
  };
}
