// The one way connectors and OAuth2 token requests reach the outside world: every request a
// connection's credential travels on goes through the egress guard (security/egress: link-local and
// metadata addresses refused at connect time, FLOWDESK_EGRESS_ALLOW, the credential bound to its
// hosts, a hard deadline, a body cap). No redirects are followed: a credential never leaves for a host
// the caller did not check.
import type http from 'node:http';
import { EgressRefused, egressRequest, networkFailureText, type EgressCall, type EgressPolicy } from '../security/egress.ts';

export interface OutboundRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** the hosts the call's credential may go to (a connection's base URL and app hosts) */
  credentialHosts?: readonly string[];
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** the body as text, at most MAX_BODY bytes */
  text: string;
}

/** A request that failed: `refused` by the egress guard (nothing was sent, final), or a timeout/network failure (retryable). */
export class OutboundError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'refused',
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

const MAX_BODY = 1024 * 1024;

/**
 * One request with a hard deadline on the whole exchange; throws OutboundError. The URL is always built
 * from what the owner configured (a connection's base URL, a token endpoint), never from event data, and
 * always carries a credential.
 */
export async function outbound(req: OutboundRequest, policy: EgressPolicy): Promise<OutboundResponse> {
  const where = `${req.method} ${req.url.origin}${req.url.pathname}`;
  const headers = { ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  const call: EgressCall = { originFromEvent: false, credential: true, ...(req.credentialHosts ? { credentialHosts: req.credentialHosts } : {}) };
  try {
    return await egressRequest({ url: req.url, method: req.method, headers, body: req.body, timeoutMs: req.timeoutMs, maxBodyBytes: MAX_BODY, ...call }, policy);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err instanceof EgressRefused) throw new OutboundError('refused', err.message);
    if (err.name === 'TimeoutError') throw new OutboundError('timeout', `timed out after ${req.timeoutMs} ms: ${where}`);
    throw new OutboundError('network', `${networkFailureText(err)}: ${where}`);
  }
}

/** A fetch over `outbound` (for oauth4webapi's customFetch): same rules, no redirects. */
export async function outboundFetch(
  url: string,
  init: { method?: string; headers?: HeadersInit | Headers; body?: unknown; signal?: AbortSignal },
  policy: EgressPolicy,
  timeoutMs = 10_000,
): Promise<Response> {
  const headers: Record<string, string> = {};
  new Headers(init.headers as HeadersInit | undefined).forEach((v, k) => (headers[k] = v));
  const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : String(init.body);
  const res = await outbound({ url: new URL(url), method: init.method ?? 'GET', headers, body, timeoutMs }, policy);
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
  return new Response(res.status === 204 || res.status === 304 ? null : res.text, { status: res.status, headers: h });
}
