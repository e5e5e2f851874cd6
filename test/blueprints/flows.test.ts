// The shipped lead-to-cash blueprints: each validates against the DSL and the state map, every sample
// meets its payload contract, and a dry run of each sample takes the expected path.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { validateFlow, canTransition, type EntityRecord, type Flow, type StateMap } from '@flowdesk/schema';
import { dryRun } from '@flowdesk/engine';

const flowsDir = fileURLToPath(new URL('../../flows/', import.meta.url));
const read = <T>(name: string): T => JSON.parse(readFileSync(`${flowsDir}${name}`, 'utf8')) as T;
const stateMap = read<StateMap>('state-map.json');

const BLUEPRINTS = [
  'lead-qualification',
  'lead-inbox',
  'client-onboarding',
  'proposal-signed',
  'payment-received',
  'delivery-ops',
  'delivery-weekly-status',
  'invoice-issue',
  'invoicing-collections',
  'invoice-paid',
] as const;

const ajv = new Ajv2020({ allErrors: true, strict: false });
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv2020) => void;
addFormats(ajv);

const NOW = '2026-01-05T09:00:00.000Z';
const rec = (entity: string, key: string, state: string, data: Record<string, unknown> = {}): EntityRecord => ({
  entity,
  key,
  state,
  data,
  history: [],
  createdAt: NOW,
  updatedAt: NOW,
});
const sample = (flow: Flow, name: RegExp) => {
  const s = flow.samples?.find((x) => name.test(x.name));
  if (!s) throw new Error(`${flow.id} has no sample matching ${name}`);
  return s.payload;
};

describe('blueprint documents', () => {
  for (const id of BLUEPRINTS) {
    it(`${id}: valid DSL, states in the state map, samples meet the contract, $schema, SOPs, severities`, () => {
      const doc = read<Flow>(`${id}.json`);
      const v = validateFlow(doc, { stateMap });
      expect(v.errors).toEqual([]);
      expect(doc.id).toBe(id);
      expect(doc.$schema).toBe('../packages/schema/flow.schema.json');
      expect(doc.samples?.length).toBeGreaterThan(0);
      expect(doc.sop?.length).toBeGreaterThan(0);
      expect(doc.severity).toMatch(/^P[012]$/);
      const schema = 'payloadSchema' in doc.trigger ? doc.trigger.payloadSchema : undefined;
      if (schema) {
        const check = ajv.compile(schema as object);
        for (const s of doc.samples ?? []) expect({ sample: s.name, ok: check(s.payload), errors: check.errors ?? null }).toMatchObject({ ok: true });
      }
    });
  }

  it('the business blueprints carry minutesSaved and explicit thresholds in their descriptions', () => {
    for (const id of ['lead-qualification', 'client-onboarding', 'delivery-ops', 'invoicing-collections']) {
      const doc = read<Flow>(`${id}.json`);
      expect(doc.nodes.some((n) => (n.minutesSaved ?? 0) > 0)).toBe(true);
      expect(doc.critical).toBe(true);
    }
  });

  it('every transition the blueprints make exists in the state map from the state they expect', () => {
    const must: [string, string | null, string][] = [
      ['account', null, 'captured'],
      ['account', 'captured', 'qualified'],
      ['account', 'captured', 'disqualified'],
      ['account', 'qualified', 'won'],
      ['account', null, 'won'],
      ['account', 'won', 'in_delivery'],
      ['account', 'in_delivery', 'invoice_issued'],
      ['account', 'invoice_issued', 'retained'],
      ['account', 'invoice_issued', 'churned'],
      ['invoice', null, 'issued'],
      ['invoice', 'issued', 'overdue'],
      ['invoice', 'issued', 'paid'],
      ['invoice', 'overdue', 'paid'],
      ['invoice', 'overdue', 'written_off'],
    ];
    for (const [entity, from, to] of must) expect({ entity, from, to, ...canTransition(stateMap, entity, from, to) }).toMatchObject({ ok: true });
  });
});

describe('blueprint dry runs (no side effects)', () => {
  it('lead-qualification: high fit → fast response → qualified; middle → review; low → nurture', () => {
    const flow = read<Flow>('lead-qualification.json');
    const high = dryRun(flow, { payload: sample(flow, /high-fit/), now: NOW });
    expect(high.path).toEqual(['trigger', 'check-record', 'capture', 'tag', 'score', 'qualify', 'fast-response', 'notify-slack', 'qualified']);
    expect(high.vars).toMatchObject({ fit: 95, urgency: 100, sourceTag: 'source:referral' });
    expect(high.actions[1]).toMatchObject({ action: 'email.send', params: { to: 'ada@lovelace-labs.example', subject: 'Thanks Ada: next steps for Lovelace Labs' } });
    expect(high.end?.exitState).toEqual({ entity: 'account', key: 'ada@lovelace-labs.example', state: 'qualified' });

    const middle = dryRun(flow, { payload: sample(flow, /middle-fit/), now: NOW, decisions: { 'manual-review': 'rejected' } });
    expect(middle.vars.fit).toBe(55);
    expect(middle.path).toContain('manual-review');
    expect(middle.end?.exitState?.state).toBe('disqualified');

    const low = dryRun(flow, { payload: sample(flow, /low-fit/), now: NOW });
    expect(low.vars.fit).toBe(0);
    expect(low.path.slice(-3)).toEqual(['nurture-email', 'nurture-task', 'nurtured']);
    expect(low.actions.find((a) => a.nodeId === 'nurture-task')?.params).toMatchObject({ due: '30d' });

    // thresholds are inclusive: 70 is fast, 40 is review, 39 is nurture
    const at = (budget: number, source: string) => dryRun(flow, { payload: { email: 'x@y.example', budget, source }, now: NOW }).path;
    expect(at(10000, 'referral')).toContain('fast-response'); // 50 + 20 = 70
    expect(at(10000, 'linkedin')).toContain('manual-review'); // 50 + 10 = 60
    expect(at(5000, 'form')).toContain('manual-review'); // 35 + 5 = 40
    expect(at(5000, 'other')).toContain('nurture-email'); // 35
  });

  it('lead-qualification: an account already won is not re-qualified', () => {
    const flow = read<Flow>('lead-qualification.json');
    const r = dryRun(flow, { payload: sample(flow, /high-fit/), now: NOW, record: rec('account', 'ada@lovelace-labs.example', 'in_delivery') });
    expect(r.path).toEqual(['trigger', 'check-record', 'existing-client-task', 'existing']);
  });

  it('invoicing-collections: the hard stop sends high-value invoices to review, never to reminders', () => {
    const flow = read<Flow>('invoicing-collections.json');
    const high = dryRun(flow, { payload: sample(flow, /high-value/), now: NOW });
    expect(high.path).toEqual(['trigger', 'prepare', 'hard-stop', 'high-value-task', 'high-value-review', 'handled']);
    expect(high.actions.some((a) => a.action === 'email.send')).toBe(false);
    const std = dryRun(flow, { payload: sample(flow, /standard/), now: NOW });
    expect(std.actions.filter((a) => a.action === 'email.send').map((a) => a.params.subject)).toEqual([
      'Invoice INV-2026-001 is due on 2026-02-01',
      'Invoice INV-2026-001 is now overdue',
      'Second reminder: invoice INV-2026-001 is 7 days overdue',
    ]);
  });
});
