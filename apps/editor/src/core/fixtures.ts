// Flows used by the core tests besides those in flows/: the design's example and edge cases.
import type { Flow } from '@flowdesk/schema';

export const DESIGN_EXAMPLE: Flow = {
  dsl: 1, id: 'lead-qualification', name: 'Lead qualification', description: '…',
  critical: true, severity: 'P1', owner: 'founder',
  trigger: {
    type: 'webhook', path: 'lead',
    auth: { type: 'none' },
    payloadSchema: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
    idempotencyKey: { var: 'payload.email' },
    dedupeWindow: '24h',
  },
  nodes: [
    { id: 'score', type: 'compute', set: { fit: { if: [{ '>=': [{ var: 'payload.budget' }, 5000] }, 80, 30] } } },
    { id: 'qualify', type: 'route', rules: [{ port: 'fast', when: { '>=': [{ var: 'vars.fit' }, 70] } }], default: 'review' },
    { id: 'welcome', type: 'action', action: 'http.request',
      params: { method: 'POST', url: '{{config.CRM_URL}}/leads', headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' }, body: { email: '{{payload.email}}' } },
      retry: { delays: ['30s', '2m', '10m'], retryOn: ['5xx', '429', 'timeout', 'network'] } },
    { id: 'manual', type: 'review', queue: 'leads', decisions: ['approved', 'rejected'], sop: ['Call the lead within 24h'] },
    { id: 'done', type: 'end', exitState: { entity: 'account', key: { var: 'payload.email' }, state: 'qualified' } },
    { id: 'dropped', type: 'end', exitState: { entity: 'account', key: { var: 'payload.email' }, state: 'disqualified' } },
  ],
  edges: [
    { from: 'trigger', to: 'score' }, { from: 'score', to: 'qualify' },
    { from: 'qualify', port: 'fast', to: 'welcome' }, { from: 'qualify', port: 'review', to: 'manual' },
    { from: 'welcome', to: 'done' }, { from: 'manual', port: 'approved', to: 'done' },
    { from: 'manual', port: 'rejected', to: 'dropped' },
  ],
  layout: { score: { x: 240, y: 80 } },
  samples: [{ name: 'high-fit lead', payload: { email: 'ada@example.com', budget: 9000 } }],
};

export const NO_LAYOUT: Flow = {
  dsl: 1, id: 'no-layout', name: 'No layout', version: 3, active: false,
  trigger: { type: 'manual' },
  nodes: [
    { id: 'w', type: 'wait', for: '1d' },
    { id: 'a', type: 'action', action: 'email.send', params: { to: 'x@example.com' } },
    { id: 'e', type: 'end' },
  ],
  edges: [{ from: 'trigger', to: 'w' }, { from: 'w', to: 'a' }, { from: 'a', port: 'ok', to: 'e' }, { from: 'a', port: 'error', to: 'w' }],
};

export const STALE_LAYOUT: Flow = {
  dsl: 1, id: 'stale', name: 'Stale layout',
  trigger: { type: 'schedule', cron: '0 9 * * 1', timezone: 'Europe/Berlin' },
  nodes: [{ id: 'e', type: 'end' }],
  edges: [{ from: 'trigger', to: 'e' }],
  layout: { trigger: { x: 1.5, y: -20 }, gone: { x: 5, y: 5 } },
};
