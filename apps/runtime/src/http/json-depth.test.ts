import { describe, expect, it } from 'vitest';
import { jsonTooDeepAt, MAX_JSON_DEPTH } from './json-depth.ts';

const enc = (s: string) => Buffer.from(s);

describe('jsonTooDeepAt', () => {
  it('accepts nesting up to the limit and refuses one level more, at the opening bracket', () => {
    const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(jsonTooDeepAt(enc(ok))).toBe(-1);
    const deep = '{"a":'.repeat(MAX_JSON_DEPTH) + '[1]' + '}'.repeat(MAX_JSON_DEPTH);
    expect(jsonTooDeepAt(enc(deep))).toBe(MAX_JSON_DEPTH * 5);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const s = JSON.stringify({ text: '[[[[{{{{ "quoted \\" [[[[' + '['.repeat(500) });
    expect(jsonTooDeepAt(enc(s))).toBe(-1);
    expect(jsonTooDeepAt(enc(s), 1)).toBe(-1);
    expect(jsonTooDeepAt(enc(JSON.stringify({ a: { b: 1 } })), 1)).toBe(5);
  });

  it('scans 10,000 levels without recursion', () => {
    const deep = enc('['.repeat(10_000) + ']'.repeat(10_000));
    expect(jsonTooDeepAt(deep)).toBe(MAX_JSON_DEPTH);
  });
});
