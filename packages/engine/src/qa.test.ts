import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { findPhrase, miniValidate, runQaChecks, type QaInput } from './qa.ts';

const ajv = new Ajv2020({ allErrors: true, strict: false });
const ajvValidator = (schema: object) => {
  const v = ajv.compile(schema);
  return (value: unknown) => (v(value) ? [] : (v.errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? 'invalid' })));
};

const statusSchema = {
  type: 'object',
  required: ['account', 'stage', 'summary', 'risk'],
  properties: { account: { type: 'string' }, stage: { type: 'string' }, summary: { type: 'string' }, risk: { type: 'number' } },
};

const goodUpdate = {
  subject: 'Acme Corp: weekly update, in delivery',
  body: 'Hi Acme Corp team, the project is in delivery and the next milestone lands on Friday. Risk is low.',
};

const base = (over: Partial<QaInput> = {}): QaInput => ({
  output: goodUpdate,
  checks: {
    bannedTerms: ['guarantee', '100% uptime', 'risk-free'],
    context: { account: { var: 'record.data.name' }, stage: { var: 'record.state' }, otherAccounts: { var: 'vars.others' } },
    destination: 'email',
  },
  context: { account: 'Acme Corp', stage: 'in_delivery', otherAccounts: ['Globex', 'Initech'] },
  ...over,
});

describe('runQaChecks', () => {
  it('passes a good e-mail update on all four checks', () => {
    const r = runQaChecks({
      ...base(),
      output: JSON.stringify({ account: 'Acme Corp', stage: 'in delivery', summary: 'On track for Friday.', risk: 10 }),
      checks: { ...base().checks, schema: statusSchema },
      validateSchema: ajvValidator(statusSchema),
    });
    expect(r).toEqual({ pass: true, failures: [] });
    expect(runQaChecks(base())).toEqual({ pass: true, failures: [] });
  });

  describe('schema', () => {
    it('fails when a required field is missing or has the wrong type (injected AJV validator)', () => {
      const r = runQaChecks({
        ...base(),
        output: JSON.stringify({ account: 'Acme Corp', stage: 'in_delivery', risk: 'low' }),
        checks: { schema: statusSchema },
        validateSchema: ajvValidator(statusSchema),
      });
      expect(r.pass).toBe(false);
      expect(r.failures.every((f) => f.check === 'schema')).toBe(true);
      expect(r.failures.map((f) => f.message).join('\n')).toMatch(/summary/);
      expect(r.failures.map((f) => f.message).join('\n')).toMatch(/\/risk must be number/);
    });

    it('fails on text that is not JSON, and reads a ```json fence and text.generate output', () => {
      const notJson = runQaChecks({ output: 'Here is your update!', checks: { schema: statusSchema }, context: {} });
      expect(notJson.failures).toEqual([{ check: 'schema', message: expect.stringMatching(/not JSON/) }]);
      const broken = runQaChecks({ output: '{"account": "Acme"', checks: { schema: statusSchema }, context: {} });
      expect(broken.failures[0]).toMatchObject({ check: 'schema', message: expect.stringMatching(/not valid JSON/) });
      const fenced = runQaChecks({
        output: '```json\n{"account":"Acme Corp","stage":"won","summary":"ok","risk":1}\n```',
        checks: { schema: statusSchema },
        context: {},
      });
      expect(fenced.pass).toBe(true);
      const generated = runQaChecks({
        output: { text: '{"account":"Acme Corp"}', json: { account: 'Acme Corp' }, model: 'm', usage: {} },
        checks: { schema: statusSchema },
        context: {},
      });
      expect(generated.failures.map((f) => f.message)).toContain("/ must have required property 'summary'");
    });

    it('falls back to a built-in subset validator when none is injected', () => {
      expect(miniValidate(statusSchema, { account: 'a', stage: 'b', summary: 'c', risk: 2 }, '')).toEqual([]);
      const errs = miniValidate(statusSchema, { account: 1, stage: 'b', summary: 'c' }, '');
      expect(errs).toEqual([
        { path: '', message: "must have required property 'risk'" },
        { path: '/account', message: 'must be string (got integer)' },
      ]);
      const r = runQaChecks({ output: { account: 'x' }, checks: { schema: statusSchema }, context: {} });
      expect(r.failures.length).toBe(3);
    });
  });

  describe('policy', () => {
    it('fails naming the banned term, case-insensitively', () => {
      const r = runQaChecks(base({ output: { ...goodUpdate, body: `${goodUpdate.body} We GUARANTEE delivery by Friday.` } }));
      expect(r.pass).toBe(false);
      expect(r.failures).toEqual([{ check: 'policy', message: expect.stringContaining('banned term "guarantee" found') }]);
      expect(r.failures[0]!.message).toContain('We GUARANTEE delivery');
    });

    it('matches whole words and phrases only', () => {
      // "guaranteed" is not the banned word "guarantee"
      expect(runQaChecks(base({ output: { ...goodUpdate, body: `${goodUpdate.body} Nothing is guaranteed.` } })).pass).toBe(true);
      // a phrase across a line break, and a term with punctuation
      const r = runQaChecks(base({ output: { ...goodUpdate, body: `${goodUpdate.body} We offer 100%\nuptime and a risk-free trial.` } }));
      expect(r.failures.map((f) => f.message)).toEqual([
        expect.stringContaining('"100% uptime"'),
        expect.stringContaining('"risk-free"'),
      ]);
      expect(findPhrase('a risk-freely b', 'risk-free')).toBeUndefined();
      expect(findPhrase('Ça garantit', 'garantit')).toEqual({ index: 3, length: 8 });
    });
  });

  describe('context', () => {
    it('fails when the account or the stage is not named', () => {
      const r = runQaChecks(base({ output: { subject: 'Weekly update', body: 'The project is on track.' } }));
      expect(r.failures).toEqual([
        { check: 'context', message: 'output does not name the account "Acme Corp"' },
        { check: 'context', message: 'output does not name the current stage "in_delivery"' },
      ]);
    });

    it("fails when another account's name appears", () => {
      const r = runQaChecks(base({ output: { ...goodUpdate, body: `${goodUpdate.body} Same plan as for Globex last month.` } }));
      expect(r.failures).toEqual([{ check: 'context', message: expect.stringContaining('another account "Globex"') }]);
    });

    it('fails safe when the flow asks for a context check but the record has no account name', () => {
      const r = runQaChecks(base({ context: { stage: 'in_delivery' } }));
      expect(r.failures).toEqual([{ check: 'context', message: expect.stringMatching(/no account name/) }]);
    });

    it('does not flag the own account listed among the others, nor a name inside another word', () => {
      const r = runQaChecks(base({ context: { account: 'Acme Corp', stage: 'in_delivery', otherAccounts: ['acme corp', 'Acme', 'Corp X'] } }));
      // "Acme" alone is a whole word inside "Acme Corp": it is flagged, which is the safe reading
      expect(r.failures.map((f) => f.message)).toEqual([expect.stringContaining('another account "Acme"')]);
      expect(runQaChecks(base({ context: { account: 'Acme Corp', stage: 'in_delivery', otherAccounts: ['Acm'] } })).pass).toBe(true);
    });
  });

  describe('length', () => {
    it('fails an e-mail subject over 78 characters by default', () => {
      const subject = `Acme Corp: in delivery ${'x'.repeat(60)}`;
      const r = runQaChecks(base({ output: { ...goodUpdate, subject } }));
      expect(r.failures).toEqual([{ check: 'length', message: `email.subject is ${subject.length} characters, over the email.subject limit of 78` }]);
      expect(runQaChecks(base({ output: { ...goodUpdate, subject: subject.slice(0, 78) } })).pass).toBe(true);
    });

    it('fails an SMS over 160 characters, string or {text} output', () => {
      const text = `Acme Corp in delivery: ${'y'.repeat(140)}`;
      const checks = { destination: 'sms' };
      expect(runQaChecks({ output: text.slice(0, 160), checks, context: {} }).pass).toBe(true);
      expect(runQaChecks({ output: text, checks, context: {} }).failures).toEqual([
        { check: 'length', message: `sms is ${text.length} characters, over the sms limit of 160` },
      ]);
      expect(runQaChecks({ output: { text, model: 'x', usage: { total_tokens: 3 } }, checks, context: {} }).failures[0]!.message).toMatch(/over the sms limit of 160/);
    });

    it('takes limits from checks.maxLength (override and e-mail body)', () => {
      const checks = { destination: 'email', maxLength: { 'email.subject': 20, 'email.body': 50 } };
      const r = runQaChecks({ output: goodUpdate, checks, context: {} });
      expect(r.failures.map((f) => f.message)).toEqual([
        expect.stringContaining('email.subject is 37 characters, over the email.subject limit of 20'),
        expect.stringContaining('over the email.body limit of 50'),
      ]);
      // text.generate's {text} counts as the e-mail body; a named field counts when maxLength names it
      expect(runQaChecks({ output: { text: 'z'.repeat(51) }, checks, context: {} }).pass).toBe(false);
      expect(runQaChecks({ output: { summary: 'z'.repeat(11) }, checks: { maxLength: { summary: 10 } }, context: {} }).failures).toHaveLength(1);
      // no limit for an e-mail body unless configured
      expect(runQaChecks({ output: { subject: 'ok', body: 'z'.repeat(10_000) }, checks: {}, context: {} }).pass).toBe(true);
    });

    it('counts characters, not UTF-16 units', () => {
      const subject = '🚀'.repeat(78);
      expect(runQaChecks({ output: { subject }, checks: {}, context: {} }).pass).toBe(true);
    });
  });

  it('reports every failing check at once', () => {
    const r = runQaChecks({
      output: { subject: 'G'.repeat(90), body: 'We guarantee it, Globex.' },
      checks: { bannedTerms: ['guarantee'], schema: { type: 'object', required: ['summary'] } },
      context: { account: 'Acme Corp', stage: 'won', otherAccounts: ['Globex'] },
    });
    expect(new Set(r.failures.map((f) => f.check))).toEqual(new Set(['schema', 'policy', 'context', 'length']));
  });

  it('passes with no checks configured', () => {
    expect(runQaChecks({ output: 'anything', checks: {}, context: {} })).toEqual({ pass: true, failures: [] });
  });
});
