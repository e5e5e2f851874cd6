// HubSpot CRM API v3 (https://developers.hubspot.com/docs/api/crm): `Authorization: Bearer <private app
// token or OAuth2 access token>`, JSON bodies. Errors are `{status: "error", message, correlationId,
// category}` (VALIDATION_ERROR, OBJECT_NOT_FOUND, CONFLICT, INVALID_AUTHENTICATION, MISSING_SCOPES).
// Rate limits answer 429 `{status: "error", errorType: "RATE_LIMIT", policyName, message}` with
// X-HubSpot-RateLimit-* headers: a burst limit (TEN_SECONDLY_ROLLING, SECONDLY) clears after
// X-HubSpot-RateLimit-Interval-Milliseconds, so the retry waits that long; the DAILY limit lasts until
// midnight in the account's time zone, beyond any step schedule, so it is final with HubSpot's words.
import { defineConnectorApp, retryAfterOf, type VendorAnswer, type Verdict } from './define.ts';

export function hubspotVerdict(res: VendorAnswer, nowMs: number): Verdict {
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const b = (res.json ?? {}) as { message?: unknown; category?: unknown; errorType?: unknown; policyName?: unknown };
  const kind = [b.category, b.errorType, b.policyName].filter((s) => typeof s === 'string' && s).join('/');
  const message = `${kind ? `${kind}: ` : ''}${typeof b.message === 'string' ? b.message : res.text.trim().slice(0, 300) || `HTTP ${res.status}`}`;
  if (res.status === 429) {
    if (b.policyName === 'DAILY') return { ok: false, errorClass: '4xx', message: `${message} (the daily API limit; it resets at midnight in the HubSpot account's time zone)` };
    const interval = Number(res.headers['x-hubspot-ratelimit-interval-milliseconds']);
    return { ok: false, errorClass: '429', message, retryAfterMs: retryAfterOf(res, nowMs) ?? (Number.isFinite(interval) && interval > 0 ? interval : undefined) };
  }
  if (res.status >= 500) return { ok: false, errorClass: '5xx', message };
  return { ok: false, errorClass: '4xx', message, auth: res.status === 401 };
}

export default defineConnectorApp({
  app: 'hubspot',
  verdict: hubspotVerdict,
  test: { request: { method: 'GET', path: '/crm/v3/objects/contacts', query: { limit: 1 } }, describe: () => 'the token can read contacts' },
  failureModes: [
    {
      name: 'ten_secondly_rolling',
      description: 'HTTP 429 RATE_LIMIT (TEN_SECONDLY_ROLLING) with X-HubSpot-RateLimit-* headers',
      status: 429,
      headers: { 'x-hubspot-ratelimit-interval-milliseconds': '10000', 'x-hubspot-ratelimit-max': '100', 'x-hubspot-ratelimit-remaining': '0' },
      body: { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING', correlationId: 'drill' },
      expect: 'retried',
    },
    {
      name: 'validation_error',
      description: 'HTTP 400 VALIDATION_ERROR',
      status: 400,
      body: { status: 'error', message: 'Property values were not valid', category: 'VALIDATION_ERROR', correlationId: 'drill' },
      expect: 'final',
    },
  ],
  drillSuccess: { status: 200, body: { status: 'COMPLETE', id: '1', results: [{ id: '1', new: true, properties: {} }] } },
});
