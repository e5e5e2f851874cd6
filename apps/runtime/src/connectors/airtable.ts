// Airtable's Web API (https://airtable.com/developers/web/api): `Authorization: Bearer <token>`, JSON.
// Errors are `{error: {type, message}}` (or `{error: "NOT_FOUND"}`): 401 AUTHENTICATION_REQUIRED, 403
// INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND, 404 NOT_FOUND, 422 INVALID_REQUEST_UNKNOWN / UNKNOWN_FIELD_NAME /
// INVALID_VALUE_FOR_COLUMN, 429 (5 requests per second per base: "wait 30 seconds before subsequent
// requests will succeed"), 5xx.
import { defineConnectorApp, retryAfterOf, type VendorAnswer, type Verdict } from './define.ts';

/** Airtable's documented back-off after a 429. */
const RATE_LIMIT_WAIT_MS = 30_000;

export function airtableVerdict(res: VendorAnswer, nowMs: number): Verdict {
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const e = (res.json as { error?: unknown; errors?: { error?: unknown; message?: unknown }[] } | undefined) ?? {};
  const err = typeof e.error === 'object' && e.error ? (e.error as { type?: unknown; message?: unknown }) : { type: e.error ?? e.errors?.[0]?.error, message: e.errors?.[0]?.message };
  const message = `${typeof err.type === 'string' ? err.type : `HTTP ${res.status}`}${typeof err.message === 'string' ? `: ${err.message}` : ''}`;
  if (res.status === 429) return { ok: false, errorClass: '429', message, retryAfterMs: retryAfterOf(res, nowMs) ?? RATE_LIMIT_WAIT_MS };
  if (res.status >= 500) return { ok: false, errorClass: '5xx', message };
  return { ok: false, errorClass: '4xx', message, auth: res.status === 401 };
}

export default defineConnectorApp({
  app: 'airtable',
  verdict: airtableVerdict,
  test: { request: { method: 'GET', path: '/v0/meta/whoami' }, describe: (res) => `authenticated as ${String((res.json as { id?: unknown }).id ?? '?')}` },
  failureModes: [
    { name: 'rate_limited', description: 'HTTP 429 RATE_LIMIT_REACHED (wait 30 s)', status: 429, body: { errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }] }, expect: 'retried' },
    { name: 'unknown_field', description: 'HTTP 422 UNKNOWN_FIELD_NAME', status: 422, body: { error: { type: 'UNKNOWN_FIELD_NAME', message: 'Unknown field name: "Nmae"' } }, expect: 'final' },
  ],
  drillSuccess: { status: 200, body: { id: 'recDRILL000000000', createdTime: '2026-01-01T00:00:00.000Z', fields: {} } },
});
