// The admin surface (`/api`, the editor's pages, `/metrics`) answers loopback names only, unless an
// admin token is set and the name is listed in FLOWDESK_ALLOWED_HOSTS: a page on
// rebind.evil.example whose name resolves to 127.0.0.1 (DNS rebinding) is refused before any route.
// The public surface (webhooks, signed links, OAuth callbacks, /healthz) answers any Host: vendors
// reach it through tunnels and proxies under other names.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../observability/logger.ts';
import { clientAddress, peerIsTrustedProxy, type TrustProxy } from './client-address.ts';
import { sendError } from '../http/errors.ts';

/**
 * The public surface, which any Host may reach: webhooks, signed single-use links, the OAuth callback
 * and liveness. Everything else is the admin surface, so a route added later is guarded by default.
 * (Express matches routes case-insensitively; these checks are exact, so `/API/…` is guarded too.)
 */
export function isPublicPath(path: string): boolean {
  return path.startsWith('/hooks/') || path.startsWith('/r/') || path === '/oauth/callback' || path === '/healthz';
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Headers a proxy or tunnel adds; a request carrying one did not come straight from this machine. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip'] as const;

export interface HostName {
  /** lower case; an IPv6 literal keeps its brackets */
  name: string;
  port?: string;
}

/** Splits a Host header value (`name`, `name:port`, `[v6]:port`); undefined when malformed. */
export function parseHost(value: string | undefined): HostName | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) return undefined;
  return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, port: m[2] };
}

export const isLoopbackName = (name: string): boolean => LOOPBACK_NAMES.has(name);

/**
 * FLOWDESK_ALLOWED_HOSTS: comma-separated names (`flowdesk.example.com`, any port) or `name:port`.
 * Throws naming an entry that is not a bare host (a scheme or path is a common slip).
 */
export function parseAllowedHosts(value: string | undefined): HostName[] {
  const out: HostName[] = [];
  for (const raw of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const h = parseHost(raw);
    if (!h) throw new Error(`FLOWDESK_ALLOWED_HOSTS: "${raw}" is not a host name (write "flowdesk.example.com" or "flowdesk.example.com:8443", no scheme or path)`);
    out.push(h);
  }
  return out;
}

export interface AdminSurfacePolicy {
  adminToken: string | undefined;
  allowedHosts: HostName[];
  trustProxy: TrustProxy | undefined;
}

/** The Host the client asked for: X-Forwarded-Host when a trusted proxy sent it, else Host. */
export function requestedHost(req: Pick<IncomingMessage, 'headers' | 'socket'>, trust: TrustProxy | undefined): string | undefined {
  const fwd = req.headers['x-forwarded-host'];
  if (typeof fwd === 'string' && fwd && peerIsTrustedProxy(req.socket.remoteAddress, trust)) return fwd.split(',')[0]!.trim();
  return req.headers.host;
}

export const cameThroughProxy = (headers: IncomingHttpHeaders): boolean => FORWARDING_HEADERS.some((h) => headers[h] !== undefined);

/** Why the admin surface refuses this Host (undefined: it may go on to the token check). */
export function adminHostRefusal(host: string | undefined, headers: IncomingHttpHeaders, policy: AdminSurfacePolicy): string | undefined {
  const h = parseHost(host);
  if (!h) return host ? `Host "${host}" is not a valid host name` : 'a Host header is required';
  if (isLoopbackName(h.name)) {
    // a proxy or tunnel that rewrites Host to 127.0.0.1 (ngrok --host-header=rewrite, nginx's default)
    // would otherwise put the admin surface on the internet without a token
    if (!policy.adminToken && cameThroughProxy(headers)) {
      return 'this request came through a proxy or tunnel: the admin surface is reachable that way only with FLOWDESK_ADMIN_TOKEN set';
    }
    return undefined;
  }
  if (!policy.adminToken) {
    return `Host "${host}" is not a loopback name (127.0.0.1, localhost, [::1]); other names reach the admin surface only with FLOWDESK_ADMIN_TOKEN set and the name in FLOWDESK_ALLOWED_HOSTS`;
  }
  if (!policy.allowedHosts.some((a) => a.name === h.name && (a.port === undefined || a.port === h.port))) {
    return `Host "${host}" is not in FLOWDESK_ALLOWED_HOSTS`;
  }
  return undefined;
}

/** Express middleware: 403 JSON (and a log line) for a Host the admin surface does not answer. */
export function adminHostGuard(policy: AdminSurfacePolicy, log: Logger, onRefused?: () => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (isPublicPath(req.path)) return next();
    const host = requestedHost(req, policy.trustProxy);
    const reason = adminHostRefusal(host, req.headers, policy);
    if (!reason) return next();
    onRefused?.();
    log.warn({ host, method: req.method, path: req.path, client: clientAddress(req, policy.trustProxy) }, `refused: ${reason}`);
    sendError(res, 403, reason);
  };
}
