// Slow and idle clients must not use up the server's sockets (issue 12, item 5: ~20,000 half-open
// connections from one client filled the file limit and valid webhooks failed). Four limits:
// - headers within `headersTimeoutMs` — Node's own timer covers a started request; a socket that has
//   sent nothing at all Node leaves open, so a sweep closes it here;
// - a body keeps arriving at `minBodyBytesPerSecond` over each `bodyRateWindowMs`, instead of a flat
//   request timeout, so a large upload on a slow link completes and a trickle does not;
// - keep-alive: idle sockets close after `keepAliveTimeoutMs`, a socket serves at most
//   `maxRequestsPerSocket` requests, and idle ones are the first closed when the cap is reached;
// - `maxConnections` in all, and `maxConnectionsPerAddress` from one client. The peer address counts,
//   except for a proxy trusted through FLOWDESK_TRUST_PROXY: there the forwarded client address
//   counts, by requests in flight (a proxy multiplexes many clients on few sockets).
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../observability/logger.ts';
import { clientAddress, normalizeAddress, peerIsTrustedProxy, type TrustProxy } from './client-address.ts';

export interface HttpLimits {
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxRequestsPerSocket: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  minBodyBytesPerSecond: number;
  bodyRateWindowMs: number;
  /** how often idle sockets and body rates are checked (also Node's connectionsCheckingInterval) */
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 10_000,
  // above the 60 s idle timeout of common load balancers, so they never reuse a socket Flowdesk closed
  keepAliveTimeoutMs: 65_000,
  maxRequestsPerSocket: 10_000,
  maxConnections: 4096,
  maxConnectionsPerAddress: 512,
  // 1 KB/s: a 1 MB webhook may take ~17 minutes; a slowloris trickle of a few bytes is cut in 10 s
  minBodyBytesPerSecond: 1024,
  bodyRateWindowMs: 10_000,
  checkIntervalMs: 1_000,
};

export type ConnectionRefusal = 'connections_total' | 'connections_per_address' | 'requests_per_address' | 'idle_before_request' | 'slow_body';

/** Options for http.createServer: Node's header timer on, its flat request timeout off (the body rate replaces it). */
export function httpServerOptions(l: HttpLimits): ServerOptions {
  return { headersTimeout: l.headersTimeoutMs, requestTimeout: 0, keepAliveTimeout: l.keepAliveTimeoutMs, connectionsCheckingInterval: l.checkIntervalMs };
}

interface Tracked {
  address: string;
  /** counted per address at the socket level (false for a trusted proxy's sockets) */
  perAddress: boolean;
  connectedAt: number;
  requests: number;
  body?: { req: IncomingMessage; res: ServerResponse; windowStart: number; bytesAtWindowStart: number };
}

export interface ConnectionGuard {
  /** Call first for every request: false means it was answered (429) and must not be handled. */
  admit(req: IncomingMessage, res: ServerResponse): boolean;
  readonly refused: Readonly<Record<ConnectionRefusal, number>>;
  readonly open: number;
  stop(): void;
}

export function guardConnections(
  server: Server,
  limits: HttpLimits,
  opts: { trustProxy?: TrustProxy; log: Logger; now?: () => number; onRefused?: (kind: ConnectionRefusal) => void },
): ConnectionGuard {
  const now = opts.now ?? (() => performance.now());
  const sockets = new Map<Socket, Tracked>();
  const perAddress = new Map<string, number>();
  const inFlight = new Map<string, number>(); // forwarded client → requests in flight (behind a trusted proxy)
  const refused: Record<ConnectionRefusal, number> = { connections_total: 0, connections_per_address: 0, requests_per_address: 0, idle_before_request: 0, slow_body: 0 };
  const count = (kind: ConnectionRefusal) => {
    refused[kind]++;
    opts.onRefused?.(kind);
  };
  const bump = (m: Map<string, number>, k: string, d: number) => {
    const v = (m.get(k) ?? 0) + d;
    if (v > 0) m.set(k, v);
    else m.delete(k);
  };

  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;

  server.on('connection', (socket: Socket) => {
    const address = normalizeAddress(socket.remoteAddress);
    if (sockets.size >= limits.maxConnections) {
      server.closeIdleConnections(); // idle keep-alive sockets go first; the next client gets their place
      count('connections_total');
      socket.destroy();
      return;
    }
    const proxied = peerIsTrustedProxy(address, opts.trustProxy);
    if (!proxied && (perAddress.get(address) ?? 0) >= limits.maxConnectionsPerAddress) {
      count('connections_per_address');
      socket.destroy();
      return;
    }
    const t: Tracked = { address, perAddress: !proxied, connectedAt: now(), requests: 0 };
    sockets.set(socket, t);
    if (t.perAddress) bump(perAddress, address, 1);
    socket.once('close', () => {
      sockets.delete(socket);
      if (t.perAddress) bump(perAddress, address, -1);
    });
  });

  const sweep = () => {
    const at = now();
    const minBytes = (limits.minBodyBytesPerSecond * limits.bodyRateWindowMs) / 1000;
    for (const [socket, t] of sockets) {
      if (t.requests === 0 && at - t.connectedAt >= limits.headersTimeoutMs) {
        count('idle_before_request');
        socket.destroy();
        continue;
      }
      const b = t.body;
      if (!b) continue;
      if (b.req.complete || b.req.destroyed) {
        t.body = undefined;
        continue;
      }
      if (at - b.windowStart < limits.bodyRateWindowMs) continue;
      const got = socket.bytesRead - b.bytesAtWindowStart;
      // bytes the handler has not read yet: the client is not the slow one
      const backlog = b.req.readableLength > 0;
      if (got < minBytes && !backlog) {
        count('slow_body');
        opts.log.warn({ client: t.address, bytes: got, windowMs: limits.bodyRateWindowMs }, 'closed a request whose body arrived slower than the minimum rate');
        if (!b.res.headersSent) {
          b.res.writeHead(408, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
          b.res.end(JSON.stringify({ error: `request body slower than ${limits.minBodyBytesPerSecond} bytes/s` }), () => socket.destroy());
        }
        setImmediate(() => socket.destroy()); // whatever the response did, the socket goes
        t.body = undefined;
        continue;
      }
      b.windowStart = at;
      b.bytesAtWindowStart = socket.bytesRead;
    }
  };
  const timer = setInterval(sweep, limits.checkIntervalMs);
  timer.unref();

  return {
    admit(req, res) {
      const t = sockets.get(req.socket);
      if (t) {
        t.requests++;
        t.body = { req, res, windowStart: now(), bytesAtWindowStart: req.socket.bytesRead };
      }
      if (!t || t.perAddress) return true;
      // behind a trusted proxy: the forwarded client's requests in flight count against its share
      const client = clientAddress(req, opts.trustProxy);
      if ((inFlight.get(client) ?? 0) >= limits.maxConnectionsPerAddress) {
        count('requests_per_address');
        res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', connection: 'close' });
        res.end(JSON.stringify({ error: 'too many requests in flight from your address' }));
        return false;
      }
      bump(inFlight, client, 1);
      res.once('close', () => bump(inFlight, client, -1));
      return true;
    },
    refused,
    get open() {
      return sockets.size;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
