import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Duration, Logic, PayloadSchema, SecretName } from '../primitives.ts';
import { defineTrigger, type DedupeDefault } from '../spec/index.ts';

/**
 * How a webhook proves where it comes from, one entry per `auth.type`. An entry may name the default
 * idempotency key and window of events signed that way (the vendor's delivery or event id); the
 * webhook trigger applies it when the flow names no key of its own.
 */
const AUTH_TYPES = {
  none: { schema: Type.Object({ type: Type.Literal('none') }, { additionalProperties: false }), docs: '`{"type":"none"}`' },
  token: {
    schema: Type.Object({ type: Type.Literal('token'), secret: SecretName, header: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false }),
    docs: '`{"type":"token","secret":"NAME","header?":"x-…"}`',
  },
  hmac: {
    schema: Type.Object({ type: Type.Literal('hmac'), secret: SecretName }, { additionalProperties: false }),
    docs: '`{"type":"hmac","secret":"NAME"}` (Standard Webhooks; default key: the `webhook-id` header, window 28h)',
    // the signed delivery id is the same on every retry; senders retry for ~27 h 35 min (Svix's schedule)
    dedupe: { key: { var: 'headers.webhook-id' }, window: '28h' },
  },
  stripe: {
    schema: Type.Object({ type: Type.Literal('stripe'), secret: SecretName }, { additionalProperties: false }),
    docs: '`{"type":"stripe","secret":"NAME"}` (default key: the event `id`, window 3d)',
    // Stripe retries a live-mode event for up to three days, always with the same event id
    dedupe: { key: { var: 'payload.id' }, window: '3d' },
  },
} satisfies Record<string, { schema: TObject; docs: string; dedupe?: DedupeDefault }>;

export type AuthType = keyof typeof AUTH_TYPES;
export const Auth = Type.Union([AUTH_TYPES.none.schema, AUTH_TYPES.token.schema, AUTH_TYPES.hmac.schema, AUTH_TYPES.stripe.schema]);
export type Auth = Static<typeof Auth>;
export const AUTH_DOCS: readonly string[] = Object.values(AUTH_TYPES).map((a) => a.docs);

const authDedupe = (type: string): DedupeDefault | undefined => (AUTH_TYPES as Record<string, { dedupe?: DedupeDefault }>)[type]?.dedupe;

export default defineTrigger({
  type: 'webhook',
  schema: Type.Object(
    {
      type: Type.Literal('webhook'),
      path: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9/_-]{0,127}$' }),
      auth: Auth,
      payloadSchema: Type.Optional(PayloadSchema),
      idempotencyKey: Type.Optional(Logic),
      dedupeWindow: Type.Optional(Duration),
      filter: Type.Optional(Logic),
    },
    { additionalProperties: false },
  ),
  label: 'Webhook',
  help: 'POST /hooks/<path> starts a run',
  summary: (t) => `POST /hooks/${t.path} · auth ${t.auth?.type ?? '?'}`,
  dedupeDefault: (t) => authDedupe(t.auth?.type),
  check(t, c) {
    const auth = t.auth as Record<string, unknown> | undefined;
    if (!auth || typeof auth !== 'object' || typeof auth.type !== 'string' || auth.type === 'none') return;
    if (typeof auth.secret !== 'string' || auth.secret === '') {
      c.errorInsteadOfSchema(`auth "${auth.type}" needs a secret name, e.g. "LEADS_HOOK" (the value comes from FLOWDESK_SECRET_LEADS_HOOK; a flow never holds it)`, 'auth', 'secret');
    }
  },
  docs: {
    fields:
      '`path` (one flow per path), `auth`, `payloadSchema` (JSON Schema 2020-12), `idempotencyKey` (JSON-Logic over `{payload, headers}`; when left out, the default key of the auth type — `hmac`: the `webhook-id` header, `stripe`: the event `id` — else every event is its own run; a key that evaluates to null: its own run), `dedupeWindow` (default: the window of the auth type — `hmac` 28h, `stripe` 3d — else `24h`), `filter` (JSON-Logic; not matched → 200 `{ignored:true}`)',
  },
});
