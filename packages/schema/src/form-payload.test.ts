import { describe, expect, it } from 'vitest';
import { coerceFormPayload } from './form-payload.ts';

const schema = {
  type: 'object',
  properties: {
    n: { type: 'number' },
    i: { type: 'integer' },
    b: { type: 'boolean' },
    s: { type: 'string' },
    maybe: { type: ['number', 'null'] },
    either: { type: ['string', 'number'] },
    list: { type: 'array', items: { type: 'integer' } },
    any: {},
  },
};

describe('coerceFormPayload', () => {
  it.each([
    ['n', '12.5', 12.5],
    ['n', ' -3e2 ', -300],
    ['n', '12abc', '12abc'],
    ['n', '0x10', '0x10'],
    ['i', '7', 7],
    ['i', '7.5', 7.5], // the strict check then says "must be integer"
    ['b', 'on', true],
    ['b', 'TRUE', true],
    ['b', '0', false],
    ['b', 'off', false],
    ['b', 'maybe', 'maybe'],
    ['s', '42', '42'],
    ['maybe', '', null],
    ['either', '5', '5'],
    ['any', '5', '5'],
    ['unknown', '5', '5'],
  ])('%s = %j → %j', (k, v, want) => {
    expect(coerceFormPayload(schema, { [k]: v })[k]).toEqual(want);
  });

  it('an empty optional number or boolean is left out; an empty string stays a string', () => {
    expect(coerceFormPayload(schema, { n: '', b: '', s: '' })).toEqual({ s: '' });
  });

  it('a single value for an array field is a one-item list; items are coerced; empty items dropped', () => {
    expect(coerceFormPayload(schema, { list: '3' })).toEqual({ list: [3] });
    expect(coerceFormPayload(schema, { list: ['1', '', '2'] })).toEqual({ list: [1, 2] });
  });

  it('several values for a scalar field stay a list (the check then names the field); objects (file references) are kept', () => {
    const file = { id: 'x.y', name: 'a.pdf' };
    expect(coerceFormPayload(schema, { n: ['1', '2'], any: file })).toEqual({ n: ['1', '2'], any: file });
  });

  it('a field named __proto__ is data, and no contract leaves the fields as sent', () => {
    const out = coerceFormPayload(undefined, JSON.parse('{"__proto__": "x", "a": "1"}'));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(out.a).toBe('1');
  });
});
