// Google Sheets API v4 (https://developers.google.com/workspace/sheets/api/reference/rest):
// `Authorization: Bearer <OAuth2 access token>`, JSON bodies. Errors use Google's envelope
// `{error: {code, message, status, details?}}`: 400 INVALID_ARGUMENT (e.g. "Unable to parse range"),
// 401 UNAUTHENTICATED (token expired or revoked: refreshed once), 403 PERMISSION_DENIED (the sheet is not
// shared with the account), 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED (per-minute quota; retried on the
// step's schedule or its Retry-After), 500/503 (retried).
import { defineConnectorApp, retryAfterOf, type VendorAnswer, type Verdict } from './define.ts';

export function googleVerdict(res: VendorAnswer, nowMs: number): Verdict {
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const e = ((res.json as { error?: unknown } | undefined)?.error ?? {}) as { status?: unknown; message?: unknown };
  const message = `${typeof e.status === 'string' ? `${e.status}: ` : ''}${typeof e.message === 'string' ? e.message : res.text.trim().slice(0, 300) || `HTTP ${res.status}`}`;
  if (res.status === 429) return { ok: false, errorClass: '429', message, retryAfterMs: retryAfterOf(res, nowMs) };
  if (res.status >= 500) return { ok: false, errorClass: '5xx', message, retryAfterMs: res.status === 503 ? retryAfterOf(res, nowMs) : undefined };
  return { ok: false, errorClass: '4xx', message, auth: res.status === 401 };
}

/** A1 ranges go into the path as one segment (sheet names may hold spaces, `!` and `'`). */
export const rangeSegment = (range: string) => encodeURIComponent(range);

export default defineConnectorApp({
  app: 'sheets',
  verdict: googleVerdict,
  test: {
    // a read of a spreadsheet that does not exist: Google answers 404 only to a valid token (401 otherwise)
    request: { method: 'GET', path: '/v4/spreadsheets/flowdesk-connection-test', query: { fields: 'spreadsheetId' } },
    accept: (res) => res.status === 404,
    describe: () => 'Google accepted the token',
  },
  failureModes: [
    {
      name: 'quota',
      description: 'HTTP 429 RESOURCE_EXHAUSTED (write requests per minute)',
      status: 429,
      body: { error: { code: 429, message: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.", status: 'RESOURCE_EXHAUSTED' } },
      expect: 'retried',
    },
    { name: 'permission_denied', description: 'HTTP 403 PERMISSION_DENIED (sheet not shared)', status: 403, body: { error: { code: 403, message: 'The caller does not have permission', status: 'PERMISSION_DENIED' } }, expect: 'final' },
    { name: 'unavailable', description: 'HTTP 503 UNAVAILABLE', status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } }, expect: 'retried' },
  ],
  drillSuccess: { status: 200, body: { spreadsheetId: 'drill', updates: { spreadsheetId: 'drill', updatedRange: 'Sheet1!A2:B2', updatedRows: 1, updatedCells: 2 }, updatedRange: 'Sheet1!A2:B2', updatedCells: 2 } },
});
