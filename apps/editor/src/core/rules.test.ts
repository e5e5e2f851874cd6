import { describe, expect, it } from 'vitest';
import type { RuleGroupType } from 'react-querybuilder';
import { incompleteConditions, logicToQuery, queryToLogic } from './rules.ts';

describe('rule builder ⇄ JSON-Logic', () => {
  it('round-trips {"var":"vars.fit"} >= 70 with 70 a number', () => {
    const logic = { '>=': [{ var: 'vars.fit' }, 70] };
    const q = logicToQuery(logic)!;
    expect(q.rules[0]).toMatchObject({ field: 'vars.fit', operator: '>=', value: 70 });
    expect(queryToLogic(q)).toEqual(logic);
  });

  it('keeps numeric thresholds typed as text numbers', () => {
    const q: RuleGroupType = { combinator: 'and', rules: [{ field: 'vars.fit', operator: '>=', value: '70' }] };
    expect(queryToLogic(q)).toEqual({ '>=': [{ var: 'vars.fit' }, 70] });
    const q2: RuleGroupType = { combinator: 'and', rules: [{ field: 'payload.amount', operator: '<', value: '12.5' }, { field: 'payload.zip', operator: '=', value: '01234' }] };
    expect(queryToLogic(q2)).toEqual({ and: [{ '<': [{ var: 'payload.amount' }, 12.5] }, { '==': [{ var: 'payload.zip' }, '01234'] }] });
  });

  it('round-trips AND/OR mixed', () => {
    const logic = {
      and: [
        { '>=': [{ var: 'vars.fit' }, 70] },
        { or: [{ '==': [{ var: 'payload.country' }, 'DE'] }, { '>': [{ var: 'payload.budget' }, 5000] }] },
      ],
    };
    const q = logicToQuery(logic)!;
    expect(q.combinator).toBe('and');
    expect((q.rules[1] as RuleGroupType).combinator).toBe('or');
    expect(queryToLogic(q)).toEqual(logic);
    const orTop = { or: [{ '<': [{ var: 'vars.fit' }, 30] }, { and: [{ '==': [{ var: 'payload.vip' }, true] }, { '!=': [{ var: 'payload.plan' }, 'free'] }] }] };
    expect(queryToLogic(logicToQuery(orTop)!)).toEqual(orTop);
  });

  it('reports logic the builder cannot show', () => {
    expect(logicToQuery({ if: [{ var: 'a' }, 1, 2] })).toBeNull();
    expect(logicToQuery('nope')).toBeNull();
    expect(logicToQuery(true)).toEqual({ id: 'g', combinator: 'and', rules: [] });
  });

  it('gives rows ids by position, the same each time a rule is read back (the builder keeps its rows mounted)', () => {
    const logic = { and: [{ '>=': [{ var: 'vars.score' }, 50] }, { or: [{ '==': [{ var: 'a' }, 1] }, { '<': [{ var: 'b' }, 2] }] }] };
    const a = logicToQuery(logic)!;
    expect(a.id).toBe('g');
    expect(a.rules.map((r) => (r as RuleGroupType).id)).toEqual(['g.0', 'g.1']);
    expect((a.rules[1] as RuleGroupType).rules.map((r) => (r as RuleGroupType).id)).toEqual(['g.1.0', 'g.1.1']);
    expect(logicToQuery(structuredClone(logic))).toEqual(a);
    expect(queryToLogic(a)).toEqual(logic);
  });

  it('finds incomplete conditions', () => {
    expect(incompleteConditions({ '>=': [{ var: 'vars.score' }, ''] })).toEqual(['the condition on vars.score needs a number']);
    expect(incompleteConditions({ '>=': [{ var: 'vars.score' }, 70] })).toEqual([]);
    expect(incompleteConditions({ and: [{ '==': [{ var: 'payload.x' }, 'a'] }, { '<': [{ var: 'vars.y' }, 'abc'] }] })).toHaveLength(1);
    expect(incompleteConditions({ '==': [{ var: 'payload.phone' }, null] })).toEqual([]);
  });

  it('round-trips "is empty" and "is one of"', () => {
    const isNull = { '==': [{ var: 'payload.phone' }, null] };
    expect(queryToLogic(logicToQuery(isNull)!)).toEqual(isNull);
    const oneOf = { in: [{ var: 'record.state' }, ['captured', 'qualified']] };
    expect(queryToLogic(logicToQuery(oneOf)!)).toEqual(oneOf);
  });
});
