// auth.type "calendly": Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
// with the signing key, 3 minutes of tolerance (Calendly's documented algorithm; no verifier on npm).
// Calendly sends no event id: the default key is the event name with the payload's resource URI
// (one invitee is created once and cancelled once), kept 2 days (Calendly retries for 24 hours).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { TestRuntime } from '../../support/runtime.ts';
import { hookFlow, presetCases, send, startWith, unixNow } from '../support.ts';

const SECRET = 'calendly-signing-key';
const sign = (body: string, secret: string, t: number) => ({ 'calendly-webhook-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex')}` });
const invitee = (n: number, event = 'invitee.created') =>
  JSON.stringify({
    event,
    created_at: '2026-03-02T09:00:00.000000Z',
    created_by: 'https://api.calendly.com/users/AAAAAAAAAAAAAAAA',
    payload: { uri: `https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/INVITEE${n}`, email: `guest${n}@example.com`, name: `Guest ${n}` },
  });

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startWith([hookFlow('cal', { auth: { type: 'calendly', secret: 'CALENDLY_HOOK' } })], { FLOWDESK_SECRET_CALENDLY_HOOK: SECRET });
});
afterAll(async () => rt?.dispose());

describe('calendly preset', () => {
  presetCases({
    id: 'cal',
    rt: () => rt,
    secret: SECRET,
    event: (n) => ({ body: invitee(n), contentType: 'application/json', id: `invitees/INVITEE${n}` }),
    sign,
    signatureHeaders: ['Calendly-Webhook-Signature'],
    toleranceSeconds: 180,
  });

  it('the same invitee cancelled is another event; a v1 among several (key rotation) is enough', async () => {
    const created = invitee(40);
    const cancelled = invitee(40, 'invitee.canceled');
    const t = unixNow(rt);
    const a = await send(rt, '/hooks/cal', created, { 'content-type': 'application/json', ...sign(created, SECRET, t) });
    const rotated = `t=${t},v1=${'0'.repeat(64)},v1=${createHmac('sha256', SECRET).update(`${t}.${cancelled}`).digest('hex')}`;
    const b = await send(rt, '/hooks/cal', cancelled, { 'content-type': 'application/json', 'calendly-webhook-signature': rotated });
    expect([a.status, b.status]).toEqual([202, 202]);
    const run = (await rt.get(`/api/runs/${b.body.runId}`)).body;
    expect(run.idempotencyKey).toBe('invitee.canceled https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/INVITEE40');
  });
});
