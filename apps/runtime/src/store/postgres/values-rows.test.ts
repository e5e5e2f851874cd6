import { describe, expect, it } from 'vitest';
import { MAX_ROWS, rowsSource, rowsStatement, sizeClass } from './values-rows.ts';

const shape = { names: ['id', 'due_at', 'doc'], types: ['text', 'timestamptz', 'json'] };

describe('values rows', () => {
  it('size classes are powers of two', () => {
    expect([0, 1, 2, 3, 4, 5, 25, 64, 65, 128].map(sizeClass)).toEqual([1, 1, 2, 4, 4, 8, 32, 64, 128, 128]);
  });

  it('numbers the parameters row by row with their casts, and skips the padding rows', () => {
    expect(rowsSource(shape, 2)).toBe(
      'SELECT * FROM (VALUES ($1::text, $2::timestamptz, $3::json), ($4::text, $5::timestamptz, $6::json)) AS v(id, due_at, doc) WHERE v.id IS NOT NULL',
    );
  });

  it('pads a batch to its size class with NULLs and names the statement after the class', () => {
    const seen: string[] = [];
    const st = rowsStatement('flowdesk_put_timers', shape, (rows) => {
      seen.push(rows);
      return `INSERT INTO timers SELECT * FROM (${rows}) AS x`;
    });
    const three = st([
      ['a', 't1', '{}'],
      ['b', 't2', '{}'],
      ['c', 't3', '{"x":1}'],
    ]);
    expect(three.name).toBe('flowdesk_put_timers_4');
    expect(three.values).toEqual(['a', 't1', '{}', 'b', 't2', '{}', 'c', 't3', '{"x":1}', null, null, null]);
    expect(three.text).toContain('$12::json');
    // the same class again: the same text, built once
    const four = st(Array.from({ length: 4 }, (_, i) => [`k${i}`, 't', '{}']));
    expect(four.text).toBe(three.text);
    expect(seen).toHaveLength(1);
    expect(st([['z', 't', '{}']]).name).toBe('flowdesk_put_timers_1');
  });

  it('refuses a row of the wrong width, naming the statement', () => {
    expect(() => rowsStatement('flowdesk_put_timers', shape, (r) => r)([['a', 't']])).toThrow(/flowdesk_put_timers: a row of 2 values for 3 columns/);
  });

  it('refuses more rows than the largest size class', () => {
    const st = rowsStatement('flowdesk_put_timers', shape, (r) => r);
    expect(st(Array.from({ length: MAX_ROWS }, () => ['a', 't', '{}'])).name).toBe(`flowdesk_put_timers_${MAX_ROWS}`);
    expect(() => st(Array.from({ length: MAX_ROWS + 1 }, () => ['a', 't', '{}']))).toThrow(/more than 128 a statement/);
  });
});
