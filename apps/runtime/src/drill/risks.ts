// Static loss analysis: where a critical flow can lose an event. Pure.
import type { ActionNode, Flow } from '@flowdesk/schema';
import { retryPolicy } from '@flowdesk/engine';

const OUTSIDE = new Set(['http.request', 'email.send', 'text.generate', 'flow.emit', 'report.weekly']);

export interface Risk {
  nodeId: string;
  reason: string;
}

/** An action that calls outside with a single attempt and no error port loses the event on the first blip. */
export function lossRisks(flow: Flow): Risk[] {
  const risks: Risk[] = [];
  for (const n of flow.nodes) {
    if (n.type !== 'action' || !OUTSIDE.has(n.action)) continue;
    const attempts = retryPolicy(n as ActionNode).maxAttempts;
    const errorPort = flow.edges.some((e) => e.from === n.id && e.port === 'error');
    if (attempts <= 1 && !errorPort) risks.push({ nodeId: n.id, reason: `${n.action} has no retry and no error port: one failure of the dependency drops the event into a dead letter with no fallback` });
  }
  return risks;
}
