import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { linearFormats } from './linear-formats.ts';

const ours = linearFormats() as Record<string, (s: string) => boolean>;
const native = (name: string): ((s: string) => boolean) => {
  const f = fullFormats[name as keyof typeof fullFormats] as unknown;
  if (f instanceof RegExp) return (s) => f.test(s);
  if (typeof f === 'function') return f as (s: string) => boolean;
  throw new Error(`${name} is neither a regex nor a function`);
};

function agree(name: string, inputs: Iterable<string>): string[] {
  const a = ours[name]!;
  const b = native(name);
  const out: string[] = [];
  for (const s of inputs) if (a(s) !== b(s)) out.push(`${name}(${JSON.stringify(s)}): RE2 ${a(s)}, ajv-formats ${b(s)}`);
  return out;
}

describe('linearFormats', () => {
  it('replaces every ajv-formats format that is a regex, plus uri', () => {
    const regexFormats = Object.entries(fullFormats).filter(([, f]) => f instanceof RegExp).map(([n]) => n);
    expect(Object.keys(ours).sort()).toEqual([...regexFormats, 'uri'].sort());
  });

  it('url: the private-address exclusions match, octet by octet', () => {
    const inputs: string[] = [];
    for (let a = 0; a <= 256; a++) {
      for (const b of ['0', '00', '6', '06', '15', '16', '31', '32', '160', '168', '254', '255', '256', '1']) inputs.push(`http://${a}.${b}.1.1`);
      inputs.push(`http://${a}.1.1.0`, `http://${a}.1.1.254`, `http://${a}.1.1.255`, `https://u:p@${a}.2.3.4:8080/x`);
    }
    inputs.push('http://a@10.0.0.1@1.2.3.4', 'http://10.0.0.1@1.2.3.4/', 'http://1.2.3.4@10.0.0.1', 'ftp://example.com', 'http://xn--d1acpjx3f.xn--p1ai', 'http://пример.рф', 'http://ex ample.com', 'http://example.c');
    expect(agree('url', inputs)).toEqual([]);
  });

  it('hostname: the 253/254-character bound of the lookahead', () => {
    const label = (n: number) => 'a'.repeat(n);
    const inputs: string[] = [];
    for (const len of [1, 63, 64, 252, 253, 254, 255]) {
      const parts: string[] = [];
      let s = '';
      while (s.length < len) {
        const take = Math.min(63, len - s.length - (s ? 1 : 0));
        if (take <= 0) break;
        parts.push(label(take));
        s = parts.join('.');
      }
      inputs.push(s, `${s}.`, s.slice(0, -1) + '.', `${s}\n`);
    }
    expect(agree('hostname', inputs)).toEqual([]);
  });

  it('duration: "P" alone and "T" without a part stay invalid', () => {
    const inputs = ['P', 'PT', 'P1Y', 'P1YT', 'PT1H', 'PT1M', 'PT1S', 'PT1H1S', 'P1W', 'P1Y1W', 'P1DT', 'P1D1Y', 'PTH', 'P1M2DT3H4M5S', 'PT36H', 'P0D', 'p1d'];
    expect(agree('duration', inputs)).toEqual([]);
  });

  it('agrees with ajv-formats on generated strings, for every replaced format', () => {
    const chars = ['a', 'Z', '0', '9', '1', '2', '5', '.', '-', ':', '/', '@', '%', '2F', '?', '#', '[', ']', '~', '_', ' ', 'T', 'P', 'H', 'W', 'Y', 'é', '\u017f', '\u212a', 'http://', 'urn:uuid:', '::', '{', '}', 'ffff'];
    const str = fc.array(fc.constantFrom(...chars), { maxLength: 14 }).map((a) => a.join(''));
    for (const name of Object.keys(ours)) {
      fc.assert(
        fc.property(str, (s) => {
          expect(agree(name, [s])).toEqual([]);
        }),
        { numRuns: 1500, seed: 7 },
      );
    }
  });

  it('answers at once where ajv-formats backtracks', () => {
    const attack = 'ftp://a@' + '::'.repeat(200_000) + '\u0000';
    expect(ours.url!(attack)).toBe(false); // natively this takes minutes
    expect(ours.email!('a@' + 'a-'.repeat(200_000) + '!')).toBe(false);
    expect(ours['uri-reference']!('http://' + '!'.repeat(200_000) + '\u0000')).toBe(false);
  });
});
