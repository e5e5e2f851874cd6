import { describe, expect, it } from 'vitest';
import { getPath, renderParams, renderString } from './template.ts';
import { evaluateLogic } from './logic.ts';

describe('templates', () => {
  const data = { payload: { name: 'Ada', n: 3, items: [{ sku: 'A1' }] }, vars: { fit: 80 } };
  it('replaces placeholders inside strings and keeps types for a whole placeholder', () => {
    expect(renderString('Hi {{payload.name}} ({{vars.fit}})', data)).toBe('Hi Ada (80)');
    expect(renderString('{{payload.n}}', data)).toBe(3);
    expect(renderString('{{payload.items[0].sku}}', data)).toBe('A1');
    expect(renderString('x{{payload.missing}}y', data)).toBe('xy');
    expect(getPath(data, 'payload.items.0.sku')).toBe('A1');
  });
  it('treats a bare one-key object as data and {"$logic"} as a rule', () => {
    expect(renderParams({ if: 'literal', v: { $logic: { '+': [{ var: 'vars.fit' }, 1] } } }, data)).toEqual({ if: 'literal', v: 81 });
  });
  it('custom operators', () => {
    expect(evaluateLogic({ add_duration: ['2026-03-10T00:00:00Z', '-3d'] }, {})).toBe('2026-03-07T00:00:00.000Z');
    expect(evaluateLogic({ days_between: ['2026-03-01T00:00:00Z', '2026-03-11T12:00:00Z'] }, {})).toBe(10.5);
    expect(evaluateLogic({ coalesce: [null, { var: 'x' }, 'b'] }, {})).toBe('b');
    expect(evaluateLogic({ lower: 'ABC' }, {})).toBe('abc');
    // 19.99 × 100 is 1998.9999999999998 in floating point: round gives the cents
    expect(evaluateLogic({ round: [{ '*': [{ var: 'amount' }, 100] }] }, { amount: 19.99 })).toBe(1999);
    expect(evaluateLogic({ round: 'x' }, {})).toBe('x');
  });
});
