// How a webhook answers a browser: CORS for pages that post with fetch (preflight included), and the
// 303 redirects a trigger's `respond` asks for when an HTML form posts straight to Flowdesk. Redirect
// targets come from the flow or its config, never from the request.
import type { IncomingMessage } from 'node:http';
import type { Flow } from '@flowdesk/schema';

type WebhookTrigger = Extract<Flow['trigger'], { type: 'webhook' }>;

/** Headers a page's fetch may send to a hook: the body's type, and the token header when the hook takes one. */
function allowedRequestHeaders(trigger: WebhookTrigger): string[] {
  const out = ['content-type'];
  if (trigger.auth.type === 'token') out.push((trigger.auth.header ?? 'x-flowdesk-token').toLowerCase(), 'authorization');
  return out;
}

/** The request's Origin when the trigger lets it post; undefined otherwise. */
export function allowedOrigin(req: IncomingMessage, trigger: WebhookTrigger): string | undefined {
  const origin = req.headers.origin;
  const origins = trigger.cors?.origins;
  if (!origin || !origins) return undefined;
  if (origins.includes('*')) return '*';
  return origins.includes(origin) ? origin : undefined;
}

/** CORS headers for an actual POST (empty when the origin is not allowed). */
export function corsHeaders(req: IncomingMessage, trigger: WebhookTrigger): Record<string, string> {
  const o = allowedOrigin(req, trigger);
  return o ? { 'access-control-allow-origin': o, vary: 'Origin' } : {};
}

/** The answer to a preflight (OPTIONS): 204 with what the hook allows, or 403 naming why not. */
export function preflight(req: IncomingMessage, trigger: WebhookTrigger): { status: 204; headers: Record<string, string> } | { status: 403; error: string } {
  if (!trigger.cors) return { status: 403, error: 'this hook takes no cross-origin requests (no cors.origins in its trigger)' };
  const o = allowedOrigin(req, trigger);
  if (!o) return { status: 403, error: `origin ${req.headers.origin ?? '(none)'} is not in this hook's cors.origins` };
  const method = String(req.headers['access-control-request-method'] ?? 'POST').toUpperCase();
  if (method !== 'POST') return { status: 403, error: `method ${method} is not allowed: hooks take POST` };
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': o,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': allowedRequestHeaders(trigger).join(', '),
      'access-control-max-age': '600',
      vary: 'Origin',
    },
  };
}

/**
 * The page to send a browser to, or undefined for a JSON answer: only for form bodies, only when the
 * trigger names one, and not when the sender asks for JSON (`Accept: application/json`).
 */
export function redirectTarget(
  req: IncomingMessage,
  trigger: WebhookTrigger,
  form: boolean,
  outcome: 'ok' | 'error',
  config: (name: string) => string | undefined,
): { url: string } | { misconfigured: string } | undefined {
  if (!form) return undefined;
  const written = outcome === 'ok' ? trigger.respond?.redirect : trigger.respond?.errorRedirect;
  if (!written) return undefined;
  if (/\bapplication\/json\b/i.test(String(req.headers.accept ?? ''))) return undefined;
  const m = /^\{\{config\.([A-Z][A-Z0-9_]*)\}\}$/.exec(written);
  const url = m ? config(m[1]!) : written;
  if (!url) return { misconfigured: `respond: config ${m![1]} is not set` };
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return { misconfigured: `respond: config ${m ? m[1] : ''} is not an absolute http(s) URL` };
  return { url };
}
