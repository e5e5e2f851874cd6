// Static loss analysis: where a critical flow can lose an event. Pure.
import { actionSpec, type Flow } from '@flowdesk/schema';
import { retryPolicy } from '@flowdesk/engine';

export interface Risk {
  nodeId: string;
  reason: string;
}

/** An action that calls outside (its spec says so) with a single attempt and no error port loses the event on the first blip. */
export function lossRisks(flow: Flow): Risk[] {
  const risks: Risk[] = [];
  for (const n of flow.nodes) {
    if (n.type !== 'action' || !actionSpec(n.action)?.outside) continue;
    const attempts = retryPolicy(n).maxAttempts;
    const errorPort = flow.edges.some((e) => e.from === n.id && e.port === 'error');
    if (attempts <= 1 && !errorPort) risks.push({ nodeId: n.id, reason: `${n.action} has no retry and no error port: one failure of the dependency drops the event into a dead letter with no fallback` });
  }
  return risks;
}
