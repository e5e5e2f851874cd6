// Express middleware for /hooks/:path: one token bucket per path; 429 with Retry-After when empty.
import type { RequestHandler } from 'express';
import type { RateLimiter } from './rate-limit.ts';

export function hookRateLimit(limiter: RateLimiter, now: () => number): RequestHandler {
  return (req, res, next) => {
    const raw = (req.params as Record<string, string | string[] | undefined>).path;
    const key = Array.isArray(raw) ? raw.join('/') : (raw ?? req.path);
    const d = limiter.take(key, now());
    if (d.ok) return next();
    res.set('Retry-After', String(d.retryAfterSeconds)).status(429).json({ error: `rate limit exceeded for /hooks/${key}; retry after ${d.retryAfterSeconds} s` });
  };
}
