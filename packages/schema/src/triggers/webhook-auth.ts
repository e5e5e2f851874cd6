// How a webhook proves where it comes from: one entry per `auth.type`. Each entry has its schema, its
// line in docs/dsl.md and, where the sender has one, its default idempotency key and window (the
// vendor's delivery or event id, kept at least as long as the vendor retries). The webhook trigger
// applies the default when the flow names no key of its own. The runtime's verifiers are in
// apps/runtime/src/security/webhook-auth.ts and signature-presets.ts.
import { Type, type TObject } from '@sinclair/typebox';
import { Duration, SecretName } from '../primitives.ts';
import type { DedupeDefault } from '../spec/index.ts';

interface AuthEntry {
  schema: TObject;
  docs: string;
  /** what the editor shows beside the choice */
  label: string;
  dedupe?: DedupeDefault | ((auth: Record<string, unknown>) => DedupeDefault | undefined);
}

const secretOnly = <T extends string>(type: T) => Type.Object({ type: Type.Literal(type), secret: SecretName }, { additionalProperties: false });
const header = (name: string) => ({ var: `headers.${name}` });

/** A placeholder of the generic `signature` type's signed-content template. */
export const SIGNED_CONTENT_PLACEHOLDERS = ['{body}', '{timestamp}'] as const;

export const AUTH_TYPES = {
  none: { schema: Type.Object({ type: Type.Literal('none') }, { additionalProperties: false }), docs: '`{"type":"none"}`', label: 'none (public)' },
  token: {
    schema: Type.Object({ type: Type.Literal('token'), secret: SecretName, header: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false }),
    docs: '`{"type":"token","secret":"NAME","header?":"x-…"}`',
    label: 'token (a header equals a secret)',
  },
  hmac: {
    schema: secretOnly('hmac'),
    docs: '`{"type":"hmac","secret":"NAME"}` (Standard Webhooks; default key: the `webhook-id` header, window 28h)',
    label: 'Standard Webhooks (hmac)',
    // the signed delivery id is the same on every retry; senders retry for ~27 h 35 min (Svix's schedule)
    dedupe: { key: header('webhook-id'), window: '28h' },
  },
  stripe: {
    schema: secretOnly('stripe'),
    docs: '`{"type":"stripe","secret":"NAME"}` (default key: the event `id`, window 3d)',
    label: 'Stripe',
    // Stripe retries a live-mode event for up to three days, always with the same event id
    dedupe: { key: { var: 'payload.id' }, window: '3d' },
  },
  github: {
    schema: secretOnly('github'),
    docs: '`github` (`X-Hub-Signature-256`; key `X-GitHub-Delivery`, 3d: redeliveries are allowed for 3 days)',
    label: 'GitHub',
    dedupe: { key: header('x-github-delivery'), window: '3d' },
  },
  shopify: {
    schema: secretOnly('shopify'),
    docs: '`shopify` (`X-Shopify-Hmac-Sha256`, base64; key `X-Shopify-Webhook-Id`, 2d: retries run 4 h)',
    label: 'Shopify',
    dedupe: { key: header('x-shopify-webhook-id'), window: '2d' },
  },
  typeform: {
    schema: secretOnly('typeform'),
    docs: '`typeform` (`Typeform-Signature: sha256=<base64>`; key `payload.event_id`, 2d)',
    label: 'Typeform',
    dedupe: { key: { var: 'payload.event_id' }, window: '2d' },
  },
  tally: {
    schema: secretOnly('tally'),
    docs: '`tally` (`Tally-Signature`, base64; key `payload.eventId`, 3d: retries run 31 h)',
    label: 'Tally',
    dedupe: { key: { var: 'payload.eventId' }, window: '3d' },
  },
  calendly: {
    schema: secretOnly('calendly'),
    docs: '`calendly` (`Calendly-Webhook-Signature: t=…,v1=…`, 3 minute tolerance; key `payload.event` + `payload.payload.uri` (Calendly sends no event id), 2d: retries run 24 h)',
    label: 'Calendly',
    dedupe: {
      key: { if: [{ var: 'payload.payload.uri' }, { cat: [{ var: 'payload.event' }, ' ', { var: 'payload.payload.uri' }] }, null] },
      window: '2d',
    },
  },
  slack: {
    schema: secretOnly('slack'),
    docs: '`slack` (`X-Slack-Signature: v0=…` over `v0:<ts>:<body>`, 5 minute tolerance; answers `url_verification`; key `payload.event_id`, else a slash command\'s `payload.trigger_id`, 1d)',
    label: 'Slack',
    dedupe: { key: { or: [{ var: 'payload.event_id' }, { var: 'payload.trigger_id' }] }, window: '1d' },
  },
  twilio: {
    schema: secretOnly('twilio'),
    docs: '`twilio` (`X-Twilio-Signature` over `FLOWDESK_PUBLIC_URL` + path + query + sorted form fields; key `I-Twilio-Idempotency-Token`, 1d)',
    label: 'Twilio',
    dedupe: { key: header('i-twilio-idempotency-token'), window: '1d' },
  },
  signature: {
    schema: Type.Object(
      {
        type: Type.Literal('signature'),
        secret: SecretName,
        header: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9-]+$', description: 'the header holding the signature' }),
        algorithm: Type.Optional(Type.Union([Type.Literal('sha1'), Type.Literal('sha256'), Type.Literal('sha512')])),
        encoding: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('base64')])),
        prefix: Type.Optional(Type.String({ maxLength: 64, description: 'text before the signature in the header, e.g. "sha256="' })),
        signedContent: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'what is signed: {body} and {timestamp}, e.g. "{timestamp}.{body}" (default "{body}")' })),
        timestampHeader: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9-]+$' })),
        tolerance: Type.Optional(Duration),
        idHeader: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9-]+$', description: "the sender's delivery id header: the default idempotency key" })),
      },
      { additionalProperties: false },
    ),
    docs: '`{"type":"signature","secret":"NAME","header":"X-Signature","algorithm?":"sha1|sha256|sha512","encoding?":"hex|base64","prefix?":"sha256=","signedContent?":"{timestamp}.{body}","timestampHeader?":"…","tolerance?":"5m","idHeader?":"…"}` (generic HMAC; key `idHeader` when given)',
    label: 'generic HMAC signature',
    dedupe: (a) => (typeof a.idHeader === 'string' ? { key: header(a.idHeader.toLowerCase()) } : undefined),
  },
} satisfies Record<string, AuthEntry>;

export type AuthType = keyof typeof AUTH_TYPES;
export const AUTH_TYPE_NAMES = Object.keys(AUTH_TYPES) as AuthType[];
export const AUTH_LABELS: Readonly<Record<AuthType, string>> = Object.fromEntries(AUTH_TYPE_NAMES.map((t) => [t, AUTH_TYPES[t].label])) as Record<AuthType, string>;
export const AUTH_DOCS: readonly string[] = Object.values(AUTH_TYPES).map((a) => a.docs);

export function authDedupe(auth: { type?: unknown } | undefined): DedupeDefault | undefined {
  const entry = typeof auth?.type === 'string' && Object.hasOwn(AUTH_TYPES, auth.type) ? (AUTH_TYPES[auth.type as AuthType] as AuthEntry) : undefined;
  const d = entry?.dedupe;
  return typeof d === 'function' ? d(auth as Record<string, unknown>) : d;
}

/** Deploy checks of an auth entry beyond its schema; paths relative to the auth object. */
export function checkAuth(auth: Record<string, unknown>, error: (message: string, ...path: string[]) => void): void {
  if (auth.type !== 'signature') return;
  const content = typeof auth.signedContent === 'string' ? auth.signedContent : '{body}';
  if (content.split('{body}').length !== 2) error('must contain {body} once: the signature has to cover the body', 'signedContent');
  const unknown = content.match(/\{[^}]*\}/g)?.filter((p) => !(SIGNED_CONTENT_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown?.length) error(`unknown placeholder ${unknown[0]}: use ${SIGNED_CONTENT_PLACEHOLDERS.join(' and ')}`, 'signedContent');
  const hasTs = content.includes('{timestamp}');
  if (hasTs && typeof auth.timestampHeader !== 'string') error('is needed: signedContent uses {timestamp}', 'timestampHeader');
  if (!hasTs && typeof auth.timestampHeader === 'string') error('is only checked when signedContent signs it: add {timestamp} to signedContent', 'timestampHeader');
  if (auth.tolerance !== undefined && !hasTs) error('applies to a signed timestamp: add {timestamp} to signedContent', 'tolerance');
}
