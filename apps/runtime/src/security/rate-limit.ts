// A per-key token bucket (per hook path; per client address for failed auth). Pure: the caller passes the time.
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiterOptions {
  /** Sustained requests per second per key (default 10,000). */
  ratePerSecond?: number;
  /** Bucket size: requests allowed in a burst (default twice the rate: 20,000). */
  burst?: number;
  /** Keys tracked before idle (full) buckets are dropped (default 10,000). */
  maxKeys?: number;
}

export interface RateLimiter {
  take(key: string, nowMs: number): RateDecision;
  /** this instance's rate and burst: the configured ones times its share */
  readonly ratePerSecond: number;
  readonly burst: number;
  /**
   * Several instances behind one proxy: each takes `1 / alive instances` of the configured rate and
   * burst, so that together they allow what was configured (the proxy spreading requests evenly).
   */
  setShare(share: number): void;
}

export const DEFAULT_HOOK_RATE = 10_000;
export const DEFAULT_HOOK_BURST = 20_000;

export function createRateLimiter(opts: RateLimiterOptions = {}): RateLimiter {
  const fullRate = opts.ratePerSecond ?? DEFAULT_HOOK_RATE;
  const fullBurst = opts.burst ?? 2 * fullRate; // default 20,000 = DEFAULT_HOOK_BURST
  const maxKeys = opts.maxKeys ?? 10_000;
  if (!(fullRate > 0) || !(fullBurst >= 1)) throw new Error('rate limit: ratePerSecond must be > 0 and burst ≥ 1');
  const buckets = new Map<string, { tokens: number; at: number }>();
  let rate = fullRate;
  let burst = fullBurst;

  const refill = (b: { tokens: number; at: number }, nowMs: number) => {
    if (nowMs > b.at) {
      b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) / 1000) * rate);
      b.at = nowMs;
    }
  };

  return {
    get ratePerSecond() {
      return rate;
    },
    get burst() {
      return burst;
    },
    setShare(share) {
      if (!(share > 0 && share <= 1)) throw new Error(`rate limit: a share is in (0, 1], got ${share}`);
      rate = fullRate * share;
      burst = Math.max(1, fullBurst * share);
      for (const b of buckets.values()) b.tokens = Math.min(b.tokens, burst); // a smaller bucket holds no more
    },
    take(key, nowMs) {
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) evictIdle(nowMs);
        b = { tokens: burst, at: nowMs };
        buckets.set(key, b);
      } else refill(b, nowMs);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rate)) };
    },
  };

  // Full buckets carry no state and go first; when too few are full (many senders, or one with many
  // addresses), the oldest go until a tenth of the room is free, so a sweep runs once per maxKeys/10 keys.
  function evictIdle(nowMs: number) {
    for (const [k, b] of buckets) {
      refill(b, nowMs);
      if (b.tokens >= burst) buckets.delete(k);
    }
    const target = Math.floor(maxKeys * 0.9);
    for (const k of buckets.keys()) {
      if (buckets.size <= target) break;
      buckets.delete(k);
    }
  }
}

/** Reads FLOWDESK_HOOK_RATE / FLOWDESK_HOOK_BURST (requests per second / burst per hook path). */
export function rateLimitOptionsFromEnv(env: Record<string, string | undefined>): RateLimiterOptions {
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
    return n;
  };
  return { ratePerSecond: num('FLOWDESK_HOOK_RATE'), burst: num('FLOWDESK_HOOK_BURST') };
}
