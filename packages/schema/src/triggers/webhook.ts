import { Type, type Static } from '@sinclair/typebox';
import { Duration, Logic, PayloadSchema } from '../primitives.ts';
import { defineTrigger } from '../spec/index.ts';
import { AUTH_TYPES, authDedupe, checkAuth } from './webhook-auth.ts';

export { AUTH_DOCS, AUTH_LABELS, AUTH_TYPE_NAMES, type AuthType } from './webhook-auth.ts';

export const Auth = Type.Union(Object.values(AUTH_TYPES).map((a) => a.schema) as unknown as [typeof AUTH_TYPES.none.schema, ...(typeof AUTH_TYPES)[keyof typeof AUTH_TYPES]['schema'][]]);
export type Auth = { [K in keyof typeof AUTH_TYPES]: Static<(typeof AUTH_TYPES)[K]['schema']> }[keyof typeof AUTH_TYPES];

/** An absolute http(s) URL written in the flow, or one config value that holds it (never the payload). */
const RedirectTarget = Type.String({
  pattern: '^(https?://[^\\s{}]+|\\{\\{config\\.[A-Z][A-Z0-9_]*\\}\\})$',
  maxLength: 2048,
  description: 'an absolute http(s) URL, or {{config.NAME}}',
});

/** Uploaded files of a multipart form: limits per trigger (the store is apps/runtime/src/files/). */
export const FILE_LIMITS = { maxBytes: 10 * 1024 * 1024, maxBytesCeiling: 100 * 1024 * 1024, maxFiles: 5, maxFilesCeiling: 20 } as const;
const Files = Type.Object(
  {
    maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: FILE_LIMITS.maxBytesCeiling, description: `bytes per file (default ${FILE_LIMITS.maxBytes})` })),
    maxFiles: Type.Optional(Type.Integer({ minimum: 1, maximum: FILE_LIMITS.maxFilesCeiling, description: `files per event (default ${FILE_LIMITS.maxFiles})` })),
    types: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9!#$&^_.+-]+/([a-z0-9!#$&^_.+-]+|\\*)$' }), { minItems: 1, maxItems: 50, description: 'accepted MIME types, e.g. "application/pdf", "image/*" (default any)' }),
    ),
  },
  { additionalProperties: false },
);

export const Respond = Type.Object(
  { redirect: Type.Optional(RedirectTarget), errorRedirect: Type.Optional(RedirectTarget) },
  { additionalProperties: false, description: 'form posts from a browser: 303 to these pages instead of JSON' },
);
export const Cors = Type.Object(
  { origins: Type.Array(Type.String({ pattern: '^(\\*|https?://[a-zA-Z0-9.-]+(:[0-9]{1,5})?)$' }), { minItems: 1, maxItems: 50 }) },
  { additionalProperties: false, description: 'origins whose pages may post with fetch (preflight answered)' },
);

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
      respond: Type.Optional(Respond),
      cors: Type.Optional(Cors),
      honeypot: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'a form field real people leave empty; filled → 200, nothing started' })),
      files: Type.Optional(Files),
    },
    { additionalProperties: false },
  ),
  label: 'Webhook',
  help: 'POST /hooks/<path> starts a run (JSON or an HTML form)',
  summary: (t) => `POST /hooks/${t.path} · auth ${t.auth?.type ?? '?'}`,
  dedupeDefault: (t) => authDedupe(t.auth),
  check(t, c) {
    const auth = t.auth as Record<string, unknown> | undefined;
    if (!auth || typeof auth !== 'object' || typeof auth.type !== 'string' || auth.type === 'none') return;
    if (typeof auth.secret !== 'string' || auth.secret === '') {
      c.errorInsteadOfSchema(`auth "${auth.type}" needs a secret name, e.g. "LEADS_HOOK" (the value comes from FLOWDESK_SECRET_LEADS_HOOK; a flow never holds it)`, 'auth', 'secret');
    }
    checkAuth(auth, (message, ...path) => c.error(message, 'auth', ...path));
  },
  docs: {
    fields:
      '`path` (one flow per path), `auth`, `payloadSchema` (JSON Schema 2020-12; form fields are coerced to its numbers, booleans and arrays), `idempotencyKey` (JSON-Logic over `{payload, headers}`; when left out, the default key of the auth type (below) — e.g. `hmac`: the `webhook-id` header, `stripe`: the event `id` — else every event is its own run; a key that evaluates to null: its own run), `dedupeWindow` (default: the window of the auth type — e.g. `hmac` 28h, `stripe` 3d — else `24h`), `filter` (JSON-Logic; not matched → 200 `{ignored:true}`), `respond` (`{redirect, errorRedirect}`: 303 for browser form posts; a URL or `{{config.NAME}}`), `cors` (`{origins}`), `honeypot` (a field name), `files` (`{maxBytes, maxFiles, types}`: multipart uploads accepted)',
  },
});
