// Which connector nodes of a flow have a working connection: the flow's "not configured" banner in
// the editor and GET /api/connection-usage. Pure.
import { actionSpec } from './action-specs.ts';
import type { ConnectionStatus } from './connections.ts';

export interface ConnectorUse {
  flowId: string;
  nodeId: string;
  action: string;
  connection: string | null;
  /** ready, or why the step would end not-configured (missing, not-connected) or fail (broken, wrong-app) */
  status: 'ready' | 'missing' | 'not-connected' | 'broken' | 'wrong-app';
}

interface FlowLike {
  id: string;
  nodes: readonly { id: string; type: string; action?: string; params?: unknown }[];
}

export function connectorUses(flows: readonly FlowLike[], connections: readonly { id: string; app: string; status: ConnectionStatus }[]): ConnectorUse[] {
  const byId = new Map(connections.map((c) => [c.id, c]));
  const out: ConnectorUse[] = [];
  for (const f of flows) {
    for (const n of f.nodes) {
      if (n.type !== 'action' || !n.action) continue;
      const spec = actionSpec(n.action);
      if (!spec || spec.apps.length === 0) continue;
      const raw = (n.params as Record<string, unknown> | undefined)?.connection;
      // an http.request without a connection calls without credentials
      if ((raw === undefined || raw === '') && spec.apps.includes('*')) continue;
      const id = typeof raw === 'string' && raw.trim() !== '' ? raw : null;
      const c = id ? byId.get(id) : undefined;
      const status: ConnectorUse['status'] = !c
        ? 'missing'
        : !spec.apps.includes('*') && !spec.apps.includes(c.app)
          ? 'wrong-app'
          : c.status === 'broken'
            ? 'broken'
            : c.status === 'not-connected'
              ? 'not-connected'
              : 'ready';
      out.push({ flowId: f.id, nodeId: n.id, action: n.action, connection: id, status });
    }
  }
  return out;
}
