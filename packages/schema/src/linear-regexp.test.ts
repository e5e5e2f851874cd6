import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { compileLinearRegExp, toRe2Syntax, UnsupportedPatternError } from './linear-regexp.ts';
import { compilePayloadSchema } from './payload.ts';
import { SUITE_ROOT } from './json-schema-suite.ts';

describe('compileLinearRegExp', () => {
  it('runs the catastrophic pattern from issue 12 on a long input at once, with the native answer', () => {
    const re = compileLinearRegExp('^([a-z0-9]+)+$', 'u');
    // natively, 34 characters and a "!" took 124 s; 100,000 would never finish
    expect(re.test('a'.repeat(100_000) + '!')).toBe(false);
    expect(re.test('a'.repeat(100_000))).toBe(true);
    expect(compileLinearRegExp('(a|a)*b').test('a'.repeat(100_000))).toBe(false);
  });

  it('keeps ECMAScript meanings where RE2 differs', () => {
    const cases: [string, string, boolean][] = [
      ['^\\s$', '\u00a0', true], // RE2's \s is ASCII only
      ['^\\s$', '\ufeff', true],
      ['^\\S$', '\u2028', false],
      ['^.$', '\r', false], // RE2's . takes \r
      ['^.$', '\u2029', false],
      ['^.$', '😀', true],
      ['^\\u00e9$', 'é', true],
      ['^\\u{1F600}$', '😀', true],
      ['^\\uD83D\\uDE00$', '😀', true],
      ['^\\cJ$', '\n', true],
      ['^\\0$', '\0', true],
      ['^[^]$', '\n', true],
      ['^[]$', '', false],
      ['^[\\b]$', '\b', true],
      ['^[\\s\\S]+$', 'a \n\u00a0', true],
      ['^[a\\S]$', ' ', false],
      ['^[[:]+$', '[:', true], // not a POSIX class
      ['^(?<word>\\w+)!$', 'hi!', true],
      ['^\\p{Letter}+$', 'héllo', true],
      ['^\\p{Script=Greek}+$', 'αβγ', true],
      ['^\\p{gc=Lu}$', 'A', true],
      ['^\\d$', '٣', false], // \d stays ASCII
      ['^\\w$', 'é', false],
      ['a$', 'a\n', false], // $ is the end of input, not before a final newline
    ];
    for (const [pattern, input, expected] of cases) {
      expect({ pattern, input, got: compileLinearRegExp(pattern, 'u').test(input) }).toEqual({ pattern, input, got: expected });
      expect({ pattern, input, native: new RegExp(pattern, 'u').test(input) }).toEqual({ pattern, input, native: expected });
    }
  });

  it('refuses what RE2 cannot run in linear time, naming the feature', () => {
    for (const [pattern, feature] of [
      ['^(?!admin)\\w+$', 'lookahead'],
      ['(?=a)a', 'lookahead'],
      ['(?<=a)b', 'lookbehind'],
      ['(?<!a)b', 'lookbehind'],
      ['(a)\\1', 'backreference'],
      ['(?<x>a)\\k<x>', 'backreference'],
      ['a{1001}', 'RE2 refuses'],
    ] as const) {
      const err = (() => {
        try {
          compileLinearRegExp(pattern, 'u');
        } catch (e) {
          return e;
        }
      })();
      expect(err, pattern).toBeInstanceOf(UnsupportedPatternError);
      expect((err as Error).message).toContain(feature);
    }
  });

  it('throws the native SyntaxError for an invalid pattern', () => {
    expect(() => compileLinearRegExp('(', 'u')).toThrow(SyntaxError);
    expect(() => compileLinearRegExp('\\a', 'u')).toThrow(SyntaxError);
  });

  it('gives each pattern its own toString (AJV caches compiled patterns by it)', () => {
    expect(String(compileLinearRegExp('a+', 'u'))).toBe('/a+/u');
    expect(String(compileLinearRegExp('b+', 'u'))).not.toBe(String(compileLinearRegExp('a+', 'u')));
  });

  it('rewrites into RE2 syntax', () => {
    expect(toRe2Syntax('^a.b$')).toBe('^a[^\\n\\r\\x{2028}\\x{2029}]b$');
    expect(toRe2Syntax('\\u0041(?<n>x)')).toBe('\\x{41}(?:x)');
  });

  it('agrees with the native engine on generated patterns and inputs', () => {
    const atoms = ['a', 'b', '.', '\\s', '\\S', '\\d', '\\w', '[ab]', '[^a]', '[a\\s]', '\\u0061', '(?:a|b)', '(a|ab)', 'x?', ' ', '\\b'];
    const quant = ['', '*', '+', '?', '{1,2}', '*?'];
    const pattern = fc
      .array(fc.tuple(fc.constantFrom(...atoms), fc.constantFrom(...quant)), { minLength: 1, maxLength: 5 })
      .chain((parts) => fc.tuple(fc.constant(parts.map(([a, q]) => a + q).join('')), fc.boolean(), fc.boolean()))
      .map(([body, start, end]) => `${start ? '^' : ''}${body}${end ? '$' : ''}`);
    const input = fc.array(fc.constantFrom('a', 'b', 'x', '1', ' ', '\n', '\r', '\u00a0', '\u2028', 'é', '😀', '_'), { maxLength: 8 }).map((a) => a.join(''));
    fc.assert(
      fc.property(pattern, input, (p, s) => {
        try {
          new RegExp(p, 'u');
        } catch {
          return; // e.g. a quantified \b: not a pattern AJV would accept either
        }
        expect(compileLinearRegExp(p, 'u').test(s), `/${p}/u on ${JSON.stringify(s)}`).toBe(new RegExp(p, 'u').test(s));
      }),
      { numRuns: 3000, seed: 12 },
    );
  });
});

describe('payload validation on RE2 agrees with native AJV on the suite\'s optional regex, unicode and format tests', () => {
  const root = `${SUITE_ROOT}/draft2020-12/optional`;
  const files = ['ecmascript-regex.json', 'non-bmp-regex.json', ...readdirSync(`${root}/format`).map((f) => `format/${f}`)];
  const native = new Ajv2020({ allErrors: true, ownProperties: true, logger: false });
  addFormats(native);
  native.addKeyword({ keyword: '$anchor', schemaType: 'string' });

  it.each(files)('%s', (file) => {
    const differences: string[] = [];
    let cases = 0;
    for (const g of JSON.parse(readFileSync(`${root}/${file}`, 'utf8')) as { description: string; schema: unknown; tests: { description: string; data: unknown }[] }[]) {
      const compile = <T,>(f: () => T): T | 'refused' => {
        try {
          return f();
        } catch {
          return 'refused';
        }
      };
      const ours = compile(() => compilePayloadSchema(g.schema));
      const theirs = compile(() => native.compile(g.schema as object));
      for (const t of g.tests) {
        cases++;
        const a = ours === 'refused' ? 'refused' : ours.validate(t.data).length === 0;
        const b = theirs === 'refused' ? 'refused' : theirs(t.data);
        if (a !== b) differences.push(`${g.description} › ${t.description}: RE2 ${a}, native ${b}`);
      }
    }
    expect(cases).toBeGreaterThan(0);
    expect(differences).toEqual([]);
  });
});
