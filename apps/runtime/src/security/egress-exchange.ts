// One outbound exchange on the calling thread, under egress.ts's rules: what egressRequest runs, on the
// egress worker or (traffic light) on the loop thread. Its own module, loaded by the loop thread on its
// first exchange, so that a process that never calls out never evaluates the HTTP client (undici).
import type http from 'node:http';
import type net from 'node:net';
import { Agent, util, type Dispatcher } from 'undici';
import { checkEgress, DEFAULT_MAX_BODY, guardedLookup, type EgressCall, type EgressPolicy, type EgressRequest, type EgressResponse } from './egress.ts';

// ── dispatchers ──

const dispatchers = new Map<string, Agent>();
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * undici keep-alive pools per policy and per strictness: a socket opened for an owner-built URL (which
 * may reach a private address) is never reused by a call whose host came from an event. undici rather
 * than node:http's client: half the CPU per keep-alive call (bench/client-call.ts: 25 against 54 µs), on
 * the thread that shares the cores with the loop. A connect is given 30 s at most: the exchange's deadline
 * answers the caller on time, and this bounds how long a socket to a dead host is left trying.
 */
export function egressDispatcher(call: Pick<EgressCall, 'originFromEvent'>, policy: EgressPolicy): Agent {
  const key = `${call.originFromEvent ? 'event' : 'owner'}\u0000${policy.source}`;
  let d = dispatchers.get(key);
  if (!d) {
    const lookup = guardedLookup(call, policy) as unknown as net.LookupFunction;
    d = new Agent({ connections: 256, connect: { lookup, timeout: CONNECT_TIMEOUT_MS } });
    dispatchers.set(key, d);
  }
  return d;
}

// node:http's rules for repeated response headers, which every caller was written against: set-cookie a
// list, these kept once (the first), any other joined with ", "; values read as latin1, as node:http does.
const SINGLE = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent']);

export function nodeHeaders(raw: readonly Buffer[]): http.IncomingHttpHeaders {
  const out: http.IncomingHttpHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = util.headerNameToString(raw[i]!);
    const v = raw[i + 1]!.toString('latin1');
    const had = out[k];
    if (k === 'set-cookie') (out[k] ??= []).push(v);
    else if (had === undefined) out[k] = v;
    else if (!SINGLE.has(k)) out[k] = `${had as string}, ${v}`;
  }
  return out;
}

/** `https://user:pass@host/` sends Basic credentials, as node:http's client did (an Authorization header given wins). */
function withUrlCredentials(r: EgressRequest): Record<string, string> {
  if (!r.url.username && !r.url.password) return r.headers;
  if (Object.keys(r.headers).some((k) => k.toLowerCase() === 'authorization')) return r.headers;
  const pair = `${decodeURIComponent(r.url.username)}:${decodeURIComponent(r.url.password)}`;
  return { ...r.headers, authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}

const timeoutError = () => Object.assign(new Error('timeout'), { name: 'TimeoutError' });

/**
 * One exchange on this thread: what the egress worker runs for egressRequest. undici's dispatch API with a
 * handler of its own (no AbortSignal, no body stream: both cost more CPU per call than node:http's client
 * saves). The deadline answers the caller on time even while the socket still connects; the request is
 * aborted as soon as undici hands over its abort.
 */
export function exchange(r: EgressRequest, policy: EgressPolicy): Promise<EgressResponse> {
  try {
    checkEgress(r.url, r, policy);
  } catch (e) {
    return Promise.reject(e);
  }
  const keep = r.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return new Promise((resolve, reject) => {
    let settled = false;
    let abort: ((e: Error) => void) | undefined;
    let status = 0;
    let headers: http.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (e: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) reject(e);
      else resolve({ status, headers, text: Buffer.concat(chunks).toString('utf8') });
    };
    const timer = setTimeout(() => {
      const e = timeoutError();
      settle(e);
      abort?.(e);
    }, r.timeoutMs);
    const handler: Dispatcher.DispatchHandlers = {
      onConnect(a) {
        if (settled) a(timeoutError());
        else abort = a;
      },
      onHeaders(statusCode, raw) {
        // (a 1xx before the response does not reach here; the final response's headers are the ones kept)
        status = statusCode;
        headers = nodeHeaders(raw);
        return true;
      },
      onData(c) {
        // past the cap the body is still read (so the socket can be reused), not kept
        if (size < keep) chunks.push(c);
        size += c.length;
        return true;
      },
      onComplete: () => settle(undefined),
      onError: (e) => settle(e),
    };
    egressDispatcher(r, policy).dispatch(
      // the deadline above is the one limit on the whole exchange
      { origin: r.url.origin, path: `${r.url.pathname}${r.url.search}`, method: r.method as Dispatcher.HttpMethod, headers: withUrlCredentials(r), body: r.body, headersTimeout: 0, bodyTimeout: 0 },
      handler,
    );
  });
}
