import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookRateLimit } from './hook-rate-limit.ts';
import { createRateLimiter } from './rate-limit.ts';

let server: Server;
let base: string;
let now = 1_700_000_000_000;
beforeAll(async () => {
  const app = express();
  app.post('/hooks/*path', hookRateLimit(createRateLimiter({ ratePerSecond: 1, burst: 2 }), () => now), (_req, res) => {
    res.status(202).json({ runId: 'r' });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('hookRateLimit', () => {
  it('answers 429 with Retry-After per path, over real HTTP, and recovers with the clock', async () => {
    const post = (p: string) => fetch(`${base}/hooks/${p}`, { method: 'POST' });
    expect((await post('lead')).status).toBe(202);
    expect((await post('lead')).status).toBe(202);
    const limited = await post('lead');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await limited.json()).error).toContain('/hooks/lead');
    expect((await post('stripe/payments')).status).toBe(202);
    now += 1000;
    expect((await post('lead')).status).toBe(202);
  });
});
