import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, type SecretLookup } from './webhook-auth.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const body = Buffer.from(JSON.stringify({ email: 'ada@example.com', budget: 9000 }));
const whsec = () => 'whsec_' + randomBytes(24).toString('base64');
const lookup =
  (map: Record<string, string>): SecretLookup =>
  (name) =>
    map[name];

describe('verifyWebhook: none', () => {
  it('accepts anything', () => {
    expect(verifyWebhook({ type: 'none' }, { rawBody: body, headers: {} }, lookup({}), NOW)).toEqual({ ok: true });
  });
});

describe('verifyWebhook: token', () => {
  const secrets = lookup({ LEADS_HOOK: 's3cret-token-value' });
  const auth = { type: 'token' as const, secret: 'LEADS_HOOK' };

  it('accepts the default header and a bearer', () => {
    expect(verifyWebhook(auth, { rawBody: body, headers: { 'x-flowdesk-token': 's3cret-token-value' } }, secrets, NOW)).toEqual({ ok: true });
    expect(verifyWebhook(auth, { rawBody: body, headers: { authorization: 'Bearer s3cret-token-value' } }, secrets, NOW)).toEqual({ ok: true });
  });
  it('accepts a custom header, case-insensitively', () => {
    const custom = { ...auth, header: 'X-Leads-Key' };
    expect(verifyWebhook(custom, { rawBody: body, headers: { 'x-leads-key': 's3cret-token-value' } }, secrets, NOW)).toEqual({ ok: true });
  });
  it('refuses a wrong token', () => {
    const r = verifyWebhook(auth, { rawBody: body, headers: { 'x-flowdesk-token': 's3cret-token-valuX' } }, secrets, NOW);
    expect(r).toEqual({ ok: false, reason: 'token mismatch' });
    const r2 = verifyWebhook(auth, { rawBody: body, headers: { authorization: 'Bearer nope' } }, secrets, NOW);
    expect(r2.ok).toBe(false);
  });
  it('refuses a missing token', () => {
    const r = verifyWebhook(auth, { rawBody: body, headers: {} }, secrets, NOW);
    expect(r).toEqual({ ok: false, reason: 'missing x-flowdesk-token header (or Authorization: Bearer)' });
  });
  it('names a secret that is not configured', () => {
    const r = verifyWebhook(auth, { rawBody: body, headers: { 'x-flowdesk-token': 'x' } }, lookup({}), NOW);
    expect(r).toEqual({ ok: false, reason: 'secret LEADS_HOOK is not configured' });
  });
});

describe('verifyWebhook: hmac (Standard Webhooks, signed by the standardwebhooks package)', () => {
  const secret = whsec();
  const secrets = lookup({ LEADS_HOOK: secret });
  const auth = { type: 'hmac' as const, secret: 'LEADS_HOOK' };
  const sign = (s: string, payload: Buffer, atMs: number, id = 'msg_2Lh9KRb0pzN4LePd3XiA4ivG3D0') => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(atMs / 1000)),
    'webhook-signature': new Webhook(s).sign(id, new Date(atMs), payload),
  });

  it('accepts a valid signature (and one within the tolerance)', () => {
    expect(verifyWebhook(auth, { rawBody: body, headers: sign(secret, body, NOW) }, secrets, NOW)).toEqual({ ok: true });
    expect(verifyWebhook(auth, { rawBody: body, headers: sign(secret, body, NOW - 4 * 60_000) }, secrets, NOW)).toEqual({ ok: true });
  });
  it('refuses a tampered body', () => {
    const headers = sign(secret, body, NOW);
    const tampered = Buffer.from(body.toString().replace('9000', '9001'));
    expect(verifyWebhook(auth, { rawBody: tampered, headers }, secrets, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
  });
  it('refuses a tampered webhook-id', () => {
    const headers = { ...sign(secret, body, NOW), 'webhook-id': 'msg_other' };
    expect(verifyWebhook(auth, { rawBody: body, headers }, secrets, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
  });
  it('refuses a wrong secret', () => {
    expect(verifyWebhook(auth, { rawBody: body, headers: sign(whsec(), body, NOW) }, secrets, NOW)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });
  it('refuses a timestamp 6 minutes old (and 6 minutes ahead)', () => {
    const old = sign(secret, body, NOW - 6 * 60_000);
    expect(verifyWebhook(auth, { rawBody: body, headers: old }, secrets, NOW)).toEqual({
      ok: false,
      reason: 'timestamp outside the 5 minute tolerance',
    });
    const ahead = sign(secret, body, NOW + 6 * 60_000);
    expect(verifyWebhook(auth, { rawBody: body, headers: ahead }, secrets, NOW).ok).toBe(false);
  });
  it('accepts a rotated secret: two signatures, old and new, against either secret', () => {
    const oldSecret = whsec();
    const newSecret = whsec();
    const id = 'msg_rotation';
    const date = new Date(NOW);
    const header = `${new Webhook(oldSecret).sign(id, date, body)} ${new Webhook(newSecret).sign(id, date, body)}`;
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': header };
    expect(verifyWebhook(auth, { rawBody: body, headers }, lookup({ LEADS_HOOK: oldSecret }), NOW)).toEqual({ ok: true });
    expect(verifyWebhook(auth, { rawBody: body, headers }, lookup({ LEADS_HOOK: newSecret }), NOW)).toEqual({ ok: true });
    expect(verifyWebhook(auth, { rawBody: body, headers }, lookup({ LEADS_HOOK: whsec() }), NOW).ok).toBe(false);
  });
  it('names missing headers', () => {
    const { 'webhook-signature': _, ...rest } = sign(secret, body, NOW);
    expect(verifyWebhook(auth, { rawBody: body, headers: rest }, secrets, NOW)).toEqual({
      ok: false,
      reason: 'missing webhook-signature header',
    });
  });
  it('ignores unknown signature versions', () => {
    const headers = sign(secret, body, NOW);
    headers['webhook-signature'] = headers['webhook-signature'].replace('v1,', 'v2,');
    expect(verifyWebhook(auth, { rawBody: body, headers }, secrets, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
  });
});

describe('verifyWebhook: stripe (signed by the stripe package)', () => {
  const stripe = new Stripe('sk_test_flowdesk');
  const secret = 'whsec_' + randomBytes(16).toString('hex');
  const secrets = lookup({ STRIPE_HOOK: secret });
  const auth = { type: 'stripe' as const, secret: 'STRIPE_HOOK' };
  const header = (s: string, payload: Buffer, atMs: number) =>
    stripe.webhooks.generateTestHeaderString({ payload: payload.toString(), secret: s, timestamp: Math.floor(atMs / 1000) });

  it('accepts a valid signature', () => {
    const headers = { 'stripe-signature': header(secret, body, NOW) };
    expect(verifyWebhook(auth, { rawBody: body, headers }, secrets, NOW)).toEqual({ ok: true });
  });
  it('refuses a tampered body', () => {
    const headers = { 'stripe-signature': header(secret, body, NOW) };
    const tampered = Buffer.from(body.toString().replace('ada', 'eve'));
    expect(verifyWebhook(auth, { rawBody: tampered, headers }, secrets, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
  });
  it('refuses a wrong secret', () => {
    const headers = { 'stripe-signature': header('whsec_wrong', body, NOW) };
    expect(verifyWebhook(auth, { rawBody: body, headers }, secrets, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
  });
  it('refuses a timestamp 6 minutes old', () => {
    const headers = { 'stripe-signature': header(secret, body, NOW - 6 * 60_000) };
    expect(verifyWebhook(auth, { rawBody: body, headers }, secrets, NOW)).toEqual({
      ok: false,
      reason: 'timestamp outside the 5 minute tolerance',
    });
  });
  it('accepts a rotated secret: two v1 signatures', () => {
    const oldSecret = 'whsec_old_' + randomBytes(8).toString('hex');
    const a = header(oldSecret, body, NOW);
    const b = header(secret, body, NOW);
    const combined = `${a},v1=${b.split('v1=')[1]}`;
    expect(verifyWebhook(auth, { rawBody: body, headers: { 'stripe-signature': combined } }, secrets, NOW)).toEqual({ ok: true });
    expect(verifyWebhook(auth, { rawBody: body, headers: { 'stripe-signature': combined } }, lookup({ STRIPE_HOOK: oldSecret }), NOW)).toEqual({
      ok: true,
    });
  });
  it('names a missing header', () => {
    expect(verifyWebhook(auth, { rawBody: body, headers: {} }, secrets, NOW)).toEqual({ ok: false, reason: 'missing stripe-signature header' });
  });
});
