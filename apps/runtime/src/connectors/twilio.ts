// Twilio's REST API (https://www.twilio.com/docs/usage/api): HTTP Basic with the Account SID and Auth
// Token (or an API key SID and secret), form-encoded bodies with capitalised names (To, From, Body),
// JSON answers. Errors are `{code, message, more_info, status}`: 400 (e.g. 21211 invalid To, 21610
// unsubscribed recipient), 401 (20003 Authenticate), 404 (20404), 429 (20429 Too Many Requests), 5xx.
import { defineConnectorApp, retryAfterOf, type VendorAnswer, type Verdict } from './define.ts';

export function twilioVerdict(res: VendorAnswer, nowMs: number): Verdict {
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const b = (res.json ?? {}) as { code?: unknown; message?: unknown; more_info?: unknown };
  const message = `${typeof b.code === 'number' ? `${b.code}: ` : ''}${typeof b.message === 'string' ? b.message : res.text.trim().slice(0, 300) || `HTTP ${res.status}`}${typeof b.more_info === 'string' ? ` (${b.more_info})` : ''}`;
  if (res.status === 429) return { ok: false, errorClass: '429', message, retryAfterMs: retryAfterOf(res, nowMs) };
  if (res.status >= 500) return { ok: false, errorClass: '5xx', message };
  return { ok: false, errorClass: '4xx', message };
}

export default defineConnectorApp({
  app: 'twilio',
  verdict: twilioVerdict,
  // lists accounts the credential can see: proves it without sending anything
  test: { request: { method: 'GET', path: '/2010-04-01/Accounts.json', query: { PageSize: 1 } }, describe: () => 'Twilio accepted the credential' },
  failureModes: [
    { name: 'too_many_requests', description: 'HTTP 429 code 20429', status: 429, body: { code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 }, expect: 'retried' },
    { name: 'invalid_to', description: 'HTTP 400 code 21211 (invalid To number)', status: 400, body: { code: 21211, message: "Invalid 'To' Phone Number: +1555", more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 }, expect: 'final' },
  ],
  drillSuccess: { status: 201, body: { sid: 'SM00000000000000000000000000000000', status: 'queued' } },
});
