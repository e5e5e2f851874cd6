import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EGRESS_ON_LOOP, EgressRefused, egressOnLoop, egressPolicy, egressRequest, egressThread, networkFailureText, setEgressOnLoop } from './egress.ts';

const owner = { originFromEvent: false, credential: false };
const none = egressPolicy({});

describe('egressRequest on the egress worker and on the loop thread', () => {
  let server: Server;
  let base: string;
  const held: (() => void)[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        if (u.pathname === '/hold') return void held.push(() => res.end('late'));
        if (u.pathname === '/big') return void res.end('x'.repeat(100_000));
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-seen', ['a', 'b']);
        res.setHeader('set-cookie', ['c=1', 'd=2']);
        res.end(JSON.stringify({ path: u.pathname, body: Buffer.concat(chunks).toString('utf8') }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    setEgressOnLoop(DEFAULT_EGRESS_ON_LOOP);
    for (const h of held) h();
    await new Promise<void>((ok) => server.close(() => ok()));
  });
  const send = (path: string, extra: Partial<Parameters<typeof egressRequest>[0]> = {}) =>
    egressRequest({ url: new URL(base + path), method: 'POST', headers: { 'content-type': 'text/plain' }, body: `body of ${path}`, timeoutMs: 5000, ...owner, ...extra }, none);

  // 0: every exchange on the worker; the default: the loop thread takes up to that many while the worker is idle
  describe.each([0, DEFAULT_EGRESS_ON_LOOP])('with FLOWDESK_EGRESS_ON_LOOP=%i', (onLoop) => {
    beforeAll(() => setEgressOnLoop(onLoop));

    it('answers each of many concurrent requests with its own response, bodies as strings and Buffers', async () => {
      const paths = Array.from({ length: 60 }, (_, i) => `/n${i}`);
      const answers = await Promise.all(paths.map((p, i) => send(p, i % 2 ? { body: Buffer.from(`body of ${p}`) } : {})));
      for (const [i, a] of answers.entries()) {
        expect(a.status).toBe(200);
        expect(JSON.parse(a.text)).toMatchObject({ path: paths[i], body: `body of ${paths[i]}` });
      }
      expect(egressThread().size).toBe(0);
    });

    it('gives the headers as node:http does: repeated values joined, set-cookie a list', async () => {
      const a = await send('/h');
      expect(a.headers['x-seen']).toBe('a, b');
      expect(a.headers['set-cookie']).toEqual(['c=1', 'd=2']);
      expect(a.headers['content-type']).toBe('application/json');
    });

    it('keeps the body cap and the deadline, and names what failed as the loop thread would', async () => {
      expect((await send('/big', { maxBodyBytes: 1000 })).text.length).toBeLessThan(100_000);
      await expect(send('/hold', { timeoutMs: 100 })).rejects.toMatchObject({ name: 'TimeoutError' });
      await expect(egressRequest({ url: new URL('http://127.0.0.1:1/'), method: 'GET', headers: {}, timeoutMs: 5000, ...owner }, none)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      // refused at connect time, inside the worker: still an EgressRefused here
      const refused = await egressRequest({ url: new URL(base.replace('127.0.0.1', 'localhost') + '/r'), method: 'GET', headers: {}, timeoutMs: 5000, originFromEvent: true, credential: false }, none).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(EgressRefused);
      expect((refused as Error).message).toMatch(/resolves to .* loopback/);
    });
  });

  it('fails the exchanges a stopped worker held (EGRESS_WORKER_GONE), tells its listeners, and starts a new one for the next', async () => {
    setEgressOnLoop(0);
    const pending = send('/hold', { timeoutMs: 30_000 });
    const settled = pending.catch((e: unknown) => e);
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5)); // the worker has sent it
    expect(egressThread().size).toBe(1);
    const told: [string, number][] = [];
    const stop = egressThread().onGone((why, failed) => told.push([why, failed]));
    await egressThread().close();
    const gone = (await settled) as Error & { code?: string };
    expect(gone).toMatchObject({ code: 'EGRESS_WORKER_GONE' });
    // what the step's error says: the code and why the worker stopped; other failures keep their code alone
    expect(networkFailureText(gone)).toMatch(/^EGRESS_WORKER_GONE \(the egress worker stopped \(exit code \d+\) before the answer came\)$/);
    expect(networkFailureText(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(networkFailureText(new Error('socket hang up'))).toBe('socket hang up');
    stop();
    expect(told).toEqual([[expect.stringMatching(/exit code/), 1]]);
    expect(egressThread().size).toBe(0);
    expect(JSON.parse((await send('/after')).text)).toMatchObject({ path: '/after' });
  });

  it('runs an exchange on the loop thread while the worker is idle, up to the limit, and hands the rest to the worker', async () => {
    setEgressOnLoop(2);
    held.length = 0;
    const first = send('/hold', { timeoutMs: 30_000 });
    while (held.length < 1) await new Promise((r) => setTimeout(r, 5));
    expect(egressThread().size).toBe(0); // sent by this thread: the worker holds nothing
    const second = send('/hold', { timeoutMs: 30_000 });
    while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(egressThread().size).toBe(0);
    const third = send('/hold', { timeoutMs: 30_000 }); // two on the loop: the worker takes it
    expect(egressThread().size).toBe(1);
    while (held.length < 3) await new Promise((r) => setTimeout(r, 5));
    const fourth = send('/n'); // the worker busy: this one goes there too, though the loop has room after the answers below
    for (const h of held.splice(0)) h();
    expect((await Promise.all([first, second, third])).map((a) => a.text)).toEqual(['late', 'late', 'late']);
    expect(JSON.parse((await fourth).text)).toMatchObject({ path: '/n' });
    expect(egressThread().size).toBe(0);
    setEgressOnLoop(0);
    const onWorker = send('/hold', { timeoutMs: 30_000 });
    expect(egressThread().size).toBe(1); // FLOWDESK_EGRESS_ON_LOOP=0: every exchange on the worker
    while (held.length < 1) await new Promise((r) => setTimeout(r, 5));
    for (const h of held.splice(0)) h();
    expect((await onWorker).text).toBe('late');
  });

  it('takes FLOWDESK_EGRESS_ON_LOOP from 0 to 64 (default 2) and refuses anything else naming it', () => {
    expect(egressOnLoop(undefined)).toBe(2);
    expect(egressOnLoop('0')).toBe(0);
    expect(egressOnLoop('64')).toBe(64);
    for (const bad of ['-1', '65', '1.5', 'many']) expect(() => egressOnLoop(bad), bad).toThrow(/FLOWDESK_EGRESS_ON_LOOP must be an integer from 0 to 64/);
  });
});
