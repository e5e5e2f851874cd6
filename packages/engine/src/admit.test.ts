// admitEvent, one table for every way in: a webhook, a manual start (the API and flow.emit), a schedule
// slot, a record entering a state. Each row is an event and the admission it must get.
import { describe, expect, it } from 'vitest';
import type { Flow, Trigger } from '@flowdesk/schema';
import { admitEvent, DEFAULT_DEDUPE_WINDOW_MS, EMAIL_DEDUPE_WINDOW_MS, normaliseKey, RECORD_TRIGGER_WINDOW_MS, type Admission, type IncomingEvent } from './admit.ts';

const flow = (trigger: Trigger, extra: Partial<Flow> = {}): Flow => ({
  dsl: 1, id: 'f', name: 'F', version: 1, trigger,
  nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }], ...extra,
});
const byCustomer = { var: 'payload.customer' };
const webhook = flow(
  { type: 'webhook', path: 'lead', auth: { type: 'none' }, idempotencyKey: byCustomer, dedupeWindow: '2h', filter: { '!=': [{ var: 'payload.type' }, 'test'] } },
  { record: { entity: 'account', key: { var: 'payload.email' } } },
);
const manual = flow({ type: 'manual', idempotencyKey: byCustomer, dedupeWindow: '3d' });
const signed = flow({ type: 'webhook', path: 'sw', auth: { type: 'hmac', secret: 'SW' } });
const signedOwnKey = flow({ type: 'webhook', path: 'sw2', auth: { type: 'hmac', secret: 'SW' }, idempotencyKey: byCustomer, dedupeWindow: '1h' });
const stripe = flow({ type: 'webhook', path: 'pay', auth: { type: 'stripe', secret: 'ST' } });
const bare = flow({ type: 'manual' });
const schedule = flow({ type: 'schedule', cron: '0 8 * * 1', payload: { kind: 'weekly' } });
const record = flow({ type: 'record', entity: 'account', state: 'won', filter: { '!=': [{ var: 'record.data.plan' }, 'free'] } });
const inbox = flow({ type: 'email', host: 'imap.example.com', user: 'ada@example.com', password: 'IMAP_PASS', filter: { '!': [{ in: ['noreply', { var: 'payload.from.address' }] }] } });
const feed = flow({ type: 'poll', url: 'https://example.com/jobs.json' });
const contract = (payload: unknown) => ((payload as { customer?: unknown }).customer === undefined ? [{ path: '/customer', message: "must have required property 'customer'" }] : []);

const customer = { id: 7, name: 'Ada' };
const mail = { from: { address: 'lead@example.com' }, subject: 'Quote?', messageId: '<m1@example.com>', customer };
const won = { entity: 'account', key: 'ada@example.com', state: 'won', from: 'qualified', data: { plan: 'pro' }, transitionId: 't1' };

const rows: [string, Flow, IncomingEvent, Admission][] = [
  ['webhook: key rule, window and record from the trigger', webhook, { source: { kind: 'webhook', path: 'lead' }, payload: { customer, email: 'ada@example.com' }, headers: { 'x-a': '1' } }, {
    admit: 'start',
    start: { payload: { customer, email: 'ada@example.com' }, headers: { 'x-a': '1' }, idempotencyKey: '{"id":7,"name":"Ada"}', dedupeWindowMs: 2 * 3_600_000, trigger: { type: 'webhook', path: 'lead' }, record: { entity: 'account', key: 'ada@example.com' } },
  }],
  ['webhook: the filter does not match', webhook, { source: { kind: 'webhook', path: 'lead' }, payload: { customer, type: 'test' } }, { admit: 'ignored', reason: 'the trigger filter did not match' }],
  ['webhook: the contract refuses', webhook, { source: { kind: 'webhook', path: 'lead' }, payload: { type: 'x' } }, { admit: 'rejected', error: 'payload does not match the contract', errors: [{ path: '/customer', message: "must have required property 'customer'" }] }],
  ['webhook: a key rule giving nothing: every event is its own run', webhook, { source: { kind: 'webhook', path: 'lead' }, payload: { customer: '' } }, {
    admit: 'start', start: { payload: { customer: '' }, headers: {}, idempotencyKey: null, dedupeWindowMs: 2 * 3_600_000, trigger: { type: 'webhook', path: 'lead' } },
  }],
  ['webhook, hmac (Standard Webhooks) with no key rule: the webhook-id header, for 28h', signed, { source: { kind: 'webhook', path: 'sw' }, payload: { customer }, headers: { 'webhook-id': 'msg_2Lh9' } }, {
    admit: 'start', start: { payload: { customer }, headers: { 'webhook-id': 'msg_2Lh9' }, idempotencyKey: 'msg_2Lh9', dedupeWindowMs: 28 * 3_600_000, trigger: { type: 'webhook', path: 'sw' } },
  }],
  ['webhook, hmac with the flow\'s own key rule and window: those', signedOwnKey, { source: { kind: 'webhook', path: 'sw2' }, payload: { customer }, headers: { 'webhook-id': 'msg_2Lh9' } }, {
    admit: 'start', start: { payload: { customer }, headers: { 'webhook-id': 'msg_2Lh9' }, idempotencyKey: '{"id":7,"name":"Ada"}', dedupeWindowMs: 3_600_000, trigger: { type: 'webhook', path: 'sw2' } },
  }],
  ['webhook, stripe with no key rule: the event id, for 3 days', stripe, { source: { kind: 'webhook', path: 'pay' }, payload: { id: 'evt_1Nq', type: 'invoice.paid', customer } }, {
    admit: 'start', start: { payload: { id: 'evt_1Nq', type: 'invoice.paid', customer }, headers: {}, idempotencyKey: 'evt_1Nq', dedupeWindowMs: 3 * 86_400_000, trigger: { type: 'webhook', path: 'pay' } },
  }],
  ['manual (API): the key rule applies, the filter does not', webhook, { source: { kind: 'manual' }, payload: { customer, type: 'test' } }, {
    admit: 'start', start: { payload: { customer, type: 'test' }, headers: {}, idempotencyKey: '{"id":7,"name":"Ada"}', dedupeWindowMs: 2 * 3_600_000, trigger: { type: 'manual' } },
  }],
  ['manual (API) on a manual trigger', manual, { source: { kind: 'manual' }, payload: { customer } }, {
    admit: 'start', start: { payload: { customer }, headers: {}, idempotencyKey: '{"id":7,"name":"Ada"}', dedupeWindowMs: 3 * 86_400_000, trigger: { type: 'manual' } },
  }],
  ['manual (flow.emit): the key rule wins over the step’s key', manual, { source: { kind: 'emit', idempotencyKey: 'parent:emit' }, payload: { customer } }, {
    admit: 'start', start: { payload: { customer }, headers: {}, idempotencyKey: '{"id":7,"name":"Ada"}', dedupeWindowMs: 3 * 86_400_000, trigger: { type: 'manual' } },
  }],
  ['manual (flow.emit) with no key rule: the step’s key', bare, { source: { kind: 'emit', idempotencyKey: 'parent:emit' }, payload: { customer } }, {
    admit: 'start', start: { payload: { customer }, headers: {}, idempotencyKey: 'parent:emit', dedupeWindowMs: DEFAULT_DEDUPE_WINDOW_MS, trigger: { type: 'manual' } },
  }],
  ['manual (flow.emit): the contract refuses', manual, { source: { kind: 'emit', idempotencyKey: 'parent:emit' }, payload: {} }, { admit: 'rejected', error: 'payload does not match the contract', errors: [{ path: '/customer', message: "must have required property 'customer'" }] }],
  ['schedule: one run per slot', schedule, { source: { kind: 'schedule', slot: '2026-03-02T08:00:00.000Z' }, payload: { kind: 'weekly' } }, {
    admit: 'start', start: { payload: { kind: 'weekly' }, headers: {}, idempotencyKey: 'schedule:f:2026-03-02T08:00:00.000Z', dedupeWindowMs: DEFAULT_DEDUPE_WINDOW_MS, trigger: { type: 'schedule', scheduledFor: '2026-03-02T08:00:00.000Z' } },
  }],
  ['record: one run per transition, about that record', record, { source: { kind: 'record', entity: 'account', key: 'ada@example.com', transitionId: 't1' }, payload: won }, {
    admit: 'start', start: { payload: won, headers: {}, idempotencyKey: 'account:ada@example.com:t1', dedupeWindowMs: RECORD_TRIGGER_WINDOW_MS, trigger: { type: 'record', recordTransitionId: 't1' }, record: { entity: 'account', key: 'ada@example.com' } },
  }],
  ['record: the filter sees the record', record, { source: { kind: 'record', entity: 'account', key: 'ada@example.com', transitionId: 't2' }, payload: { ...won, data: { plan: 'free' }, transitionId: 't2' } }, { admit: 'ignored', reason: 'the trigger filter did not match' }],
  ['email: one run per Message-ID, for 90 days', inbox, { source: { kind: 'email', mailbox: 'INBOX', uid: 12, key: '<m1@example.com>' }, payload: mail }, {
    admit: 'start', start: { payload: mail, headers: {}, idempotencyKey: '<m1@example.com>', dedupeWindowMs: EMAIL_DEDUPE_WINDOW_MS, trigger: { type: 'email', mailbox: 'INBOX', uid: 12 } },
  }],
  ['email: the filter applies', inbox, { source: { kind: 'email', mailbox: 'INBOX', uid: 13, key: '7:13' }, payload: { ...mail, from: { address: 'noreply@example.com' } } }, { admit: 'ignored', reason: 'the trigger filter did not match' }],
  ['poll: one run per item key, for the seen window', feed, { source: { kind: 'poll', url: 'https://example.com/jobs.json', key: 'job-1', windowMs: 86_400_000 }, payload: { id: 'job-1', customer } }, {
    admit: 'start', start: { payload: { id: 'job-1', customer }, headers: {}, idempotencyKey: 'job-1', dedupeWindowMs: 86_400_000, trigger: { type: 'poll', url: 'https://example.com/jobs.json', itemKey: 'job-1' } },
  }],
  ['poll: the contract refuses', flow({ type: 'poll', url: 'https://example.com/x' }), { source: { kind: 'poll', url: 'https://example.com/x', key: 'k', windowMs: 1000 }, payload: {} }, { admit: 'rejected', error: 'payload does not match the contract', errors: [{ path: '/customer', message: "must have required property 'customer'" }] }],
  ['manual (API): the contract refuses', manual, { source: { kind: 'manual' }, payload: { type: 'x' } }, { admit: 'rejected', error: 'payload does not match the contract', errors: [{ path: '/customer', message: "must have required property 'customer'" }] }],
  ['manual (flow.emit): the filter does not apply', webhook, { source: { kind: 'emit', idempotencyKey: 'parent:emit' }, payload: { customer, type: 'test' } }, {
    admit: 'start', start: { payload: { customer, type: 'test' }, headers: {}, idempotencyKey: '{"id":7,"name":"Ada"}', dedupeWindowMs: 2 * 3_600_000, trigger: { type: 'manual' } },
  }],
  ['a filter that throws is refused, naming the field', flow({ type: 'manual', filter: { nope: [] } } as Trigger), { source: { kind: 'webhook', path: 'x' }, payload: { customer } }, {
    admit: 'rejected', error: expect.stringContaining('trigger.filter') as unknown as string, errors: [{ path: '', message: expect.stringContaining('trigger.filter') as unknown as string }],
  }],
  ['a key rule that throws is refused, naming the field', flow({ type: 'manual', idempotencyKey: { nope: [] } }), { source: { kind: 'manual' }, payload: { customer } }, {
    admit: 'rejected', error: expect.stringContaining('trigger.idempotencyKey') as unknown as string, errors: [{ path: '', message: expect.stringContaining('trigger.idempotencyKey') as unknown as string }],
  }],
];

describe('admitEvent: every way in', () => {
  it.each(rows)('%s', (_name, f, event, expected) => {
    expect(admitEvent(f, event, { checkPayload: contract })).toEqual(expected);
  });

  it('an object-valued key gives the same key on every path that evaluates the rule', () => {
    const reordered = { name: 'Ada', id: 7 }; // the same object as sent by one sender is what dedupes; JSON keeps its order
    const keyOf = (f: Flow, event: IncomingEvent) => {
      const a = admitEvent(f, event);
      return a.admit === 'start' ? a.start.idempotencyKey : a.admit;
    };
    const keys = [
      keyOf(webhook, { source: { kind: 'webhook', path: 'lead' }, payload: { customer } }),
      keyOf(webhook, { source: { kind: 'manual' }, payload: { customer } }),
      keyOf(manual, { source: { kind: 'manual' }, payload: { customer } }),
      keyOf(manual, { source: { kind: 'emit', idempotencyKey: 'p:n' }, payload: { customer } }),
    ];
    expect(new Set(keys)).toEqual(new Set(['{"id":7,"name":"Ada"}']));
    expect(keyOf(manual, { source: { kind: 'manual' }, payload: { customer: reordered } })).toBe('{"name":"Ada","id":7}');
  });

  it('the default windows are the documented ones: 24 hours, 90 days for a Message-ID, ten years for a record transition', () => {
    expect(DEFAULT_DEDUPE_WINDOW_MS).toBe(86_400_000);
    expect(EMAIL_DEDUPE_WINDOW_MS).toBe(90 * 86_400_000);
    expect(RECORD_TRIGGER_WINDOW_MS).toBe(3650 * 86_400_000);
  });

  it('normalises keys: strings as they are, other values as JSON, nothing as null', () => {
    expect([normaliseKey('a'), normaliseKey(5), normaliseKey(true), normaliseKey([1, 'a']), normaliseKey({ a: 1 })]).toEqual(['a', '5', 'true', '[1,"a"]', '{"a":1}']);
    expect([normaliseKey(null), normaliseKey(undefined), normaliseKey('')]).toEqual([null, null, null]);
  });
});
