// Issue 12, item 5: slow clients. As found, 19,975 half-open connections from one client filled the
// file limit and valid webhooks and /healthz failed. Real sockets here, against a runtime whose own
// timers are shortened through its options (headers 1–3 s, body windows 300 ms) — the same code
// paths as the defaults (10 s, 10 s), without minutes of waiting.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { raw, sideEffects, TUNNEL_HOST } from './support.ts';

const leadFlow = {
  dsl: 1, id: 'lead', name: 'Lead',
  trigger: { type: 'webhook', path: 'lead', auth: { type: 'none' } },
  nodes: [{ id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'end' }],
};

interface Client {
  socket: Socket;
  closed: Promise<void>;
  received: () => string;
}

function open(port: number, from: string, first?: string): Promise<Client> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('error', () => {}); // a reset is one way of being closed
    const closed = new Promise<void>((ok) => socket.once('close', () => ok()));
    const done = () => resolve({ socket, closed, received: () => data });
    socket.once('connect', () => {
      if (first) socket.write(first);
      done();
    });
    socket.once('close', done); // refused before or at connect
  });
}

const webhook = (rt: TestRuntime, email: string) =>
  raw(rt, { method: 'POST', path: '/hooks/lead', headers: { host: TUNNEL_HOST, 'content-type': 'application/json' }, body: JSON.stringify({ email }) });

describe('500 half-open sockets from one address', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ httpLimits: { headersTimeoutMs: 3000, checkIntervalMs: 100, maxConnectionsPerAddress: 100 } });
    expect((await rt.put('/api/flows/lead', leadFlow)).status).toBe(200);
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('valid webhooks from 127.0.0.1 get 202 throughout, and the server closes every slow socket', { timeout: 30_000 }, async () => {
    const before = await sideEffects(rt);
    const clients: Client[] = [];
    for (let batch = 0; batch < 5; batch++) {
      // half of them send nothing; half start a request and never finish its headers
      const opening = Array.from({ length: 100 }, (_, i) => open(rt.port, '127.0.0.2', i % 2 ? 'POST /hooks/lead HTTP/1.1\r\nHost: x\r\nContent-Type: app' : undefined));
      clients.push(...(await Promise.all(opening)));
    }
    const during = [];
    for (let i = 0; i < 20; i++) during.push((await webhook(rt, `lead${i}@example.com`)).status);
    expect(during).toEqual(Array(20).fill(202));
    expect((await raw(rt, { path: '/healthz' })).status).toBe(200);

    await Promise.all(clients.map((c) => c.closed)); // the vitest timeout fails the test if one stays open
    const refused = rt.connections.refused;
    // beyond the per-address share, refused at once; the rest closed for not sending headers in time
    expect(refused.connections_per_address).toBeGreaterThanOrEqual(300);
    const partial = clients.filter((c) => c.received().startsWith('HTTP/1.1 408'));
    expect(refused.connections_per_address + refused.idle_before_request + partial.length).toBeGreaterThanOrEqual(500);
    await expect.poll(() => rt.connections.open, { timeout: 5_000 }).toBeLessThanOrEqual(1); // the server's side closes too
    await rt.settle();
    expect((await sideEffects(rt)).runs).toBe(before.runs + 20); // the half-sent requests started nothing
  });
});

describe('request bodies: a minimum rate, not a flat timeout', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ httpLimits: { headersTimeoutMs: 1000, checkIntervalMs: 50, minBodyBytesPerSecond: 5_000, bodyRateWindowMs: 300 } });
    expect((await rt.put('/api/flows/lead', leadFlow)).status).toBe(200);
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('a trickle (slowloris body) is answered 408 and closed; nothing is started', { timeout: 20_000 }, async () => {
    const before = await sideEffects(rt);
    const c = await open(rt.port, '127.0.0.2', `POST /hooks/lead HTTP/1.1\r\nHost: ${TUNNEL_HOST}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"email":"`);
    const drip = setInterval(() => c.socket.writable && c.socket.write('a'), 50);
    await c.closed;
    clearInterval(drip);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(rt.connections.refused.slow_body).toBe(1);
    expect(await sideEffects(rt)).toEqual(before);
  });

  it('a large upload on a slow link completes: 150 KB at ~40 KB/s, far longer than the header timeout', { timeout: 20_000 }, async () => {
    const email = 'big@example.com';
    const body = Buffer.from(JSON.stringify({ email, notes: 'x'.repeat(150_000) }));
    const c = await open(rt.port, '127.0.0.1', `POST /hooks/lead HTTP/1.1\r\nHost: ${TUNNEL_HOST}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    const started = performance.now();
    for (let off = 0; off < body.length; off += 2_000) {
      c.socket.write(body.subarray(off, off + 2_000));
      await new Promise((r) => setTimeout(r, 50));
    }
    await c.closed;
    expect(performance.now() - started).toBeGreaterThan(1_000); // it did take longer than headersTimeoutMs
    expect(c.received()).toMatch(/^HTTP\/1\.1 202/);
    await rt.settle();
    const runs = await rt.store.listRuns({ flowId: 'lead' });
    expect(runs.some((r) => (r as { trigger?: { payload?: { email?: string } } }).trigger?.payload?.email === email || JSON.stringify(r).includes(email))).toBe(true);
  });
});

describe('keep-alive limits and the connection cap', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ httpLimits: { keepAliveTimeoutMs: 300, maxRequestsPerSocket: 3, maxConnections: 20, maxConnectionsPerAddress: 100, checkIntervalMs: 100 } });
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  const get = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

  it('an idle keep-alive socket is closed; a socket serves at most maxRequestsPerSocket requests', { timeout: 20_000 }, async () => {
    const idle = await open(rt.port, '127.0.0.1', get);
    await idle.closed;
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200/);

    const busy = await open(rt.port, '127.0.0.1', get + get + get + get);
    await busy.closed;
    const answers = busy.received().match(/HTTP\/1\.1 \d+/g) ?? [];
    // Node answers the third with Connection: close and one sent after it 503
    expect(answers).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 503']);
    expect(busy.received()).toMatch(/Connection: close/i);
  });

  it('at the cap a new socket is refused and idle keep-alive sockets are closed to make room', { timeout: 20_000 }, async () => {
    const idle: Client[] = [];
    for (let i = 0; i < 20; i++) idle.push(await open(rt.port, '127.0.0.3', get));
    await new Promise((r) => setTimeout(r, 100)); // their answers arrive; they sit idle
    expect(idle.every((c) => c.received().startsWith('HTTP/1.1 200'))).toBe(true);
    const refusedBefore = rt.connections.refused.connections_total;
    const late = await open(rt.port, '127.0.0.4', get);
    await late.closed;
    expect(late.received()).toBe('');
    expect(rt.connections.refused.connections_total).toBe(refusedBefore + 1);
    await Promise.all(idle.map((c) => c.closed)); // closed to make room, well before their keep-alive ran out
    const next = await raw(rt, { path: '/healthz', localAddress: '127.0.0.4' });
    expect(next.status).toBe(200);
  });
});

describe('behind a trusted proxy, the forwarded client has the per-address share', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ env: { FLOWDESK_TRUST_PROXY: 'loopback' }, httpLimits: { maxConnectionsPerAddress: 5, checkIntervalMs: 100 } });
    expect((await rt.put('/api/flows/lead', leadFlow)).status).toBe(200);
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('one client\'s requests in flight are capped; another client behind the same proxy gets through', { timeout: 20_000 }, async () => {
    const slow: Client[] = [];
    const head = (client: string) => `POST /hooks/lead HTTP/1.1\r\nHost: ${TUNNEL_HOST}\r\nX-Forwarded-For: ${client}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{`;
    for (let i = 0; i < 8; i++) slow.push(await open(rt.port, '127.0.0.1', head('203.0.113.1')));
    await new Promise((r) => setTimeout(r, 100));
    const answered = slow.filter((c) => c.received().startsWith('HTTP/1.1 429'));
    expect(answered).toHaveLength(3); // 5 in flight, the next 3 refused
    expect(rt.connections.refused.requests_per_address).toBe(3);
    const other = await raw(rt, { method: 'POST', path: '/hooks/lead', headers: { host: TUNNEL_HOST, 'x-forwarded-for': '203.0.113.2', 'content-type': 'application/json' }, body: '{"email":"b@example.com"}' });
    expect(other.status).toBe(202);
    for (const c of slow) c.socket.destroy();
  });
});
