// Security headers (helmet) with the Content-Security-Policy the editor works under.
import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * The editor's CSP. Trade-offs, documented:
 * - script-src 'unsafe-eval': AJV compiles payload-contract validators with `new Function` in the browser.
 * - style-src 'unsafe-inline': React Flow positions nodes with inline styles.
 * - worker-src blob:: elkjs may lay out in a worker.
 * No upgrade-insecure-requests: the runtime is served over plain HTTP on 127.0.0.1 by default.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'unsafe-eval'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

export function securityHeaders(): RequestHandler {
  const directives: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(CSP_DIRECTIVES)) directives[k] = [...v];
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    // Plain HTTP on loopback by default: HSTS would only confuse a browser that later meets HTTPS elsewhere.
    strictTransportSecurity: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  }) as unknown as RequestHandler;
}
