import { describe, expect, it } from 'vitest';
import { createRateLimiter, rateLimitOptionsFromEnv } from './rate-limit.ts';

describe('createRateLimiter', () => {
  it('defaults to 10,000/s with a burst of 20,000', () => {
    const l = createRateLimiter();
    expect(l.ratePerSecond).toBe(10_000);
    expect(l.burst).toBe(20_000);
    let ok = 0;
    for (let i = 0; i < 20_001; i++) if (l.take('lead', 0).ok) ok++;
    expect(ok).toBe(20_000);
  });

  it('allows the burst, then refuses with Retry-After, then refills with time', () => {
    const l = createRateLimiter({ ratePerSecond: 2, burst: 3 });
    const t0 = 1_700_000_000_000;
    expect([l.take('a', t0), l.take('a', t0), l.take('a', t0)].every((d) => d.ok)).toBe(true);
    expect(l.take('a', t0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(l.take('b', t0).ok).toBe(true); // per path
    expect(l.take('a', t0 + 499).ok).toBe(false);
    expect(l.take('a', t0 + 500).ok).toBe(true); // 0.5 s at 2/s = 1 token
    expect(l.take('a', t0 + 500).ok).toBe(false);
    expect(l.take('a', t0 + 60_000).ok).toBe(true);
  });

  it('takes a share of the configured rate and burst (several instances), and all of it back', () => {
    const l = createRateLimiter({ ratePerSecond: 10, burst: 10 });
    expect(l.take('a', 0).ok).toBe(true); // 9 tokens left
    l.setShare(1 / 3);
    expect(l.ratePerSecond).toBeCloseTo(10 / 3);
    expect(l.burst).toBeCloseTo(10 / 3);
    let ok = 0;
    for (let i = 0; i < 10; i++) if (l.take('a', 0).ok) ok++;
    expect(ok).toBe(3); // the bucket holds no more than the smaller burst
    expect(l.take('a', 300).ok).toBe(true); // 0.3 s at 10/3 per s = 1 token
    l.setShare(1);
    expect([l.ratePerSecond, l.burst]).toEqual([10, 10]);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => l.setShare(bad), String(bad)).toThrow(/share/);
    // a share never leaves a bucket unable to take one request
    const small = createRateLimiter({ ratePerSecond: 1, burst: 2 });
    small.setShare(0.1);
    expect(small.burst).toBe(1);
    expect(small.take('x', 0).ok).toBe(true);
  });

  it('a key given a share of its own keeps it through the common share; the others take the common one', () => {
    const l = createRateLimiter({ ratePerSecond: 10, burst: 10 });
    l.setShares(new Map([['busy', 0.875]]), 0.5);
    expect(l.ownLimits()).toEqual({ busy: { perSecond: 8.75, burst: 8.75 } });
    expect([l.ratePerSecond, l.burst]).toEqual([5, 5]);
    let busy = 0;
    let quiet = 0;
    for (let i = 0; i < 12; i++) {
      if (l.take('busy', 0).ok) busy++;
      if (l.take('quiet', 0).ok) quiet++;
    }
    expect([busy, quiet]).toEqual([8, 5]);
    expect(l.take('busy', 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    l.setShare(0.25); // the common share moves; the key's own stays
    expect(l.ownLimits().busy!.burst).toBe(8.75);
    expect(l.burst).toBe(2.5);
    l.setShares(new Map(), 1); // no own shares any more: every key the common one
    expect(l.ownLimits()).toEqual({});
    expect(() => l.setShares(new Map([['x', 2]]), 0.5)).toThrow(/share/);
  });

  it('counts the requests each key saw, allowed or not, and starts again at zero once taken', () => {
    const l = createRateLimiter({ ratePerSecond: 1, burst: 2 });
    for (let i = 0; i < 5; i++) l.take('a', 0);
    l.take('b', 0);
    expect(l.takeDemand()).toEqual(new Map([['a', 5], ['b', 1]]));
    expect(l.takeDemand()).toEqual(new Map());
    l.take('b', 10);
    expect(l.takeDemand()).toEqual(new Map([['b', 1]]));
  });

  it('computes Retry-After from the refill rate', () => {
    const l = createRateLimiter({ ratePerSecond: 0.1, burst: 1 });
    expect(l.take('a', 0).ok).toBe(true);
    expect(l.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(l.take('a', 5_000)).toEqual({ ok: false, retryAfterSeconds: 5 });
  });

  it('drops idle buckets past maxKeys', () => {
    const l = createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 2 });
    l.take('a', 0);
    l.take('b', 0);
    expect(l.take('a', 0).ok).toBe(false);
    l.take('c', 10_000); // evicts refilled a and b
    expect(l.take('a', 10_000).ok).toBe(true);
  });

  it('stays bounded when every bucket is in use (one sender with many addresses)', () => {
    const l = createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) expect(l.take(`10.0.${i >> 8}.${i & 255}`, 0).ok).toBe(true);
    // the newest keys are still remembered (spent), the oldest were dropped to make room
    expect(l.take('10.0.39.15', 0).ok).toBe(false);
    expect(l.take('10.0.0.0', 0).ok).toBe(true);
  });

  it('reads options from the environment', () => {
    expect(rateLimitOptionsFromEnv({ FLOWDESK_HOOK_RATE: '50', FLOWDESK_HOOK_BURST: '80' })).toEqual({ ratePerSecond: 50, burst: 80 });
    expect(rateLimitOptionsFromEnv({})).toEqual({ ratePerSecond: undefined, burst: undefined });
    expect(() => rateLimitOptionsFromEnv({ FLOWDESK_HOOK_RATE: 'fast' })).toThrow('FLOWDESK_HOOK_RATE must be a positive number');
  });
});
