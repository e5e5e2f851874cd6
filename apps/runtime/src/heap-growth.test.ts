import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercent } from './heap-growth.ts';

describe('FLOWDESK_HEAP_GROWING_PERCENT', () => {
  it('defaults to 100 (unset or empty), takes 0 (V8 decides) to 400, and refuses anything else naming the variable', () => {
    expect(DEFAULT_HEAP_GROWING_PERCENT).toBe(100);
    expect(heapGrowingPercent(undefined)).toBe(100);
    expect(heapGrowingPercent(' ')).toBe(100);
    expect(heapGrowingPercent('100')).toBe(100);
    expect(heapGrowingPercent('0')).toBe(0);
    expect(heapGrowingPercent('250')).toBe(250);
    for (const bad of ['-1', '401', '1.5', 'lots', '1e9']) expect(() => heapGrowingPercent(bad), bad).toThrow(/FLOWDESK_HEAP_GROWING_PERCENT must be an integer from 0 to 400/);
  });
});
