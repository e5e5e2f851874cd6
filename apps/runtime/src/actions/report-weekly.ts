// report.weekly: e-mails the weekly review (the last full ISO week, or params.week) from a scheduled flow.
import { specOf } from '@flowdesk/schema';
import { isoWeekOf } from '@flowdesk/engine';
import { ActionFailure, defineExecutor } from './define.ts';
import { deliverEmail, EmailError, eventAddressProblem } from './email.ts';
import { weeklyReportFromStore } from '../observability/kpi-facts.ts';

export const reportWeekly = defineExecutor(specOf('report.weekly'), async (p, { cmd, deps }) => {
  const several = eventAddressProblem('report.weekly', p, cmd.provenance.fromEvent);
  if (several) throw new ActionFailure('error', several);
  const to = p.to || deps.env.FLOWDESK_CONFIG_OWNER_EMAIL || deps.env.FLOWDESK_ALERT_EMAIL;
  if (!to) throw new Error('params.to is required (or set FLOWDESK_CONFIG_OWNER_EMAIL)');
  const now = new Date(deps.clock.now()).toISOString();
  const week = p.week || isoWeekOf(new Date(deps.clock.now() - 7 * 86_400_000).toISOString());
  const report = await weeklyReportFromStore(deps.store, { week, now });
  try {
    const mail = await deliverEmail(
      { to, subject: p.subject ?? `Flowdesk weekly review ${week}`, text: report.markdown, html: report.html },
      { store: deps.store, clock: deps.clock, env: deps.env, run: deps.run, nodeId: cmd.nodeId },
      { idempotencyKey: cmd.idempotencyKey, timeoutMs: cmd.timeoutMs },
    );
    return { output: { week, messageId: mail.messageId, transport: mail.transport } };
  } catch (e) {
    throw e instanceof EmailError ? new ActionFailure(e.errorClass, e.message) : e;
  }
});

export default reportWeekly;
