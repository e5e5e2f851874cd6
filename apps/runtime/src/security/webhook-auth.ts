// Inbound webhook authentication: none | token | hmac (Standard Webhooks) | stripe (Stripe-Signature),
// and the vendor presets and generic signature of signature-presets.ts. Checked on the raw body bytes
// with constant-time compares; no dependency beyond node:crypto.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Auth } from '@flowdesk/schema';
import { verifyCalendly, verifyGeneric, verifyGithub, verifyShopify, verifySlack, verifyTally, verifyTwilio, verifyTypeform } from './signature-presets.ts';

export type SecretLookup = (name: string) => string | undefined;
export type VerifyResult = { ok: true } | { ok: false; reason: string };
export interface WebhookRequest {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  /** the request's path and query, as sent (Twilio signs the URL) */
  url?: string;
  /** FLOWDESK_PUBLIC_URL: the address senders call */
  publicUrl?: string;
}

export const DEFAULT_TOKEN_HEADER = 'x-flowdesk-token';
/** Standard Webhooks and Stripe both allow 5 minutes of clock difference. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
const TOLERANCE_REASON = 'timestamp outside the 5 minute tolerance';

export function verifyWebhook(auth: Auth, req: WebhookRequest, secrets: SecretLookup, nowMs: number): VerifyResult {
  if (auth.type === 'none') return { ok: true };
  const secret = secrets(auth.secret);
  if (secret === undefined || secret === '') return fail(`secret ${auth.secret} is not configured`);
  switch (auth.type) {
    case 'token':
      return verifyToken(req, secret, auth.header);
    case 'hmac':
      return verifyStandardWebhook(req, secret, nowMs);
    case 'stripe':
      return verifyStripe(req, secret, nowMs);
    case 'github':
      return verifyGithub(req, secret);
    case 'shopify':
      return verifyShopify(req, secret);
    case 'typeform':
      return verifyTypeform(req, secret);
    case 'tally':
      return verifyTally(req, secret);
    case 'calendly':
      return verifyCalendly(req, secret, nowMs);
    case 'slack':
      return verifySlack(req, secret, nowMs);
    case 'twilio':
      return verifyTwilio(req, secret);
    case 'signature':
      return verifyGeneric(req, secret, nowMs, auth);
    default:
      return fail(`unknown auth type ${(auth as { type: string }).type}`);
  }
}

/** Header value by case-insensitive name; the first one when repeated. */
export function headerValue(headers: WebhookRequest['headers'], name: string): string | undefined {
  const want = name.toLowerCase();
  let v = headers[want];
  if (v === undefined) {
    for (const k of Object.keys(headers)) {
      if (k.toLowerCase() === want) {
        v = headers[k];
        break;
      }
    }
  }
  if (Array.isArray(v)) v = v[0];
  return v === undefined ? undefined : String(v);
}

/** Constant-time equality of two byte strings (also hides their lengths: both are hashed first). */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function verifyToken(req: WebhookRequest, secret: string, header?: string): VerifyResult {
  const name = (header ?? DEFAULT_TOKEN_HEADER).toLowerCase();
  let given = headerValue(req.headers, name);
  if (given === undefined) {
    const authz = headerValue(req.headers, 'authorization');
    const m = authz ? /^Bearer\s+(.+)$/i.exec(authz.trim()) : null;
    if (m) given = m[1];
  }
  if (given === undefined) return fail(`missing ${name} header (or Authorization: Bearer)`);
  return safeEqual(given, secret) ? { ok: true } : fail('token mismatch');
}

function verifyStandardWebhook(req: WebhookRequest, secret: string, nowMs: number): VerifyResult {
  const id = headerValue(req.headers, 'webhook-id');
  const ts = headerValue(req.headers, 'webhook-timestamp');
  const sigHeader = headerValue(req.headers, 'webhook-signature');
  if (!id) return fail('missing webhook-id header');
  if (!ts) return fail('missing webhook-timestamp header');
  if (!sigHeader) return fail('missing webhook-signature header');
  if (!/^\d{1,12}$/.test(ts)) return fail('invalid webhook-timestamp header');
  if (!withinTolerance(Number(ts), nowMs)) return fail(TOLERANCE_REASON);

  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) return fail('the configured hmac secret is not a whsec_ base64 secret');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.`).update(req.rawBody).digest();

  // "v1,<b64> v1,<b64>": several signatures during a secret rotation; any match is enough.
  let matched = false;
  for (const entry of sigHeader.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    // No early exit: every entry is compared.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true } : fail('signature mismatch');
}

function verifyStripe(req: WebhookRequest, secret: string, nowMs: number): VerifyResult {
  const header = headerValue(req.headers, 'stripe-signature');
  if (!header) return fail('missing stripe-signature header');
  let t: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1') v1.push(v);
  }
  if (!t || !/^\d{1,12}$/.test(t)) return fail('stripe-signature header has no valid timestamp');
  if (v1.length === 0) return fail('stripe-signature header has no v1 signature');
  if (!withinTolerance(Number(t), nowMs)) return fail(TOLERANCE_REASON);

  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.`).update(req.rawBody).digest();
  let matched = false;
  for (const hex of v1) {
    if (!/^[0-9a-fA-F]+$/.test(hex)) continue;
    const given = Buffer.from(hex, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true } : fail('signature mismatch');
}

function withinTolerance(tsSeconds: number, nowMs: number): boolean {
  return Math.abs(nowMs / 1000 - tsSeconds) <= SIGNATURE_TOLERANCE_SECONDS;
}

function fail(reason: string): VerifyResult {
  return { ok: false, reason };
}
