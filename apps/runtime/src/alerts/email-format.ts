// The text of an alert for each channel (Slack-compatible webhook text, e-mail).
import type { Alert, Severity } from '@flowdesk/schema';

export const alertSource = (a: Pick<Alert, 'flowId' | 'nodeId'>): string => (a.nodeId ? `${a.flowId}/${a.nodeId}` : a.flowId);

/** "[P1] lead-qualification/welcome: <message>" then a detail line. */
export function alertText(a: Alert): string {
  const details = [a.kind, a.runId ? `run ${a.runId}` : undefined].filter(Boolean).join(' · ');
  return `[${a.severity}] ${alertSource(a)}: ${a.message}\n${details}`;
}

export interface SummaryInput {
  flowId: string;
  nodeId?: string;
  kind: string;
  severity: Severity;
  count: number;
  windowMs: number;
  lastMessage?: string;
}

export function summaryText(s: SummaryInput): string {
  const minutes = Math.round(s.windowMs / 60_000);
  const what = `${s.count} more ${s.count === 1 ? 'alert' : 'alerts'} like this in the last ${minutes} minutes (${s.kind})`;
  return `[${s.severity}] ${alertSource(s)}: ${what}` + (s.lastMessage ? `\nlatest: ${s.lastMessage}` : '');
}

export function formatAlertEmail(a: Alert, windowMs = 10 * 60_000): { subject: string; text: string } {
  return {
    subject: `[Flowdesk ${a.severity}] ${alertSource(a)}: ${a.kind}`,
    text: [
      a.message,
      '',
      `Severity: ${a.severity}`,
      `Flow: ${a.flowId}`,
      a.nodeId ? `Node: ${a.nodeId}` : undefined,
      `Kind: ${a.kind}`,
      a.runId ? `Run: ${a.runId}` : undefined,
      `At: ${a.at}`,
      `Alert id: ${a.id}`,
      '',
      `Repeats of this alert within ${Math.round(windowMs / 60_000)} minutes are folded into one summary.`,
    ]
      .filter((l) => l !== undefined)
      .join('\n'),
  };
}

export function formatSummaryEmail(s: SummaryInput): { subject: string; text: string } {
  return {
    subject: `[Flowdesk ${s.severity}] ${alertSource(s)}: ${s.count} more ${s.kind}`,
    text: summaryText(s),
  };
}
