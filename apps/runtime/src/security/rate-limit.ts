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
   * Keys given a share of their own (setShares) keep it.
   */
  setShare(share: number): void;
  /**
   * Shares by key (cluster/rate-shares.ts weighs them by where each key's requests arrive), `otherwise`
   * for every other key; replaces the previous ones.
   */
  setShares(byKey: ReadonlyMap<string, number>, otherwise: number): void;
  /** The keys given a share of their own (setShares), with the rate and burst each is allowed. */
  ownLimits(): Record<string, { perSecond: number; burst: number }>;
  /** Requests seen per key (allowed or not) since the last call; the counts start again at zero. */
  takeDemand(): Map<string, number>;
}

interface Bucket {
  tokens: number;
  at: number;
  seen: number;
  share: number;
}

export const DEFAULT_HOOK_RATE = 10_000;
export const DEFAULT_HOOK_BURST = 20_000;

export function createRateLimiter(opts: RateLimiterOptions = {}): RateLimiter {
  const fullRate = opts.ratePerSecond ?? DEFAULT_HOOK_RATE;
  const fullBurst = opts.burst ?? 2 * fullRate; // default 20,000 = DEFAULT_HOOK_BURST
  const maxKeys = opts.maxKeys ?? 10_000;
  if (!(fullRate > 0) || !(fullBurst >= 1)) throw new Error('rate limit: ratePerSecond must be > 0 and burst ≥ 1');
  // `seen`: requests since the last takeDemand; `share`: this key's part of the full rate and burst
  const buckets = new Map<string, Bucket>();
  let common = 1;
  let own: ReadonlyMap<string, number> = new Map();
  const rateOf = (share: number) => fullRate * share;
  const burstOf = (share: number) => Math.max(1, fullBurst * share);
  const checkShare = (share: number) => {
    if (!(share > 0 && share <= 1)) throw new Error(`rate limit: a share is in (0, 1], got ${share}`);
  };
  const shareFor = (key: string) => own.get(key) ?? common;

  const refill = (b: Bucket, nowMs: number) => {
    if (nowMs > b.at) {
      b.tokens = Math.min(burstOf(b.share), b.tokens + ((nowMs - b.at) / 1000) * rateOf(b.share));
      b.at = nowMs;
    }
  };
  const reshare = () => {
    for (const [k, b] of buckets) {
      b.share = shareFor(k);
      b.tokens = Math.min(b.tokens, burstOf(b.share)); // a smaller bucket holds no more
    }
  };

  return {
    get ratePerSecond() {
      return rateOf(common);
    },
    get burst() {
      return burstOf(common);
    },
    setShare(share) {
      checkShare(share);
      common = share;
      reshare();
    },
    setShares(byKey, otherwise) {
      checkShare(otherwise);
      for (const s of byKey.values()) checkShare(s);
      common = otherwise;
      own = new Map(byKey);
      reshare();
    },
    ownLimits() {
      return Object.fromEntries([...own].map(([k, share]) => [k, { perSecond: rateOf(share), burst: burstOf(share) }]));
    },
    takeDemand() {
      const out = new Map<string, number>();
      for (const [k, b] of buckets) {
        if (b.seen > 0) out.set(k, b.seen);
        b.seen = 0;
      }
      return out;
    },
    take(key, nowMs) {
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) evictIdle(nowMs);
        const share = shareFor(key);
        b = { tokens: burstOf(share), at: nowMs, seen: 0, share };
        buckets.set(key, b);
      } else refill(b, nowMs);
      b.seen++;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rateOf(b.share))) };
    },
  };

  // Full buckets carry no state and go first; when too few are full (many senders, or one with many
  // addresses), the oldest go until a tenth of the room is free, so a sweep runs once per maxKeys/10 keys.
  function evictIdle(nowMs: number) {
    for (const [k, b] of buckets) {
      refill(b, nowMs);
      if (b.tokens >= burstOf(b.share)) buckets.delete(k);
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
