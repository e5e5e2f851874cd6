// The lead-qualification flow of design.md, as the tests share it: valid as it is (each test that
// needs it broken breaks its own copy). Data only; no test code.
import type { Flow } from './dsl.ts';

export function leadQualificationFlow(): Flow {
  return {
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
}
