// Slack incoming webhooks (https://api.slack.com/messaging/webhooks): POST JSON to
// https://hooks.slack.com/services/T…/B…/…; the URL's tail is the credential. Answers are text: 200
// "ok", or an error code with a status — 400 invalid_payload / user_not_found, 403 action_prohibited,
// 404 channel_not_found / no_service, 410 channel_is_archived, 429 with Retry-After, 500 rollup_error.
import { defineConnectorApp, retryAfterOf, type VendorAnswer, type Verdict } from './define.ts';

export function webhookVerdict(res: VendorAnswer, nowMs: number): Verdict {
  const text = res.text.trim();
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const message = text.slice(0, 200) || `HTTP ${res.status}`;
  if (res.status === 429) return { ok: false, errorClass: '429', message, retryAfterMs: retryAfterOf(res, nowMs) };
  if (res.status >= 500) return { ok: false, errorClass: '5xx', message };
  return { ok: false, errorClass: '4xx', message };
}

export default defineConnectorApp({
  app: 'slack-webhook',
  verdict: webhookVerdict,
  test: {
    request: { method: 'POST', path: '/services/{credential}', json: { text: 'Flowdesk: this webhook works.' } },
    describe: () => 'a test message was posted to the webhook\'s channel',
  },
  failureModes: [
    { name: 'ratelimited', description: 'HTTP 429 with Retry-After: 30', status: 429, headers: { 'retry-after': '30' }, body: 'rate_limited', expect: 'retried' },
    { name: 'channel_not_found', description: 'HTTP 404 channel_not_found', status: 404, body: 'channel_not_found', expect: 'final' },
  ],
  drillSuccess: { status: 200, body: 'ok' },
});
