// CSRF on the admin API. A browser sends a "simple" cross-site request (a form post, fetch with
// mode: 'no-cors') without asking first, with Content-Type text/plain, form-urlencoded or multipart.
// So a request that changes something (any method but GET/HEAD) is refused when the browser says it
// is cross-site (Origin ≠ Host, or Sec-Fetch-Site: cross-site), and one with a body must be JSON —
// which a browser sends cross-site only after a CORS preflight that Flowdesk never grants.
// Requests without Origin or Sec-Fetch-Site (curl, scripts) are not a browser's and pass.
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../observability/logger.ts';
import { sendError } from '../http/errors.ts';
import { parseHost, requestedHost } from './host-guard.ts';
import type { TrustProxy } from './client-address.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Why a state-changing request is cross-site (undefined: same origin, or not from a browser). */
export function crossSiteReason(headers: IncomingHttpHeaders, host: string | undefined): string | undefined {
  if (headers['sec-fetch-site'] === 'cross-site') return 'cross-site request refused (Sec-Fetch-Site: cross-site)';
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const refused = `cross-origin request refused: Origin ${origin} is not this server (Host ${host ?? '(none)'})`;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return refused; // "null" (a sandboxed frame, a file:// page) and anything unparseable
  }
  const want = parseHost(host);
  if (!want || !(url.protocol in DEFAULT_PORT)) return refused;
  const port = (p: string | undefined) => p || DEFAULT_PORT[url.protocol];
  // URL lower-cases the name and keeps an IPv6 literal's brackets, as parseHost does
  return url.hostname === want.name && port(url.port) === port(want.port) ? undefined : refused;
}

/** A body is present when it is chunked or has a non-zero length (a DELETE with none passes). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const len = headers['content-length'];
  return len !== undefined && Number(len) !== 0;
}

export const isJsonContentType = (ct: string | undefined): boolean => !!ct && /^application\/json\s*(;|$)/i.test(ct);

/** Express middleware for `/api`: 403 for cross-site writes, 415 for a write whose body is not JSON. */
export function apiWriteGuard(trust: TrustProxy | undefined, log: Logger, onRefused?: (kind: 'cross_site' | 'content_type') => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (SAFE_METHODS.has(req.method)) return next();
    const host = requestedHost(req, trust);
    const cross = crossSiteReason(req.headers, host);
    if (cross) {
      onRefused?.('cross_site');
      log.warn({ method: req.method, path: req.originalUrl.split('?')[0], origin: req.headers.origin, host }, `refused: ${cross}`);
      return sendError(res, 403, cross);
    }
    if (hasBody(req.headers) && !isJsonContentType(req.headers['content-type'])) {
      onRefused?.('content_type');
      return sendError(res, 415, `the admin API takes a JSON body: Content-Type must be application/json, got ${req.headers['content-type'] ?? 'none'}`);
    }
    next();
  };
}
