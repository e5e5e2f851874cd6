// Notion's API (https://developers.notion.com/reference): `Authorization: Bearer <secret>` and a
// required `Notion-Version` header, JSON bodies. Errors are `{object: "error", status, code, message}`:
// 400 validation_error / invalid_json, 401 unauthorized, 403 restricted_resource, 404 object_not_found
// (also when the database is not shared with the integration), 409 conflict_error (retryable, Notion
// says), 429 rate_limited with Retry-After (seconds), 500 internal_server_error, 502/503/504.
import { defineConnectorApp, retryAfterOf, type VendorAnswer, type Verdict } from './define.ts';

/** The API version Flowdesk's requests and output mapping are written against. */
export const NOTION_VERSION = '2022-06-28';

export function notionVerdict(res: VendorAnswer, nowMs: number): Verdict {
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const b = (res.json ?? {}) as { code?: unknown; message?: unknown };
  const message = `${typeof b.code === 'string' ? `${b.code}: ` : ''}${typeof b.message === 'string' ? b.message : res.text.trim().slice(0, 300) || `HTTP ${res.status}`}`;
  if (res.status === 429) return { ok: false, errorClass: '429', message, retryAfterMs: retryAfterOf(res, nowMs) };
  if (res.status >= 500 || b.code === 'conflict_error') return { ok: false, errorClass: '5xx', message };
  return { ok: false, errorClass: '4xx', message, auth: res.status === 401 };
}

export default defineConnectorApp({
  app: 'notion',
  verdict: notionVerdict,
  test: { request: { method: 'GET', path: '/v1/users/me', headers: { 'Notion-Version': NOTION_VERSION } }, describe: (res) => `authenticated as ${String((res.json as { name?: unknown }).name ?? 'the integration')}` },
  failureModes: [
    { name: 'rate_limited', description: 'HTTP 429 rate_limited with Retry-After: 2', status: 429, headers: { 'retry-after': '2' }, body: { object: 'error', status: 429, code: 'rate_limited', message: 'You have been rate limited. Please try again in a few minutes.' }, expect: 'retried' },
    { name: 'object_not_found', description: 'HTTP 404 object_not_found (database not shared)', status: 404, body: { object: 'error', status: 404, code: 'object_not_found', message: 'Could not find database. Make sure the relevant pages and databases are shared with your integration.' }, expect: 'final' },
  ],
  drillSuccess: { status: 200, body: { object: 'page', id: '00000000-0000-0000-0000-000000000000', url: 'https://www.notion.so/drill' } },
});
