// The webhook trigger's own options: how the sender proves itself (every auth type and vendor preset,
// with the URL to paste into the vendor's dashboard and the default idempotency key it brings), and
// what an HTML form needs (redirect pages, CORS origins, honeypot, file uploads, a copyable snippet).
import { useEffect, useState } from 'react';
import type { Flow } from '@flowdesk/schema';
import { AUTH_LABELS, AUTH_TYPE_NAMES, authDedupe, FILE_LIMITS } from '@flowdesk/schema/specs';
import { get } from '../api.ts';
import { formSnippet } from '../core/form-snippet.ts';
import { Field, NumberInput, Select, Text, withKey } from './fields.tsx';

type WebhookTrigger = Extract<Flow['trigger'], { type: 'webhook' }>;
type AuthAny = { type: string; [k: string]: unknown };

/** Where each vendor takes the URL, for the hint beside it. */
const WHERE: Record<string, string> = {
  github: 'GitHub: repository or organization Settings → Webhooks → Payload URL (content type application/json)',
  shopify: 'Shopify: Settings → Notifications → Webhooks, or your app’s webhook subscription',
  typeform: 'Typeform: Connect → Webhooks → Add a webhook (set the same secret there)',
  tally: 'Tally: Integrations → Webhooks → Endpoint URL, with a signing secret',
  calendly: 'Calendly: POST /webhook_subscriptions with this url and your signing_key',
  slack: 'Slack: your app’s Event Subscriptions → Request URL (Flowdesk answers the challenge)',
  twilio: 'Twilio: Phone Numbers → your number → “A message comes in” webhook (HTTP POST)',
  stripe: 'Stripe: Developers → Webhooks → Add endpoint',
  hmac: 'the sender’s webhook settings (Standard Webhooks)',
};

let infoOnce: Promise<{ publicUrl: string | null }> | undefined;
function usePublicUrl(): { url: string; configured: boolean } {
  const [info, setInfo] = useState<{ publicUrl: string | null } | null>(null);
  useEffect(() => {
    infoOnce ??= get<{ publicUrl: string | null }>('/api/info').catch(() => ({ publicUrl: null }));
    void infoOnce.then(setInfo);
  }, []);
  return info?.publicUrl ? { url: info.publicUrl, configured: true } : { url: window.location.origin, configured: false };
}

function CopyBox(props: { value: string; testid: string; rows?: number }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
    } catch {
      /* no clipboard permission: the text is selected for a manual copy */
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div className="fd-copybox">
      {props.rows ? (
        <textarea readOnly value={props.value} rows={props.rows} data-testid={props.testid} onFocus={(e) => e.target.select()} />
      ) : (
        <input readOnly value={props.value} data-testid={props.testid} onFocus={(e) => e.target.select()} />
      )}
      <button type="button" className="fd-btn small" onClick={() => void copy()} data-testid={`${props.testid}-copy`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

function AuthFields(props: { auth: AuthAny; onChange: (a: AuthAny) => void }) {
  const a = props.auth;
  const set = (k: string, v: unknown) => props.onChange(withKey(a, k, v) as AuthAny);
  if (a.type === 'none') return null;
  return (
    <>
      <Text label="Secret name" hint="the value comes from FLOWDESK_SECRET_<NAME>, never from the flow" value={a.secret as string} onChange={(v) => set('secret', v ?? '')} testid="trigger-secret" />
      {a.type === 'token' && <Text label="Header" value={a.header as string} placeholder="x-flowdesk-token" onChange={(v) => set('header', v)} />}
      {a.type === 'signature' && (
        <div className="fd-subsection" data-testid="signature-fields">
          <Text label="Signature header" value={a.header as string} placeholder="X-Signature" onChange={(v) => set('header', v ?? '')} testid="sig-header" />
          <Select label="Algorithm" value={(a.algorithm as string) ?? 'sha256'} options={['sha1', 'sha256', 'sha512']} onChange={(v) => set('algorithm', v === 'sha256' ? undefined : v)} testid="sig-algorithm" />
          <Select label="Encoding" value={(a.encoding as string) ?? 'hex'} options={['hex', 'base64']} onChange={(v) => set('encoding', v === 'hex' ? undefined : v)} testid="sig-encoding" />
          <Text label="Prefix" value={a.prefix as string} placeholder="sha256=" onChange={(v) => set('prefix', v)} testid="sig-prefix" />
          <Text label="Signed content" hint="{body} and {timestamp}" value={a.signedContent as string} placeholder="{body}" onChange={(v) => set('signedContent', v)} testid="sig-content" />
          <Text label="Timestamp header" value={a.timestampHeader as string} onChange={(v) => set('timestampHeader', v)} testid="sig-ts-header" />
          <Text label="Tolerance" value={a.tolerance as string} placeholder="5m" onChange={(v) => set('tolerance', v)} testid="sig-tolerance" />
          <Text label="Delivery id header" hint="the default idempotency key" value={a.idHeader as string} onChange={(v) => set('idHeader', v)} testid="sig-id-header" />
        </div>
      )}
    </>
  );
}

export function WebhookOptions(props: { trigger: WebhookTrigger; onChange: (t: WebhookTrigger) => void }) {
  const t = props.trigger;
  const set = (k: string, v: unknown) => props.onChange(withKey(t, k, v) as WebhookTrigger);
  const auth = t.auth as AuthAny;
  const pub = usePublicUrl();
  const hookUrl = `${pub.url}/hooks/${(t.path ?? '').split('/').map(encodeURIComponent).join('/')}`;
  const dflt = authDedupe(auth);
  const changeAuth = (type: string | undefined) => {
    if (!type || type === auth.type) return;
    const secret = (auth.secret as string | undefined) ?? 'HOOK_SECRET';
    set('auth', type === 'none' ? { type: 'none' } : type === 'signature' ? { type, secret, header: 'X-Signature' } : { type, secret });
  };
  const respond = (t.respond ?? {}) as { redirect?: string; errorRedirect?: string };
  const setRespond = (k: 'redirect' | 'errorRedirect', v: string | undefined) => {
    const next = withKey(respond, k, v) as Record<string, unknown>;
    set('respond', Object.keys(next).length ? next : undefined);
  };
  const files = t.files as { maxBytes?: number; maxFiles?: number; types?: string[] } | undefined;
  const setFiles = (k: string, v: unknown) => set('files', withKey(files ?? {}, k, v));
  return (
    <>
      <Field label="Authentication">
        <select value={auth.type} onChange={(e) => changeAuth(e.target.value)} data-testid="trigger-auth">
          {AUTH_TYPE_NAMES.map((n) => (
            <option key={n} value={n}>
              {AUTH_LABELS[n]}
            </option>
          ))}
        </select>
      </Field>
      <AuthFields auth={auth} onChange={(a) => set('auth', a)} />
      <div className="fd-subsection" data-testid="hook-url-box">
        <h4>Webhook URL</h4>
        <CopyBox value={hookUrl} testid="hook-url" />
        {WHERE[auth.type] && <p className="fd-hint" data-testid="hook-url-where">Paste it into {WHERE[auth.type]}.</p>}
        {!pub.configured && (
          <p className="fd-callout warn" data-testid="public-url-missing">
            FLOWDESK_PUBLIC_URL is not set: this is the address your browser uses, which senders outside this machine may not reach{auth.type === 'twilio' ? ' — and Twilio signatures cannot be checked without it' : ''}.
          </p>
        )}
        {dflt && (
          <p className="fd-hint" data-testid="default-key">
            Default idempotency key: <code>{JSON.stringify(dflt.key)}</code>
            {dflt.window ? `, kept ${dflt.window}` : ''} — used unless you set one below.
          </p>
        )}
      </div>
      <details className="fd-subsection" data-testid="form-options" open={!!(t.respond || t.cors || t.honeypot || t.files)}>
        <summary>HTML form</summary>
        <Text label="Thank-you page (303 after a form post)" value={respond.redirect} placeholder="https://example.com/thanks or {{config.THANKS_URL}}" onChange={(v) => setRespond('redirect', v)} testid="respond-redirect" />
        <Text label="Sorry page (when a form is refused)" value={respond.errorRedirect} placeholder="https://example.com/sorry" onChange={(v) => setRespond('errorRedirect', v)} testid="respond-error" />
        <Text label="Honeypot field" hint="a hidden field people leave empty; filled → ignored" value={t.honeypot} placeholder="website" onChange={(v) => set('honeypot', v)} testid="honeypot" />
        <Text
          label="CORS origins (pages that post with fetch)"
          hint="comma-separated, e.g. https://example.com"
          value={t.cors?.origins.join(', ')}
          onChange={(v) => {
            const origins = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
            set('cors', origins.length ? { origins } : undefined);
          }}
          testid="cors-origins"
        />
        <Field label="File uploads">
          <input type="checkbox" checked={!!files} onChange={(e) => set('files', e.target.checked ? {} : undefined)} data-testid="files-enabled" />
        </Field>
        {files && (
          <>
            <NumberInput label={`Max bytes per file (default ${FILE_LIMITS.maxBytes})`} value={files.maxBytes} min={1} onChange={(v) => setFiles('maxBytes', v)} testid="files-max-bytes" />
            <NumberInput label={`Max files (default ${FILE_LIMITS.maxFiles})`} value={files.maxFiles} min={1} onChange={(v) => setFiles('maxFiles', v)} testid="files-max-files" />
            <Text
              label="Accepted types"
              hint="comma-separated MIME types, e.g. application/pdf, image/*; empty: any"
              value={files.types?.join(', ')}
              onChange={(v) => {
                const types = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
                setFiles('types', types.length ? types : undefined);
              }}
              testid="files-types"
            />
          </>
        )}
        <h4>Form for your site</h4>
        <CopyBox value={formSnippet(t, hookUrl)} testid="form-snippet" rows={8} />
      </details>
    </>
  );
}
