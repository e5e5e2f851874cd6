// Issue 12, item 6: the rate limit was charged before auth, so unauthenticated junk to a
// token-protected path used up its bucket and the real sender got 10 of 10 × 429. Failed auth now
// draws from a bucket of its own per client address; the path's bucket is spent by authenticated
// events only. Sent over real HTTP from different source addresses (127.0.0.2 is the attacker).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { raw, sideEffects, TUNNEL_HOST } from './support.ts';

const TOKEN = 'milestone-hook-token-0123456789';
const flow = (id: string) => ({
  dsl: 1, id, name: id,
  trigger: { type: 'webhook', path: id, auth: { type: 'token', secret: 'HOOK' } },
  nodes: [{ id: 'task', type: 'action', action: 'task.create', params: { title: 'milestone {{payload.n}}' } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'task' }, { from: 'task', to: 'end' }],
});

const send = (rt: TestRuntime, path: string, token: string, o: { from?: string; headers?: Record<string, string>; n?: number } = {}) =>
  raw(rt, {
    method: 'POST',
    path: `/hooks/${path}`,
    headers: { host: TUNNEL_HOST, 'content-type': 'application/json', 'x-flowdesk-token': token, ...o.headers },
    body: JSON.stringify({ n: o.n ?? 0 }),
    localAddress: o.from,
  });

describe('failed auth has its own per-address bucket', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    // the clock does not move: no bucket refills during the test
    rt = await startTestRuntime({ env: { FLOWDESK_SECRET_HOOK: TOKEN, FLOWDESK_HOOK_RATE: '1', FLOWDESK_HOOK_BURST: '10' }, authFailureLimit: { ratePerSecond: 1, burst: 5 } });
    for (const id of ['milestone', 'milestone2']) expect((await rt.put(`/api/flows/${id}`, flow(id))).status).toBe(200);
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('junk from another address cannot spend the real sender\'s 10 events', async () => {
    const before = await sideEffects(rt);
    const junk = [];
    for (let i = 0; i < 40; i++) junk.push((await send(rt, 'milestone', 'wrong', { from: '127.0.0.2', n: i })).status);
    expect(junk.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(junk.slice(5).every((s) => s === 429)).toBe(true);
    const limited = await send(rt, 'milestone', 'wrong', { from: '127.0.0.2' });
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body.error).toBe('too many failed authentications from your address');

    const real = [];
    for (let i = 0; i < 10; i++) real.push((await send(rt, 'milestone', TOKEN, { from: '127.0.0.1', n: i })).status);
    expect(real).toEqual(Array(10).fill(202));
    // the path's own limit still holds for authenticated events
    expect((await send(rt, 'milestone', TOKEN, { from: '127.0.0.1', n: 10 })).status).toBe(429);

    await rt.settle();
    const after = await sideEffects(rt);
    // 10 runs and tasks from the real sender, none from junk; only the 5 answered 401 were logged
    expect(after).toEqual({ ...before, runs: before.runs + 10, tasks: before.tasks + 10, rejected: before.rejected + 5 });
  });

  it('junk from the real sender\'s own address spends only its failure bucket', async () => {
    for (let i = 0; i < 8; i++) await send(rt, 'milestone2', 'wrong', { from: '127.0.0.3' });
    expect((await send(rt, 'milestone2', 'wrong', { from: '127.0.0.3' })).status).toBe(429);
    const ok = await send(rt, 'milestone2', TOKEN, { from: '127.0.0.3', n: 1 });
    expect(ok.status).toBe(202);
  });

  it('without FLOWDESK_TRUST_PROXY a forged X-Forwarded-For buys no fresh bucket', async () => {
    for (let i = 0; i < 6; i++) await send(rt, 'milestone2', 'wrong', { from: '127.0.0.4', headers: { 'x-forwarded-for': `198.51.100.${i}` } });
    expect((await send(rt, 'milestone2', 'wrong', { from: '127.0.0.4', headers: { 'x-forwarded-for': '198.51.100.99' } })).status).toBe(429);
  });
});

describe('behind a trusted proxy the forwarded address counts', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ env: { FLOWDESK_SECRET_HOOK: TOKEN, FLOWDESK_TRUST_PROXY: '1' }, authFailureLimit: { ratePerSecond: 1, burst: 3 } });
    expect((await rt.put('/api/flows/milestone', flow('milestone'))).status).toBe(200);
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('one client behind the proxy runs out; another one behind the same proxy does not', async () => {
    const via = (client: string) => ({ 'x-forwarded-for': client });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(rt, 'milestone', 'wrong', { headers: via('203.0.113.66') })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await send(rt, 'milestone', 'wrong', { headers: via('203.0.113.77') })).status).toBe(401);
    expect((await send(rt, 'milestone', TOKEN, { headers: via('203.0.113.66'), n: 1 })).status).toBe(202);
  });
});
