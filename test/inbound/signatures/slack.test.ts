// auth.type "slack": X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw
// body>"> with the signing secret, 5 minutes of tolerance (Slack's documented algorithm; Slack's npm
// verifier lives inside @slack/bolt). Slack's published example; the url_verification challenge is
// answered so the Request URL can be registered; the default key is event_id (Events API) or a slash
// command's trigger_id, kept a day (Slack retries 3 times within minutes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { verifySlack } from '../../../apps/runtime/src/security/signature-presets.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { hookFlow, presetCases, runsOf, send, startWith, unixNow } from '../support.ts';

const SECRET = 'slack-signing-secret';
const sign = (body: string, secret: string, t: number) => ({
  'x-slack-request-timestamp': String(t),
  'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${t}:${body}`, 'utf8').digest('hex')}`,
});

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startWith([hookFlow('slack', { auth: { type: 'slack', secret: 'SLACK_HOOK' } })], { FLOWDESK_SECRET_SLACK_HOOK: SECRET });
});
afterAll(async () => rt?.dispose());

describe('slack preset', () => {
  presetCases({
    id: 'slack',
    rt: () => rt,
    secret: SECRET,
    event: (n) => ({
      body: JSON.stringify({ type: 'event_callback', team_id: 'T1DC2JH3J', event_id: `Ev0PV52K2${n}`, event: { type: 'message', text: `hello ${n}`, channel: 'C2147483705' } }),
      contentType: 'application/json',
      id: `Ev0PV52K2${n}`,
    }),
    sign,
    signatureHeaders: ['X-Slack-Signature', 'X-Slack-Request-Timestamp'],
    toleranceSeconds: 300,
  });

  it("verifies Slack's published example (a slash command) and refuses it changed", () => {
    // docs.slack.dev, "Verifying requests from Slack"
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = { 'x-slack-request-timestamp': '1531420618', 'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' };
    const at = 1531420618 * 1000;
    expect(verifySlack({ rawBody: Buffer.from(body), headers }, '8f742231b10e8888abcd99yyyzzz85a5', at)).toEqual({ ok: true });
    expect(verifySlack({ rawBody: Buffer.from(body.replace('roadrunner', 'coyote')), headers }, '8f742231b10e8888abcd99yyyzzz85a5', at)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verifySlack({ rawBody: Buffer.from(body), headers }, '8f742231b10e8888abcd99yyyzzz85a5', at + 301_000)).toMatchObject({ ok: false, reason: 'timestamp outside the 5 minute tolerance' });
  });

  it("answers Slack's url_verification challenge, signed, without starting a run; unsigned it is refused", async () => {
    const before = (await runsOf(rt, 'slack')).length;
    const body = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const ok = await send(rt, '/hooks/slack', body, { 'content-type': 'application/json', ...sign(body, SECRET, unixNow(rt)) });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    const forged = await send(rt, '/hooks/slack', body, { 'content-type': 'application/json', ...sign(body, 'guess', unixNow(rt)) });
    expect(forged.status).toBe(401);
    expect((await runsOf(rt, 'slack')).length).toBe(before);
  });

  it('a slash command (a form post) is verified on its raw body and keyed by trigger_id', async () => {
    const body = 'command=%2Flead&text=ada%40example.com&user_id=U2CERLKJA&trigger_id=13345224609.738474920.8088930838d88f008e0';
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...sign(body, SECRET, unixNow(rt)) };
    const a = await send(rt, '/hooks/slack', body, headers);
    expect(a.status).toBe(202);
    const run = (await rt.get(`/api/runs/${a.body.runId}`)).body;
    expect(run.payload).toMatchObject({ command: '/lead', text: 'ada@example.com' });
    expect(run.idempotencyKey).toBe('13345224609.738474920.8088930838d88f008e0');
    expect((await send(rt, '/hooks/slack', body, headers)).body).toMatchObject({ duplicate: true, runId: a.body.runId });
  });
});
