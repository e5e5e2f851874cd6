import { describe, expect, it } from 'vitest';
import jsonLogic from 'json-logic-js';
import { checkLogic, LOGIC_ARITY, JSON_LOGIC_OPERATORS, CUSTOM_LOGIC_OPERATORS } from './logic-operators.ts';

const issues = (rule: unknown) => {
  const out: { path: string; message: string }[] = [];
  checkLogic(rule, '/when', (path, message) => out.push({ path, message }));
  return out;
};

describe('JSON-Logic shapes checked at deploy', () => {
  it('every operator has an arity', () => {
    for (const op of [...JSON_LOGIC_OPERATORS, ...CUSTOM_LOGIC_OPERATORS]) expect(LOGIC_ARITY[op], op).toBeDefined();
  });

  it('an operator mixed with other keys is refused: json-logic-js reads it as data, always truthy', () => {
    const rule = { var: ['payload.ok'], extra: 1 };
    // what it does at run time: the port is always taken
    expect(jsonLogic.truthy(jsonLogic.apply(rule as never, { payload: { ok: false } }))).toBe(true);
    expect(issues(rule)).toEqual([{ path: '/when', message: expect.stringMatching(/exactly one key; this object has "var", "extra"/) }]);
    expect(issues({ and: [true, { '>': [1, 0], note: 'x' }] })).toEqual([{ path: '/when/and/1', message: expect.stringContaining('">"') }]);
  });

  it('a call with the wrong number of arguments is refused at the operator, with the count', () => {
    // what it does at run time: never true
    expect(jsonLogic.apply({ '>': 'notalist' } as never, {})).toBe(false);
    expect(issues({ '>': 'notalist' })).toEqual([{ path: '/when/>', message: expect.stringMatching(/">" takes 2 arguments, got 1 \("notalist" is one argument/) }]);
    expect(issues({ '==': [1, 2, 3] })[0]!.message).toMatch(/"==" takes 2 arguments, got 3/);
    expect(issues({ '?:': [true, 1] })[0]!.message).toMatch(/"\?:" takes 3 arguments, got 2/);
    expect(issues({ '<': [1, 2, 3, 4] })[0]!.message).toMatch(/"<" takes 2 to 3 arguments, got 4/);
    expect(issues({ if: [{ var: 'a' }] })[0]!.message).toMatch(/"if" takes at least 2 arguments, got 1/);
    expect(issues({ and: [] })[0]!.message).toMatch(/"and" takes at least 1 argument, got 0/);
    expect(issues({ map: [[1, 2]] })[0]!.message).toMatch(/"map" takes 2 arguments, got 1/);
    expect(issues({ lower: ['A', 'B'] })[0]!.message).toMatch(/"lower" takes 1 argument, got 2/);
    // nested: reported where it is
    expect(issues({ if: [{ '!': [1, 2] }, 'a', 'b'] })).toEqual([{ path: '/when/if/0/!', message: expect.stringContaining('"!" takes 1 argument, got 2') }]);
    expect(issues({ round: [1, 2] })).toEqual([{ path: '/when/round', message: expect.stringContaining('"round" takes 1 argument, got 2') }]);
  });

  it('well-formed rules pass, single non-array arguments included', () => {
    for (const ok of [
      { var: 'payload.email' },
      { var: ['payload.x', 0] },
      { var: '' },
      { '!': { var: 'a' } },
      { '!!': [true] },
      { if: [{ '>=': [{ var: 'fit' }, 70] }, 'fast', { '<': [{ var: 'fit' }, 40] }, 'drop', 'review'] },
      { '<': [1, { var: 'x' }, 5] },
      { cat: ['a', 'b'] },
      { missing: 'a' },
      { missing_some: [1, ['a', 'b']] },
      { reduce: [{ var: 'xs' }, { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 0] },
      { add_duration: [{ var: 'now' }, '3d'] },
      { coalesce: [{ var: 'a' }, { var: 'b' }, 'x'] },
      { round: [{ '*': [{ var: 'payload.amount' }, 100] }] },
      { count: 1, total: 2 }, // data: no operator among its keys
    ])
      expect(issues(ok), JSON.stringify(ok)).toEqual([]);
  });
});
