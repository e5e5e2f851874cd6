// Slack's Web API (https://api.slack.com/web): every method answers HTTP 200 with `{ok: true, …}` or
// `{ok: false, error: "<code>"}`; rate limits are HTTP 429 with Retry-After (seconds) and
// `{ok: false, error: "ratelimited"}`. Auth is `Authorization: Bearer xoxb-…`.
import { defineConnectorApp, retryAfterOf, type VendorAnswer, type Verdict } from './define.ts';

/** Slack's codes that mean "try again later". */
const RETRYABLE = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);
/** Slack's codes that mean the token itself was refused. */
const AUTH = new Set(['invalid_auth', 'not_authed', 'token_expired', 'token_revoked', 'account_inactive']);

export function slackVerdict(res: VendorAnswer, nowMs: number): Verdict {
  const body = (res.json ?? {}) as { ok?: unknown; error?: unknown; response_metadata?: { messages?: unknown } };
  if (res.status >= 200 && res.status < 300 && body.ok === true) return { ok: true };
  const code = typeof body.error === 'string' ? body.error : undefined;
  const details = Array.isArray(body.response_metadata?.messages) ? ` (${(body.response_metadata!.messages as unknown[]).filter((m) => typeof m === 'string').join('; ')})` : '';
  const message = `${code ?? `HTTP ${res.status}`}${details}`;
  if (res.status === 429 || code === 'ratelimited') return { ok: false, errorClass: '429', message, retryAfterMs: retryAfterOf(res, nowMs) };
  if (res.status >= 500 || (code && RETRYABLE.has(code))) return { ok: false, errorClass: '5xx', message };
  if (code && AUTH.has(code)) return { ok: false, errorClass: '4xx', message, auth: true };
  if (res.status === 401) return { ok: false, errorClass: '4xx', message, auth: true };
  return { ok: false, errorClass: '4xx', message };
}

export default defineConnectorApp({
  app: 'slack',
  verdict: slackVerdict,
  test: {
    request: { method: 'POST', path: '/api/auth.test' },
    describe: (res) => {
      const b = res.json as { team?: string; user?: string };
      return `authenticated as ${b.user ?? '?'} in ${b.team ?? '?'}`;
    },
  },
  failureModes: [
    { name: 'ratelimited', description: 'HTTP 429 ratelimited with Retry-After: 30', status: 429, headers: { 'retry-after': '30' }, body: { ok: false, error: 'ratelimited' }, expect: 'retried' },
    { name: 'internal_error', description: 'HTTP 200 {ok:false, error:"internal_error"}', status: 200, body: { ok: false, error: 'internal_error' }, expect: 'retried' },
    { name: 'channel_not_found', description: 'HTTP 200 {ok:false, error:"channel_not_found"}', status: 200, body: { ok: false, error: 'channel_not_found' }, expect: 'final' },
  ],
  drillSuccess: { status: 200, body: { ok: true, channel: 'C0DRILL', ts: '1700000000.000100' } },
});
