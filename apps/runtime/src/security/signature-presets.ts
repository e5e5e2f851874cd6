// Vendor signature presets (auth.type github, shopify, typeform, tally, calendly, slack, twilio) and
// the generic `signature` type. Each is the vendor's documented algorithm over the raw body (Twilio:
// over the public URL and the sorted form fields), compared in constant time; a signed timestamp must
// fall inside the vendor's tolerance. webhook-auth.ts dispatches here.
import { createHash, createHmac } from 'node:crypto';
import { parseDuration } from '@flowdesk/schema';
import { headerValue, safeEqual, type VerifyResult, type WebhookRequest } from './webhook-auth.ts';

const fail = (reason: string): VerifyResult => ({ ok: false, reason });
const OK: VerifyResult = { ok: true };

const hmac = (alg: 'sha1' | 'sha256' | 'sha512', secret: string, ...parts: (string | Buffer)[]): Buffer => {
  const h = createHmac(alg, Buffer.from(secret, 'utf8'));
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Compares a header's encoded signature with the expected bytes (no early exit on content). */
function matches(given: string, expected: Buffer, encoding: 'hex' | 'base64'): boolean {
  const g = given.trim();
  if (encoding === 'hex' && !/^[0-9a-fA-F]+$/.test(g)) return false;
  if (encoding === 'base64' && !/^[A-Za-z0-9+/_-]+={0,2}$/.test(g)) return false;
  return safeEqual(Buffer.from(g, encoding), expected);
}

/** `k=v,k=v` (Calendly, Stripe-style) into the last value of each key, and every value of `v1`. */
function keyValues(header: string): { t?: string; v1: string[] } {
  const out: { t?: string; v1: string[] } = { v1: [] };
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') out.t = v;
    else if (k === 'v1') out.v1.push(v);
  }
  return out;
}

function withinTolerance(tsSeconds: number, nowMs: number, toleranceSeconds: number): boolean {
  return Math.abs(nowMs / 1000 - tsSeconds) <= toleranceSeconds;
}
const toleranceReason = (seconds: number) => `timestamp outside the ${seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60} minute` : `${seconds} second`} tolerance`;

/** A unix timestamp in seconds (or milliseconds, 13 digits) → seconds; undefined when not one. */
function unixSeconds(v: string | undefined): number | undefined {
  if (!v || !/^\d{1,13}$/.test(v)) return undefined;
  return v.length === 13 ? Number(v) / 1000 : Number(v);
}

export const SLACK_TOLERANCE_SECONDS = 300;
export const CALENDLY_TOLERANCE_SECONDS = 180;

export function verifyGithub(req: WebhookRequest, secret: string): VerifyResult {
  const sig = headerValue(req.headers, 'x-hub-signature-256');
  if (!sig) return fail('missing x-hub-signature-256 header');
  if (!sig.startsWith('sha256=')) return fail('x-hub-signature-256 header must start with sha256=');
  return matches(sig.slice('sha256='.length), hmac('sha256', secret, req.rawBody), 'hex') ? OK : fail('signature mismatch');
}

export function verifyShopify(req: WebhookRequest, secret: string): VerifyResult {
  const sig = headerValue(req.headers, 'x-shopify-hmac-sha256');
  if (!sig) return fail('missing x-shopify-hmac-sha256 header');
  return matches(sig, hmac('sha256', secret, req.rawBody), 'base64') ? OK : fail('signature mismatch');
}

export function verifyTypeform(req: WebhookRequest, secret: string): VerifyResult {
  const sig = headerValue(req.headers, 'typeform-signature');
  if (!sig) return fail('missing typeform-signature header');
  if (!sig.startsWith('sha256=')) return fail('typeform-signature header must start with sha256=');
  return matches(sig.slice('sha256='.length), hmac('sha256', secret, req.rawBody), 'base64') ? OK : fail('signature mismatch');
}

export function verifyTally(req: WebhookRequest, secret: string): VerifyResult {
  const sig = headerValue(req.headers, 'tally-signature');
  if (!sig) return fail('missing tally-signature header');
  return matches(sig, hmac('sha256', secret, req.rawBody), 'base64') ? OK : fail('signature mismatch');
}

export function verifyCalendly(req: WebhookRequest, secret: string, nowMs: number): VerifyResult {
  const header = headerValue(req.headers, 'calendly-webhook-signature');
  if (!header) return fail('missing calendly-webhook-signature header');
  const { t, v1 } = keyValues(header);
  const ts = unixSeconds(t);
  if (ts === undefined || t!.length > 12) return fail('calendly-webhook-signature header has no valid timestamp');
  if (v1.length === 0) return fail('calendly-webhook-signature header has no v1 signature');
  if (!withinTolerance(ts, nowMs, CALENDLY_TOLERANCE_SECONDS)) return fail(toleranceReason(CALENDLY_TOLERANCE_SECONDS));
  const expected = hmac('sha256', secret, `${t}.`, req.rawBody);
  let ok = false;
  for (const s of v1) if (matches(s, expected, 'hex')) ok = true; // every entry compared
  return ok ? OK : fail('signature mismatch');
}

export function verifySlack(req: WebhookRequest, secret: string, nowMs: number): VerifyResult {
  const sig = headerValue(req.headers, 'x-slack-signature');
  const t = headerValue(req.headers, 'x-slack-request-timestamp');
  if (!sig) return fail('missing x-slack-signature header');
  if (!t) return fail('missing x-slack-request-timestamp header');
  if (!/^\d{1,12}$/.test(t)) return fail('invalid x-slack-request-timestamp header');
  if (!withinTolerance(Number(t), nowMs, SLACK_TOLERANCE_SECONDS)) return fail(toleranceReason(SLACK_TOLERANCE_SECONDS));
  if (!sig.startsWith('v0=')) return fail('x-slack-signature header must start with v0=');
  return matches(sig.slice(3), hmac('sha256', secret, `v0:${t}:`, req.rawBody), 'hex') ? OK : fail('signature mismatch');
}

/** Twilio's form fields as it signs them: names sorted, each value of a repeated name once, sorted. */
function twilioSignedFields(rawBody: Buffer): string {
  const grouped = new Map<string, Set<string>>();
  for (const [k, v] of new URLSearchParams(rawBody.toString('utf8'))) {
    let s = grouped.get(k);
    if (!s) grouped.set(k, (s = new Set()));
    s.add(v);
  }
  let out = '';
  for (const k of [...grouped.keys()].sort()) for (const v of [...grouped.get(k)!].sort()) out += k + v;
  return out;
}

/** The URL Twilio called, from FLOWDESK_PUBLIC_URL and the request's path and query; with and without the default port. */
function twilioUrls(publicUrl: string, pathAndQuery: string): string[] {
  const base = publicUrl.replace(/\/+$/, '');
  const url = base + pathAndQuery;
  const m = /^(https?):\/\/([^/?#]+)(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m;
  const defaultPort = scheme!.toLowerCase() === 'https' ? ':443' : ':80';
  const hasPort = /:\d+$/.test(authority!.replace(/^\[[^\]]*\]/, ''));
  if (!hasPort) return [url, `${scheme}://${authority}${defaultPort}${rest}`];
  return authority!.endsWith(defaultPort) ? [url, `${scheme}://${authority!.slice(0, -defaultPort.length)}${rest}`] : [url];
}

export function verifyTwilio(req: WebhookRequest, secret: string): VerifyResult {
  const sig = headerValue(req.headers, 'x-twilio-signature');
  if (!sig) return fail('missing x-twilio-signature header');
  if (!req.publicUrl) return fail('twilio signatures cover the public URL: set FLOWDESK_PUBLIC_URL to the address Twilio calls');
  const settings = headerValue(req.headers, 'x-twilio-webhooks-signature-settings');
  const named = settings ? /(?:^|,)\s*algorithm=([A-Za-z0-9_]+)/.exec(settings)?.[1]?.toUpperCase() : undefined;
  const alg = !named || named === 'HMAC_SHA1' ? 'sha1' : named === 'HMAC_SHA256' ? 'sha256' : undefined;
  if (!alg) return fail(`unsupported twilio signature algorithm ${named}`);
  const pathAndQuery = req.url ?? '/';
  const query = new URLSearchParams(pathAndQuery.includes('?') ? pathAndQuery.slice(pathAndQuery.indexOf('?') + 1) : '');
  const bodyHash = query.get('bodySHA256');
  // JSON bodies: the signature covers the URL alone and the URL carries the body's sha256
  const fields = bodyHash === null ? twilioSignedFields(req.rawBody) : '';
  if (bodyHash !== null && !safeEqual(bodyHash.toLowerCase(), createHashHex(req.rawBody))) return fail('bodySHA256 does not match the body');
  let ok = false;
  for (const url of twilioUrls(req.publicUrl, pathAndQuery)) if (matches(sig, hmac(alg, secret, url, fields), 'base64')) ok = true;
  return ok ? OK : fail('signature mismatch');
}

const createHashHex = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

export interface GenericSignature {
  header: string;
  algorithm?: 'sha1' | 'sha256' | 'sha512';
  encoding?: 'hex' | 'base64';
  prefix?: string;
  signedContent?: string;
  timestampHeader?: string;
  tolerance?: string;
}

export function verifyGeneric(req: WebhookRequest, secret: string, nowMs: number, a: GenericSignature): VerifyResult {
  const name = a.header.toLowerCase();
  const sig = headerValue(req.headers, name);
  if (!sig) return fail(`missing ${name} header`);
  const prefix = a.prefix ?? '';
  if (!sig.startsWith(prefix)) return fail(`${name} header must start with ${prefix}`);
  const template = a.signedContent ?? '{body}';
  let ts: string | undefined;
  if (template.includes('{timestamp}')) {
    const tsName = (a.timestampHeader ?? '').toLowerCase();
    ts = headerValue(req.headers, tsName);
    if (!ts) return fail(`missing ${tsName} header`);
    const seconds = unixSeconds(ts);
    if (seconds === undefined) return fail(`invalid ${tsName} header`);
    const tolerance = Math.round(parseDuration(a.tolerance ?? '5m') / 1000);
    if (!withinTolerance(seconds, nowMs, tolerance)) return fail(toleranceReason(tolerance));
  }
  // the template around {body}, with {timestamp} filled in, framing the raw bytes
  const at = template.indexOf('{body}');
  const fill = (s: string) => s.split('{timestamp}').join(ts ?? '');
  const expected = hmac(a.algorithm ?? 'sha256', secret, fill(template.slice(0, at)), req.rawBody, fill(template.slice(at + '{body}'.length)));
  return matches(sig.slice(prefix.length), expected, a.encoding ?? 'hex') ? OK : fail('signature mismatch');
}
