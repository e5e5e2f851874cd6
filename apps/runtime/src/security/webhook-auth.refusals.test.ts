// Every way a webhook signature is refused, each with its reason, and the edges of what is accepted
// (header spelling, whitespace, the exact tolerance, rotated and malformed signature lists). Signatures
// are made by the real standardwebhooks and stripe packages.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { Auth } from '@flowdesk/schema';
import { headerValue, verifyWebhook, type WebhookRequest } from './webhook-auth.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const body = Buffer.from(JSON.stringify({ email: 'ada@example.com', budget: 9000 }));
const verify = (auth: Auth, headers: WebhookRequest['headers'], secrets: Record<string, string>, now = NOW, raw = body) => verifyWebhook(auth, { rawBody: raw, headers }, (n) => secrets[n], now);
const refused = (reason: string) => ({ ok: false, reason });
const OK = { ok: true };

describe('any auth', () => {
  it('an empty or missing secret is "not configured", never a match', () => {
    const auth: Auth = { type: 'token', secret: 'HOOK' };
    expect(verify(auth, { 'x-flowdesk-token': '' }, { HOOK: '' })).toEqual(refused('secret HOOK is not configured'));
    expect(verify(auth, { 'x-flowdesk-token': '' }, {})).toEqual(refused('secret HOOK is not configured'));
  });
  it('an unknown auth type is refused, naming it', () => {
    expect(verify({ type: 'carrier-pigeon', secret: 'HOOK' } as unknown as Auth, {}, { HOOK: 'x' })).toEqual(refused('unknown auth type carrier-pigeon'));
  });
});

describe('headerValue', () => {
  it('finds a header whatever the case of its name, and takes the first of repeated values', () => {
    expect(headerValue({ 'X-Flowdesk-Token': 'a' }, 'x-flowdesk-token')).toBe('a');
    expect(headerValue({ 'x-flowdesk-token': 'a', 'X-FLOWDESK-TOKEN': 'b' }, 'X-Flowdesk-Token')).toBe('a');
    expect(headerValue({ 'x-other': 'a' }, 'x-flowdesk-token')).toBeUndefined();
    expect(headerValue({ 'x-flowdesk-token': ['first', 'second'] }, 'x-flowdesk-token')).toBe('first');
    expect(headerValue({ 'x-n': 7 as unknown as string }, 'x-n')).toBe('7');
  });
});

describe('token', () => {
  const auth: Auth = { type: 'token', secret: 'HOOK' };
  const secrets = { HOOK: 's3cret-token' };
  it('the named header wins over Authorization', () => {
    expect(verify(auth, { 'x-flowdesk-token': 's3cret-token', authorization: 'Bearer wrong' }, secrets)).toEqual(OK);
    expect(verify(auth, { 'x-flowdesk-token': 'wrong', authorization: 'Bearer s3cret-token' }, secrets)).toEqual(refused('token mismatch'));
  });
  it('a repeated header: the first value counts', () => {
    expect(verify(auth, { 'x-flowdesk-token': ['s3cret-token', 'x'] }, secrets)).toEqual(OK);
    expect(verify(auth, { 'x-flowdesk-token': ['x', 's3cret-token'] }, secrets)).toEqual(refused('token mismatch'));
  });
  it('Bearer: any case, any spacing, surrounding whitespace trimmed; nothing else is a bearer', () => {
    for (const v of ['Bearer s3cret-token', 'bearer s3cret-token', 'Bearer   s3cret-token', '  Bearer s3cret-token  ']) expect(verify(auth, { authorization: v }, secrets)).toEqual(OK);
    const missing = refused('missing x-flowdesk-token header (or Authorization: Bearer)');
    for (const v of ['Basic s3cret-token', 'Token Bearer s3cret-token', 'Bearers3cret-token', 'Bearer ']) expect(verify(auth, { authorization: v }, secrets)).toEqual(missing);
    expect(verify(auth, { authorization: 'Bearer s3cret-token\nX-Other: 1' }, secrets)).toEqual(missing);
  });
});

describe('hmac (Standard Webhooks)', () => {
  const raw = randomBytes(24).toString('base64');
  const secret = `whsec_${raw}`;
  const auth: Auth = { type: 'hmac', secret: 'HOOK' };
  const sign = (atMs: number, id = 'msg_1', s = secret) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(atMs / 1000)),
    'webhook-signature': new Webhook(s).sign(id, new Date(atMs), body),
  });
  const v1 = (h: Record<string, string>) => h['webhook-signature'];

  it('names each missing header', () => {
    const h = sign(NOW);
    const without = (name: string) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== name));
    expect(verify(auth, without('webhook-id'), { HOOK: secret })).toEqual(refused('missing webhook-id header'));
    expect(verify(auth, without('webhook-timestamp'), { HOOK: secret })).toEqual(refused('missing webhook-timestamp header'));
    expect(verify(auth, without('webhook-signature'), { HOOK: secret })).toEqual(refused('missing webhook-signature header'));
  });
  it('a timestamp that is not 1–12 digits is invalid (not "out of tolerance")', () => {
    const ts = String(NOW / 1000);
    for (const bad of ['abc', `x${ts}`, `${ts}x`, `${ts}.5`, '1234567890123', `-${ts}`]) {
      expect(verify(auth, { ...sign(NOW), 'webhook-timestamp': bad }, { HOOK: secret })).toEqual(refused('invalid webhook-timestamp header'));
    }
  });
  it('the tolerance is ±300 s inclusive', () => {
    expect(verify(auth, sign(NOW - 300_000), { HOOK: secret })).toEqual(OK);
    expect(verify(auth, sign(NOW + 300_000), { HOOK: secret })).toEqual(OK);
    expect(verify(auth, sign(NOW - 301_000), { HOOK: secret })).toEqual(refused('timestamp outside the 5 minute tolerance'));
    expect(verify(auth, sign(NOW + 301_000), { HOOK: secret })).toEqual(refused('timestamp outside the 5 minute tolerance'));
  });
  it('a secret given without its whsec_ prefix is the same key; an empty one is refused as a secret', () => {
    expect(verify(auth, sign(NOW), { HOOK: raw })).toEqual(OK);
    expect(verify(auth, sign(NOW), { HOOK: 'whsec_' })).toEqual(refused('the configured hmac secret is not a whsec_ base64 secret'));
  });
  it('signature lists: other versions, entries without a comma and short signatures are skipped, never thrown on', () => {
    const h = sign(NOW);
    expect(verify(auth, { ...h, 'webhook-signature': `garbage v2,${v1(h).slice(3)} ${v1(h)}` }, { HOOK: secret })).toEqual(OK);
    expect(verify(auth, { ...h, 'webhook-signature': 'v1,AAAA' }, { HOOK: secret })).toEqual(refused('signature mismatch'));
    expect(verify(auth, { ...h, 'webhook-signature': `v1,AAAA ${v1(h)}` }, { HOOK: secret })).toEqual(OK);
    expect(verify(auth, { ...h, 'webhook-signature': `v2,${v1(h).slice(3)}` }, { HOOK: secret })).toEqual(refused('signature mismatch'));
  });
});

describe('stripe (Stripe-Signature)', () => {
  const stripe = new Stripe('sk_test_flowdesk');
  const secret = 'whsec_' + randomBytes(16).toString('hex');
  const auth: Auth = { type: 'stripe', secret: 'HOOK' };
  const header = (atMs: number, s = secret) => stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret: s, timestamp: Math.floor(atMs / 1000) });
  const sigOf = (h: string) => /v1=([0-9a-f]+)/.exec(h)![1]!;
  const ts = Math.floor(NOW / 1000);
  const check = (h: string) => verify(auth, { 'stripe-signature': h }, { HOOK: secret });

  it('accepts spaces around the parts, and ignores parts it does not know or cannot parse', () => {
    expect(check(`t=${ts}, v1=${sigOf(header(NOW))}`)).toEqual(OK);
    expect(check(` t = ${ts} ,v1= ${sigOf(header(NOW))} `)).toEqual(OK);
    expect(check(`junk,t=${ts},=x,v1=${sigOf(header(NOW))},tX`)).toEqual(OK);
  });
  it('the signature must be under v1: the same one under v0 is not accepted', () => {
    expect(check(`t=${ts},v0=${sigOf(header(NOW))}`)).toEqual(refused('stripe-signature header has no v1 signature'));
  });
  it('names a missing or malformed timestamp, and a header without v1', () => {
    const sig = sigOf(header(NOW));
    expect(check(`v1=${sig}`)).toEqual(refused('stripe-signature header has no valid timestamp'));
    for (const bad of ['abc', `x${ts}`, `${ts}x`, '1234567890123', '']) expect(check(`t=${bad},v1=${sig}`)).toEqual(refused('stripe-signature header has no valid timestamp'));
    expect(check(`t=${ts}`)).toEqual(refused('stripe-signature header has no v1 signature'));
  });
  it('a v1 that is not all hex, or of another length, is skipped — never thrown on, never a prefix match', () => {
    const sig = sigOf(header(NOW));
    expect(check(`t=${ts},v1=${sig}zz`)).toEqual(refused('signature mismatch'));
    expect(check(`t=${ts},v1=abcd`)).toEqual(refused('signature mismatch'));
    expect(check(`t=${ts},v1=abcd,v1=${sig}`)).toEqual(OK);
    expect(check(`t=${ts},v1=${sig.slice(0, -2)}${sig.endsWith('00') ? '11' : '00'}`)).toEqual(refused('signature mismatch'));
  });
  it('the tolerance is ±300 s inclusive', () => {
    expect(check(header(NOW - 300_000))).toEqual(OK);
    expect(check(header(NOW + 300_000))).toEqual(OK);
    expect(check(header(NOW - 301_000))).toEqual(refused('timestamp outside the 5 minute tolerance'));
    expect(check(header(NOW + 301_000))).toEqual(refused('timestamp outside the 5 minute tolerance'));
  });
});
