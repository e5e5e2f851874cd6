import { describe, expect, it } from 'vitest';
import type { InstanceView } from '@flowdesk/schema';
import { createRateLimiter } from '../security/rate-limit.ts';
import { decayedDemand, demandShares, followRateShares, shareOf } from './rate-shares.ts';

const inst = (alive: boolean, id = String(Math.random()), hookDemand: Record<string, number> = {}): InstanceView => ({ id, startedAt: '', heartbeatAt: '', alive, openRuns: 0, hookDemand });

describe('rate shares across instances', () => {
  it('each alive instance takes an equal share; the dead do not count; never more than all', () => {
    expect(shareOf([inst(true), inst(true), inst(false)])).toBe(1 / 2);
    expect(shareOf([inst(true)])).toBe(1);
    expect(shareOf([])).toBe(1); // this instance's own row not read yet: it takes all, as one instance would
    expect(shareOf([inst(false)])).toBe(1);
  });

  it("a path's shares follow where its requests arrive, above a floor, and add up to 1 over the alive instances", () => {
    const cluster = [inst(true, 'a', { leads: 90, forms: 5 }), inst(true, 'b', { leads: 10, forms: 5 }), inst(false, 'dead', { leads: 1000 })];
    const a = demandShares(cluster, 'a');
    const b = demandShares(cluster, 'b');
    // floor 1/8 each (a quarter of an even half), the other 3/4 by part of the requests
    expect(a.get('leads')).toBeCloseTo(1 / 8 + (3 / 4) * 0.9, 10);
    expect(b.get('leads')).toBeCloseTo(1 / 8 + (3 / 4) * 0.1, 10);
    expect(a.get('forms')).toBeCloseTo(1 / 2, 10); // even traffic: even shares
    for (const path of ['leads', 'forms']) expect(a.get(path)! + b.get(path)!).toBeCloseTo(1, 10);
    // sticky: all of a path on one instance; the other keeps the floor for traffic that moves to it
    const sticky = [inst(true, 'a', { leads: 40 }), inst(true, 'b')];
    expect(demandShares(sticky, 'a').get('leads')).toBe(7 / 8);
    expect(demandShares(sticky, 'b').get('leads')).toBe(1 / 8);
    // one instance alone takes every path whole; a path with no requests anywhere gets no share of its own
    expect(demandShares([inst(true, 'a', { leads: 3 })], 'a').get('leads')).toBe(1);
    expect(demandShares([inst(true, 'a', { leads: 0 }), inst(true, 'b')], 'a').size).toBe(0);
    // this instance not seen as alive yet: no shares of its own (the even share applies)
    expect(demandShares([inst(true, 'b', { leads: 5 })], 'a').size).toBe(0);
    // an alive instance that reports no demand (an earlier release): everyone keeps the even share
    expect(demandShares([inst(true, 'a', { leads: 40 }), { ...inst(true, 'old'), hookDemand: null }], 'a').size).toBe(0);
    expect(demandShares([inst(true, 'a', { leads: 40 }), { ...inst(false, 'old'), hookDemand: null }], 'a').get('leads')).toBe(1);
  });

  it('demand decays by half each interval without requests, and a path below one half is dropped', () => {
    let d = decayedDemand(new Map(), new Map([['leads', 8], ['forms', 1]]));
    expect(d).toEqual(new Map([['leads', 8], ['forms', 1]]));
    d = decayedDemand(d, new Map([['forms', 2]]));
    expect(d).toEqual(new Map([['leads', 4], ['forms', 2.5]]));
    for (let i = 0; i < 3; i++) d = decayedDemand(d, new Map()); // leads 2, 1, 0.5; forms 1.25, 0.625, 0.3125
    expect(d).toEqual(new Map([['leads', 0.5]]));
    expect(decayedDemand(d, new Map())).toEqual(new Map());
  });

  it('reports its demand, applies the shares, and keeps the last ones when the database does not answer', async () => {
    const hooks = createRateLimiter({ ratePerSecond: 10, burst: 20 });
    const auth = createRateLimiter({ ratePerSecond: 1, burst: 30 });
    const reported: Record<string, number>[] = [];
    let others = [inst(true, 'b')];
    let fail = false;
    const warnings: string[] = [];
    const store = {
      instanceId: 'a',
      reportHookDemand: async (d: Record<string, number>) => void reported.push(d),
      instances: async () => (fail ? Promise.reject(new Error('gone')) : [inst(true, 'a', reported.at(-1)), ...others]),
    };
    const s = followRateShares(store, { hooks, even: [auth] }, 60_000, { warn: (_o, m) => warnings.push(m) });
    try {
      await s.refresh();
      expect([hooks.ratePerSecond, hooks.burst, auth.burst]).toEqual([5, 10, 15]);
      for (let i = 0; i < 6; i++) hooks.take('leads', 0);
      await s.refresh();
      expect(reported.at(-1)).toEqual({ leads: 6 });
      expect(hooks.ownLimits()).toEqual({ leads: { perSecond: 10 * (7 / 8), burst: 20 * (7 / 8) } });
      expect(hooks.burst).toBe(10); // other paths: the even share
      await s.refresh(); // no requests since: half of the last figure, the shares unchanged
      expect(reported.at(-1)).toEqual({ leads: 3 });
      expect(hooks.ownLimits().leads!.burst).toBe(20 * (7 / 8));
      for (let i = 0; i < 3; i++) await s.refresh(); // 1.5, 0.75, then below one half: dropped
      expect(reported.at(-1)).toEqual({});
      expect(hooks.ownLimits()).toEqual({});
      others = [inst(true, 'b'), inst(true, 'c'), inst(true, 'd')];
      await s.refresh();
      expect([hooks.burst, auth.burst]).toEqual([5, 7.5]);
      fail = true;
      await s.refresh();
      expect(hooks.burst).toBe(5);
      expect(warnings).toEqual(['rate shares: instances not read; the last shares stay']);
    } finally {
      s.stop();
    }
  });
});
