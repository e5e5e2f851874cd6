// report.weekly: e-mails the weekly review (the last full ISO week, or params.week) from a scheduled flow.
import { isoWeekOf } from '@flowdesk/engine';
import type { ActionExecutor } from './types.ts';
import { deliverEmail, EmailError } from './email.ts';
import { weeklyReportFromStore } from '../observability/kpi-facts.ts';

export const reportWeekly: ActionExecutor = async (cmd, deps) => {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const p = cmd.params as { to?: unknown; week?: unknown; subject?: unknown };
  const to = typeof p.to === 'string' && p.to ? p.to : deps.env.FLOWDESK_CONFIG_OWNER_EMAIL ?? deps.env.FLOWDESK_ALERT_EMAIL;
  if (!to) return { ok: false, errorClass: 'error', error: 'params.to is required (or set FLOWDESK_CONFIG_OWNER_EMAIL)', durationMs: ms() };
  const now = new Date(deps.clock.now()).toISOString();
  const week = typeof p.week === 'string' && p.week ? p.week : isoWeekOf(new Date(deps.clock.now() - 7 * 86_400_000).toISOString());
  try {
    const report = await weeklyReportFromStore(deps.store, { week, now });
    const mail = await deliverEmail(
      { to, subject: typeof p.subject === 'string' ? p.subject : `Flowdesk weekly review ${week}`, text: report.markdown, html: report.html },
      { store: deps.store, clock: deps.clock, env: deps.env, run: deps.run, nodeId: cmd.nodeId },
      { idempotencyKey: cmd.idempotencyKey, timeoutMs: cmd.timeoutMs },
    );
    return { ok: true, output: { week, messageId: mail.messageId, transport: mail.transport }, durationMs: ms() };
  } catch (e) {
    if (e instanceof EmailError) return { ok: false, errorClass: e.errorClass, error: e.message, durationMs: ms() };
    return { ok: false, errorClass: 'error', error: (e as Error).message, durationMs: ms() };
  }
};
