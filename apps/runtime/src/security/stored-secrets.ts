// Flows stored before secrets were confined to outbound params (issue 12, item 8) may name a secret in a
// flow.emit payload, record data, a task or an e-mail. A deploy now refuses that; a stored flow keeps
// running, the engine renders the value "[redacted]" there, and this raises one alert per node saying so
// (once per flow version: a marker in the settings collection survives restarts).
import { misplacedSecrets, type Flow } from '@flowdesk/schema';
import type { AlertDispatcher } from '../alerts/dispatcher.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/types.ts';

export const MISPLACED_SECRET_ALERT = 'misplaced_secret';

export async function alertMisplacedSecrets(flows: { doc: Flow; active: boolean }[], deps: { store: Store; alerts: Pick<AlertDispatcher, 'raise'>; log: Logger; now: string }): Promise<number> {
  let raised = 0;
  for (const f of flows) {
    if (!f.active) continue;
    const byNode = new Map<string, string[]>();
    for (const m of misplacedSecrets(f.doc)) {
      const key = m.nodeId ?? '';
      byNode.set(key, [...(byNode.get(key) ?? []), `${m.secret} at ${m.path}`]);
    }
    for (const [nodeId, places] of byNode) {
      const id = `misplaced-secret:${f.doc.id}:${f.doc.version ?? 1}:${nodeId}`;
      if (await deps.store.getDoc('settings', id)) continue;
      const where = nodeId ? `node "${nodeId}"` : 'its trigger';
      const message = `flow ${f.doc.id} (version ${f.doc.version ?? 1}), ${where}, names a secret where it would be stored or shown in clear (${places.join('; ')}). It is written "[redacted]" there; a secret may appear only in params sent to an outside service. Move it, and redeploy the flow.`;
      deps.log.error({ flowId: f.doc.id, nodeId, places }, message);
      await deps.alerts.raise({ flowId: f.doc.id, ...(nodeId ? { nodeId } : {}), kind: MISPLACED_SECRET_ALERT, severity: 'P1', message });
      await deps.store.putDoc('settings', { id, flowId: f.doc.id, version: f.doc.version ?? 1, nodeId, at: deps.now });
      raised++;
    }
  }
  return raised;
}
