// The one way connectors and OAuth2 token requests reach the outside world. Everything a connection's
// credential travels on goes through `outbound`, so the egress rules (security/egress, issue 12 item 7)
// apply by changing this one function. No redirects are followed: a credential never leaves for a
// host the caller did not check.
import http from 'node:http';
import https from 'node:https';

export interface OutboundRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** the body as text, at most MAX_BODY bytes */
  text: string;
}

export class OutboundError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

const MAX_BODY = 1024 * 1024;
const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) };

/** One request with a hard deadline on the whole exchange; throws OutboundError on timeout or network failure. */
export function outbound(req: OutboundRequest): Promise<OutboundResponse> {
  const where = `${req.method} ${req.url.origin}${req.url.pathname}`;
  return new Promise((resolve, reject) => {
    if (req.url.protocol !== 'http:' && req.url.protocol !== 'https:') return reject(new OutboundError('network', `not an http(s) URL: ${where}`));
    const mod = req.url.protocol === 'https:' ? https : http;
    const headers = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = mod.request(req.url, { method: req.method, headers, agent: agents[req.url.protocol] }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8') });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => r.destroy(new OutboundError('timeout', `timed out after ${req.timeoutMs} ms: ${where}`)), req.timeoutMs);
    function fail(e: Error) {
      clearTimeout(timer);
      if (e instanceof OutboundError) return reject(e);
      reject(new OutboundError('network', `${(e as NodeJS.ErrnoException).code ?? e.message}: ${where}`));
    }
    r.on('error', fail);
    r.end(req.body);
  });
}

/** A fetch over `outbound` (for oauth4webapi's customFetch): same rules, no redirects. */
export async function outboundFetch(url: string, init: { method?: string; headers?: HeadersInit | Headers; body?: unknown; signal?: AbortSignal }, timeoutMs = 10_000): Promise<Response> {
  const headers: Record<string, string> = {};
  new Headers(init.headers as HeadersInit | undefined).forEach((v, k) => (headers[k] = v));
  const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : String(init.body);
  const res = await outbound({ url: new URL(url), method: init.method ?? 'GET', headers, body, timeoutMs });
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
  return new Response(res.status === 204 || res.status === 304 ? null : res.text, { status: res.status, headers: h });
}
