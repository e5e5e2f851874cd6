// Telegram's Bot API (https://core.telegram.org/bots/api): POST https://api.telegram.org/bot<token>/<method>
// with a JSON body; every answer is `{ok: true, result}` or `{ok: false, error_code, description,
// parameters?}`. A flood limit is 429 "Too Many Requests: retry after N" with `parameters.retry_after`
// (seconds); 400 (chat not found, text empty), 401 Unauthorized and 403 (bot blocked or kicked) are final.
import { defineConnectorApp, retryAfterOf, type VendorAnswer, type Verdict } from './define.ts';

export function telegramVerdict(res: VendorAnswer, nowMs: number): Verdict {
  const b = (res.json ?? {}) as { ok?: unknown; description?: unknown; parameters?: { retry_after?: unknown } };
  if (res.status >= 200 && res.status < 300 && b.ok === true) return { ok: true };
  const message = typeof b.description === 'string' ? b.description : res.text.trim().slice(0, 300) || `HTTP ${res.status}`;
  if (res.status === 429) {
    const s = Number(b.parameters?.retry_after);
    return { ok: false, errorClass: '429', message, retryAfterMs: Number.isFinite(s) && s >= 0 ? s * 1000 : retryAfterOf(res, nowMs) };
  }
  if (res.status >= 500) return { ok: false, errorClass: '5xx', message };
  return { ok: false, errorClass: '4xx', message };
}

export default defineConnectorApp({
  app: 'telegram',
  verdict: telegramVerdict,
  test: { request: { method: 'POST', path: '/bot{credential}/getMe' }, describe: (res) => `the bot @${String((res.json as { result?: { username?: unknown } }).result?.username ?? '?')}` },
  failureModes: [
    { name: 'flood', description: 'HTTP 429 Too Many Requests: retry after 5', status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 5', parameters: { retry_after: 5 } }, expect: 'retried' },
    { name: 'blocked', description: 'HTTP 403 Forbidden: bot was blocked by the user', status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }, expect: 'final' },
  ],
  drillSuccess: { status: 200, body: { ok: true, result: { message_id: 1, chat: { id: 1, type: 'private' }, date: 1700000000, text: 'drill' } } },
});
