import { describe, expect, it } from 'vitest';
import { undeclaredPayloadField } from './payload-refs.ts';
import { validateFlow } from './validate.ts';

const flow = (payloadSchema: unknown, trigger: Record<string, unknown> = { type: 'webhook', path: 'orders', auth: { type: 'none' } }) => ({
  dsl: 1,
  id: 'orders',
  name: 'Orders',
  trigger: { ...trigger, ...(payloadSchema !== undefined ? { payloadSchema } : {}) },
  nodes: [
    { id: 'mail', type: 'action', action: 'email.send', params: { to: '{{payload.email}}', subject: 'Order {{ payload.orderId }}', text: 'Total {{payload.amount}}' } },
    { id: 'done', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'mail' },
    { from: 'mail', to: 'done' },
  ],
});
const amountOnly = { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } };

describe('placeholders against the payload contract', () => {
  it('an open contract: each undeclared field is a warning pinned to the node, and the flow still deploys', () => {
    const r = validateFlow(flow(amountOnly));
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => [w.nodeId, w.path])).toEqual([
      ['mail', '/nodes/0/params/to'],
      ['mail', '/nodes/0/params/subject'],
    ]);
    expect(r.warnings[0]!.message).toMatch(/does not declare "email"/);
  });
  it('a closed contract (additionalProperties: false): an error, so the flow cannot deploy', () => {
    const r = validateFlow(flow({ ...amountOnly, additionalProperties: false }));
    expect(r.ok).toBe(false);
    expect(r.errors.filter((e) => e.nodeId === 'mail').map((e) => e.path)).toEqual(['/nodes/0/params/to', '/nodes/0/params/subject']);
    expect(r.errors[0]!.message).toMatch(/allows no other fields/);
  });
  it('declared fields, triggers without a contract, and schemas it cannot read say nothing', () => {
    const all = { type: 'object', properties: { amount: { type: 'number' }, email: { type: 'string' }, orderId: { type: 'string' } }, additionalProperties: false };
    expect(validateFlow(flow(all)).warnings).toEqual([]);
    expect(validateFlow(flow(undefined)).warnings).toEqual([]);
    expect(validateFlow(flow(undefined, { type: 'schedule', cron: '0 9 * * 1' })).warnings).toEqual([]);
    expect(validateFlow(flow({ anyOf: [amountOnly] })).warnings).toEqual([]);
  });
  it('follows nested objects', () => {
    const s = { type: 'object', properties: { customer: { type: 'object', properties: { email: { type: 'string' } }, additionalProperties: false } } };
    expect(undeclaredPayloadField(s, 'customer.email')).toBeUndefined();
    expect(undeclaredPayloadField(s, 'customer.phone')).toEqual({ field: 'customer.phone', closed: true });
    expect(undeclaredPayloadField(s, 'total')).toEqual({ field: 'total', closed: false });
  });
  it('an idempotency key written as plain text is refused (it would make every event the same run)', () => {
    const f = flow(amountOnly);
    (f.trigger as Record<string, unknown>).idempotencyKey = 'payload order id';
    const r = validateFlow(f);
    expect(r.errors).toContainEqual(expect.objectContaining({ path: '/trigger/idempotencyKey', message: expect.stringMatching(/not a rule/) }));
  });
});
