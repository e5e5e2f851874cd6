// auth.type "twilio": X-Twilio-Signature = base64 HMAC-SHA1 (auth token) of the URL Twilio called —
// FLOWDESK_PUBLIC_URL + path + query — followed by the form fields sorted by name, signed here with
// Twilio's own library (twilio's getExpectedTwilioSignature, checked by its validateRequest); Twilio's
// published example. The default key is I-Twilio-Idempotency-Token (kept on Twilio's retries), 1 day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { createHash } from 'node:crypto';
import { verifyTwilio } from '../../../apps/runtime/src/security/signature-presets.ts';
import type { TestRuntime } from '../../support/runtime.ts';
import { hookFlow, presetCases, send, startWith } from '../support.ts';

const TOKEN = 'twilio-auth-token-0123456789abcdef';
const PUBLIC = 'https://flows.example.com';
const PATH = '/hooks/sms?src=twilio';
const params = (body: string) => Object.fromEntries(new URLSearchParams(body));
const sign = (body: string, secret: string, path = '/hooks/sms') => {
  const signature = twilio.getExpectedTwilioSignature(secret, PUBLIC + path, params(body));
  // the signer and Twilio's own validator agree, so the test signs what Twilio would
  expect(twilio.validateRequest(secret, signature, PUBLIC + path, params(body))).toBe(true);
  return { 'x-twilio-signature': signature };
};
const sms = (n: number) => `MessageSid=SM${'0'.repeat(30)}${n}&AccountSid=AC${'1'.repeat(32)}&From=%2B1415555010${n}&To=%2B18005551212&Body=Hello+${n}&NumMedia=0`;

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startWith([hookFlow('sms', { auth: { type: 'twilio', secret: 'TWILIO_TOKEN' } })], { FLOWDESK_SECRET_TWILIO_TOKEN: TOKEN, FLOWDESK_PUBLIC_URL: `${PUBLIC}/` });
});
afterAll(async () => rt?.dispose());

describe('twilio preset', () => {
  const post = (body: string, headers: Record<string, string>, path = PATH) => send(rt, path, body, { 'content-type': 'application/x-www-form-urlencoded', ...headers });

  presetCases({
    id: 'sms',
    rt: () => rt,
    secret: TOKEN,
    event: (n) => ({ body: sms(n), contentType: 'application/x-www-form-urlencoded', id: `idem-${n}`, headers: { 'i-twilio-idempotency-token': `idem-${n}` } }),
    sign: (body, secret) => sign(body, secret),
    signatureHeaders: ['X-Twilio-Signature'],
  });

  it("verifies Twilio's published example and refuses it changed", () => {
    // twilio.com/docs/usage/webhooks/webhooks-security, "Explore the algorithm yourself"
    const body = 'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212';
    const req = (b: string, url = '/myapp.php?foo=1&bar=2') => ({ rawBody: Buffer.from(b), headers: { 'x-twilio-signature': '0/KCTR6DLpKmkAf8muzZqo1nDgQ=' }, url, publicUrl: 'https://mycompany.com' });
    expect(verifyTwilio(req(body), '12345')).toEqual({ ok: true });
    expect(verifyTwilio(req(body.replace('1234&', '9999&')), '12345')).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verifyTwilio(req(body, '/myapp.php?foo=1&bar=3'), '12345')).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('the signature covers the query string and the public URL: another query is refused', async () => {
    const body = sms(20);
    const headers = { ...sign(body, TOKEN, PATH), 'i-twilio-idempotency-token': 'idem-20' };
    expect((await post(body, headers, '/hooks/sms?src=other')).status).toBe(401);
    const ok = await post(body, headers);
    expect(ok.status, ok.text).toBe(202);
    const run = (await rt.get(`/api/runs/${ok.body.runId}`)).body;
    expect(run.payload).toMatchObject({ From: '+141555501020', Body: 'Hello 20', NumMedia: '0' });
  });

  it('JSON bodies are signed through bodySHA256 in the URL', async () => {
    const body = JSON.stringify({ MessageSid: 'SMjson', Body: 'hi' });
    const path = `/hooks/sms?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    const signature = twilio.getExpectedTwilioSignature(TOKEN, PUBLIC + path, {});
    expect(twilio.validateRequestWithBody(TOKEN, signature, PUBLIC + path, body)).toBe(true);
    const res = await send(rt, path, body, { 'content-type': 'application/json', 'x-twilio-signature': signature });
    expect(res.status, res.text).toBe(202);
    const tampered = await send(rt, path, body.replace('hi', 'ho'), { 'content-type': 'application/json', 'x-twilio-signature': signature });
    expect(tampered.status).toBe(401);
    expect(tampered.body.error).toBe('bodySHA256 does not match the body');
  });

  it('without FLOWDESK_PUBLIC_URL every Twilio request is refused, naming the setting', async () => {
    const bare = await startWith([hookFlow('sms', { auth: { type: 'twilio', secret: 'TWILIO_TOKEN' } })], { FLOWDESK_SECRET_TWILIO_TOKEN: TOKEN });
    try {
      const body = sms(30);
      const res = await send(bare, PATH, body, { 'content-type': 'application/x-www-form-urlencoded', ...sign(body, TOKEN, PATH) });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatch(/FLOWDESK_PUBLIC_URL/);
    } finally {
      await bare.dispose();
    }
  });
});
