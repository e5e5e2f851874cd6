// A small flow shared by the engine's tests (the design.md example, minus outside calls).
import type { Flow } from '@flowdesk/schema';

export const leadFlow: Flow = {
  dsl: 1,
  id: 'lead',
  name: 'Lead',
  version: 1,
  trigger: { type: 'webhook', path: 'lead', auth: { type: 'none' }, idempotencyKey: { var: 'payload.email' } },
  nodes: [
    { id: 'score', type: 'compute', set: { fit: { if: [{ '>=': [{ var: 'payload.budget' }, 5000] }, 80, 30] }, double: { '*': [{ var: 'vars.fit' }, 2] } } },
    {
      id: 'qualify',
      type: 'route',
      rules: [
        { port: 'fast', when: { '>=': [{ var: 'vars.fit' }, 70] } },
        { port: 'also', when: { '>=': [{ var: 'vars.fit' }, 10] } },
      ],
      default: 'review',
    },
    {
      id: 'welcome',
      type: 'action',
      action: 'http.request',
      params: { method: 'POST', url: '{{config.CRM_URL}}/leads', headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' }, body: { email: '{{payload.email}}', fit: '{{vars.fit}}', tag: { $logic: { cat: ['lead-', { var: 'vars.fit' }] } } } },
    },
    { id: 'manual', type: 'review', queue: 'leads', decisions: ['approved', 'rejected'], sop: ['Call the lead'] },
    { id: 'done', type: 'end', exitState: { entity: 'account', key: { var: 'payload.email' }, state: 'qualified' } },
    { id: 'dropped', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'score' },
    { from: 'score', to: 'qualify' },
    { from: 'qualify', port: 'fast', to: 'welcome' },
    { from: 'qualify', port: 'also', to: 'manual' },
    { from: 'qualify', port: 'review', to: 'manual' },
    { from: 'welcome', to: 'done' },
    { from: 'manual', port: 'approved', to: 'done' },
    { from: 'manual', port: 'rejected', to: 'dropped' },
  ],
};
