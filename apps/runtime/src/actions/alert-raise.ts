// alert.raise: an alert at the given severity (P2 unless P0/P1 is named), through the alert dispatcher.
import { specOf, type Severity } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { servicesOf } from './services.ts';

const SEVERITIES: readonly string[] = ['P0', 'P1', 'P2'];

export const alertRaise = defineExecutor(specOf('alert.raise'), async (p, { cmd, deps }) => {
  const alert = await servicesOf(deps).raiseAlert({
    flowId: deps.run.flowId,
    nodeId: cmd.nodeId,
    runId: deps.run.id,
    kind: p.kind ?? 'raised',
    severity: (p.severity !== undefined && SEVERITIES.includes(p.severity) ? p.severity : 'P2') as Severity,
    message: p.message,
  });
  return { output: { alertId: alert.id, severity: alert.severity } };
});

export default alertRaise;
