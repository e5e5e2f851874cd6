import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../security/rate-limit.ts';
import { followRateShares, shareOf } from './rate-shares.ts';

const inst = (alive: boolean) => ({ id: String(Math.random()), startedAt: '', heartbeatAt: '', alive, openRuns: 0 });

describe('rate shares across instances', () => {
  it('each alive instance takes an equal share; the dead do not count; never more than all', () => {
    expect(shareOf([inst(true), inst(true), inst(false)])).toBe(1 / 2);
    expect(shareOf([inst(true)])).toBe(1);
    expect(shareOf([])).toBe(1); // this instance's own row not read yet: it takes all, as one instance would
    expect(shareOf([inst(false)])).toBe(1);
  });

  it('applies the share to every limiter, and keeps the last one when the database does not answer', async () => {
    const hooks = createRateLimiter({ ratePerSecond: 10, burst: 20 });
    const auth = createRateLimiter({ ratePerSecond: 1, burst: 30 });
    let list = [inst(true), inst(true)];
    let fail = false;
    const warnings: string[] = [];
    const s = followRateShares({ instances: async () => (fail ? Promise.reject(new Error('gone')) : list) }, [hooks, auth], 60_000, { warn: (_o, m) => warnings.push(m) });
    try {
      await s.refresh();
      expect([hooks.ratePerSecond, hooks.burst, auth.burst]).toEqual([5, 10, 15]);
      list = [inst(true), inst(true), inst(true), inst(true)];
      await s.refresh();
      expect(hooks.burst).toBe(5);
      fail = true;
      await s.refresh();
      expect(hooks.burst).toBe(5);
      expect(warnings).toEqual(['rate shares: instances not read; the last shares stay']);
    } finally {
      s.stop();
    }
  });
});
