// exchange() on the calling thread (what the egress worker runs), against a real server on loopback: what
// the undici handler must do that node:http's client did by itself.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressPolicy } from './egress.ts';
import { exchange, nodeHeaders } from './egress-exchange.ts';

const owner = { originFromEvent: false, credential: false };
const none = egressPolicy({});

describe('exchange', () => {
  let server: Server;
  let base: string;
  const sockets = new Set<Socket>();
  let closedMidBody = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      req.resume();
      req.on('end', () => {
        if (u.pathname === '/auth') return void res.end(req.headers.authorization ?? 'none');
        if (u.pathname === '/big') return void res.end('x'.repeat(200_000));
        if (u.pathname === '/hints') {
          res.writeEarlyHints({ link: '</a.css>; rel=preload' });
          res.setHeader('x-final', 'yes');
          return void res.end('final');
        }
        if (u.pathname === '/stall') {
          // headers and half the body, then nothing: the deadline must end it and drop the socket
          res.writeHead(200, { 'content-length': '10' });
          res.write('12345');
          res.on('close', () => closedMidBody++);
          return;
        }
        res.end(u.search);
      });
    });
    server.on('connection', (s: Socket) => sockets.add(s));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });
  const get = (url: string, extra: Partial<Parameters<typeof exchange>[0]> = {}) => exchange({ url: new URL(url), method: 'GET', headers: {}, timeoutMs: 5000, ...owner, ...extra }, none);

  it('sends the query string and answers with the status and body', async () => {
    const a = await get(`${base}/q?x=1&y=%20`);
    expect(a.status).toBe(200);
    expect(a.text).toBe('?x=1&y=%20');
  });

  it("sends a URL's user and password as Basic credentials, as node:http did; a given Authorization header wins", async () => {
    const withCreds = `${base.replace('http://', 'http://ada%40x:p%3Ass@')}/auth`;
    expect((await get(withCreds)).text).toBe(`Basic ${Buffer.from('ada@x:p:ss').toString('base64')}`);
    expect((await get(withCreds, { headers: { Authorization: 'Bearer t' } })).text).toBe('Bearer t');
    expect((await get(`${base}/auth`)).text).toBe('none');
  });

  it('takes the final response, not a 1xx before it', async () => {
    const a = await get(`${base}/hints`);
    expect(a.status).toBe(200);
    expect(a.headers['x-final']).toBe('yes');
    expect(a.headers.link).toBeUndefined();
    expect(a.text).toBe('final');
  });

  it('keeps only the capped part of a body, reads the rest and reuses the socket', async () => {
    const before = sockets.size;
    const a = await get(`${base}/big`, { maxBodyBytes: 1000 });
    const b = await get(`${base}/big`, { maxBodyBytes: 1000 });
    expect(a.text.length).toBeGreaterThanOrEqual(1000);
    expect(a.text.length).toBeLessThan(200_000);
    expect(b.status).toBe(200);
    // keep-alive: the second call went over the first one's connection (at most one new socket)
    expect(sockets.size - before).toBeLessThanOrEqual(1);
  });

  it('ends an exchange whose body stalls at the deadline (TimeoutError) and drops its socket', async () => {
    await expect(get(`${base}/stall`, { timeoutMs: 150 })).rejects.toMatchObject({ name: 'TimeoutError' });
    const until = Date.now() + 5000;
    while (closedMidBody === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(closedMidBody).toBe(1);
  });

  it('refuses before sending what checkEgress refuses', async () => {
    await expect(get('ftp://127.0.0.1/')).rejects.toThrow(/only http and https URLs are called/);
  });
});

describe('nodeHeaders: node:http rules for repeated response headers', () => {
  const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));
  it('joins repeated values, keeps set-cookie a list and the first of a single-valued header, lower-cases names', () => {
    const h = nodeHeaders(raw('X-Seen', 'a', 'x-seen', 'b', 'Set-Cookie', 'c=1', 'set-cookie', 'd=2', 'Content-Type', 'text/plain', 'content-type', 'text/html', 'Location', '/one', 'location', '/two'));
    expect(h).toEqual({ 'x-seen': 'a, b', 'set-cookie': ['c=1', 'd=2'], 'content-type': 'text/plain', location: '/one' });
  });
  it('reads values as latin1, as node:http does', () => {
    expect(nodeHeaders([Buffer.from('x-name'), Buffer.from([0x63, 0x61, 0x66, 0xe9])])['x-name']).toBe('café');
  });
});
