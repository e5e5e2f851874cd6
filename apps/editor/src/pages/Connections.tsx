// The Connections page: create a connection (its secrets go to the runtime and come back masked), test
// it, Connect an OAuth2 one through its provider, delete one (after seeing the flows that use it).
import { useCallback, useState } from 'react';
import { APP_SPECS, appSpec, MASK, type ConnectionAuthType, type ConnectionView } from '@flowdesk/schema/specs';
import { ApiError, del, get, post } from '../api.ts';
import { Field, Select, Text } from '../nodes/fields.tsx';
import { usePoll } from './Runs.tsx';

interface Draft {
  id: string;
  app: string;
  name: string;
  baseUrl: string;
  type: ConnectionAuthType;
  fields: Record<string, string>;
}

const FIELDS: Record<ConnectionAuthType, { key: string; label: string; secret?: boolean; multiline?: boolean; options?: string[] }[]> = {
  bearer: [{ key: 'token', label: 'Token', secret: true }],
  apiKey: [
    { key: 'in', label: 'Sent in', options: ['header', 'query'] },
    { key: 'name', label: 'Header or query name' },
    { key: 'value', label: 'Key', secret: true },
  ],
  basic: [
    { key: 'username', label: 'User name' },
    { key: 'password', label: 'Password', secret: true },
  ],
  oauth2: [
    { key: 'grant', label: 'Grant', options: ['authorization_code', 'client_credentials'] },
    { key: 'clientId', label: 'Client id' },
    { key: 'clientSecret', label: 'Client secret', secret: true },
    { key: 'authorizeUrl', label: 'Authorize URL' },
    { key: 'tokenUrl', label: 'Token URL' },
    { key: 'scopes', label: 'Scopes (space-separated)' },
  ],
  serviceAccount: [
    { key: 'keyFile', label: 'JSON key file (paste it whole)', secret: true, multiline: true },
    { key: 'tokenUrl', label: 'Token URL' },
    { key: 'scopes', label: 'Scopes (space-separated)' },
  ],
};

function draftFor(app: string): Draft {
  const spec = appSpec(app);
  const type = spec?.auth[0] ?? 'bearer';
  return { id: app, app, name: spec?.label ?? app, baseUrl: '', type, fields: defaultsFor(app, type) };
}

function defaultsFor(app: string, type: ConnectionAuthType): Record<string, string> {
  const o = appSpec(app)?.oauth2;
  if (type === 'apiKey') return { in: 'header', name: 'X-Api-Key' };
  if (type === 'oauth2') return { grant: 'authorization_code', authorizeUrl: o?.authorizeUrl ?? '', tokenUrl: o?.tokenUrl ?? '', scopes: (o?.scopes ?? []).join(' ') };
  if (type === 'serviceAccount') return { tokenUrl: o?.tokenUrl ?? '', scopes: (o?.scopes ?? []).join(' ') };
  return {};
}

function bodyOf(d: Draft): Record<string, unknown> {
  const auth: Record<string, unknown> = { type: d.type };
  for (const f of FIELDS[d.type]) {
    const v = d.fields[f.key]?.trim();
    if (!v) continue;
    auth[f.key] = f.key === 'scopes' ? v.split(/\s+/) : v;
  }
  return { id: d.id.trim(), app: d.app, name: d.name.trim(), auth, ...(d.baseUrl.trim() ? { baseUrl: d.baseUrl.trim() } : {}) };
}

function ConnectionForm(props: { onCreated: (id: string) => void }) {
  const [d, setD] = useState<Draft>(() => draftFor(APP_SPECS[0]!.id));
  const [errors, setErrors] = useState<{ path: string; message: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const spec = appSpec(d.app);
  const errorAt = (path: string) => errors.filter((e) => e.path === path).map((e) => e.message).join('; ');
  const create = async () => {
    try {
      await post('/api/connections', bodyOf(d));
      setErrors([]);
      setError(null);
      props.onCreated(d.id);
      setD(draftFor(d.app));
    } catch (e) {
      const body = e instanceof ApiError ? (e.body as { errors?: { path: string; message: string }[] }) : undefined;
      setErrors(body?.errors ?? []);
      setError((e as Error).message);
    }
  };
  return (
    <form
      className="fd-card"
      data-testid="connection-form"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <h3>New connection</h3>
      <Select label="App" value={d.app} options={APP_SPECS.map((a) => a.id)} onChange={(app) => app && setD(draftFor(app))} testid="conn-app" />
      {spec && <p className="fd-hint">{spec.help}</p>}
      <Text label="Id (what flows name)" value={d.id} onChange={(v) => setD({ ...d, id: v ?? '' })} testid="conn-id" />
      <Text label="Name" value={d.name} onChange={(v) => setD({ ...d, name: v ?? '' })} testid="conn-name" />
      <Text label={spec?.baseUrl ? `Base URL (default ${spec.baseUrl})` : 'Base URL'} value={d.baseUrl} onChange={(v) => setD({ ...d, baseUrl: v ?? '' })} testid="conn-base-url" />
      {errorAt('/baseUrl') && <div className="fd-field-error">{errorAt('/baseUrl')}</div>}
      <Select label="Auth" value={d.type} options={[...(spec?.auth ?? ['bearer'])]} onChange={(t) => t && setD({ ...d, type: t as ConnectionAuthType, fields: defaultsFor(d.app, t as ConnectionAuthType) })} testid="conn-auth-type" />
      {FIELDS[d.type].map((f) =>
        f.options ? (
          <Select key={f.key} label={f.label} value={d.fields[f.key]} options={f.options} onChange={(v) => setD({ ...d, fields: { ...d.fields, [f.key]: v ?? '' } })} testid={`conn-${f.key}`} />
        ) : (
          <Field key={f.key} label={f.label}>
            {f.multiline ? (
              <textarea
                rows={6}
                autoComplete="off"
                spellCheck={false}
                value={d.fields[f.key] ?? ''}
                onChange={(e) => setD({ ...d, fields: { ...d.fields, [f.key]: e.target.value } })}
                data-testid={`conn-${f.key}`}
              />
            ) : (
            <input
              type={f.secret ? 'password' : 'text'}
              autoComplete="off"
              placeholder={f.secret ? spec?.credentialHint : undefined}
              value={d.fields[f.key] ?? ''}
              onChange={(e) => setD({ ...d, fields: { ...d.fields, [f.key]: e.target.value } })}
              data-testid={`conn-${f.key}`}
            />
            )}
            {errorAt(`/auth/${f.key}`) && <div className="fd-field-error">{errorAt(`/auth/${f.key}`)}</div>}
          </Field>
        ),
      )}
      {error && (
        <div className="fd-callout error" data-testid="conn-error">
          {error}
          {errors.length > 0 && (
            <ul>
              {errors.map((e, i) => (
                <li key={i}>
                  <code>{e.path}</code> {e.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <button type="submit" className="fd-btn primary" data-testid="conn-create">
        Create
      </button>
    </form>
  );
}

export function ConnectionsPage() {
  const list = usePoll(useCallback(() => get<ConnectionView[]>('/api/connections'), []), 10_000);
  const [msg, setMsg] = useState<{ id: string; kind: 'ok' | 'error'; text: string } | null>(null);
  const test = async (id: string) => {
    setMsg({ id, kind: 'ok', text: 'Testing…' });
    try {
      const r = await post<{ ok: boolean; message?: string; error?: string }>(`/api/connections/${id}/test`);
      setMsg({ id, kind: r.ok ? 'ok' : 'error', text: r.ok ? `Works: ${r.message}` : `Failed: ${r.error}` });
    } catch (e) {
      setMsg({ id, kind: 'error', text: (e as Error).message });
    }
    list.refresh();
  };
  const connect = async (id: string) => {
    try {
      const r = await post<{ authorizeUrl: string }>(`/api/connections/${id}/connect`);
      window.location.assign(r.authorizeUrl);
    } catch (e) {
      setMsg({ id, kind: 'error', text: (e as Error).message });
    }
  };
  const remove = async (id: string) => {
    try {
      const c = await get<{ usedBy: { flowId: string; nodeIds: string[] }[] }>(`/api/connections/${id}`);
      const uses = c.usedBy.map((u) => `• ${u.flowId} (${u.nodeIds.join(', ')})`).join('\n');
      const text = c.usedBy.length ? `Delete connection ${id}? These flows use it; their steps will end "not configured":\n${uses}` : `Delete connection ${id}? No flow uses it.`;
      if (!confirm(text)) return;
      await del(`/api/connections/${id}?force=true`);
      setMsg({ id, kind: 'ok', text: `Deleted ${id}.` });
    } catch (e) {
      setMsg({ id, kind: 'error', text: (e as Error).message });
    }
    list.refresh();
  };
  return (
    <div className="fd-page" data-testid="connections">
      <h2>Connections</h2>
      <p className="fd-hint">
        The credentials your flows use, by id. Secrets are encrypted on disk and never shown again ({MASK}); each is sent only to its app's API or its base URL.
      </p>
      {list.error && <div className="fd-callout error">{list.error}</div>}
      {list.data && list.data.length === 0 && <p className="fd-hint">No connections yet.</p>}
      {list.data?.map((c) => (
        <div className="fd-card" key={c.id} data-testid="connection" data-id={c.id}>
          <div className="fd-row">
            <b>{c.name}</b> <code>{c.id}</code> <span className="fd-pill">{appSpec(c.app)?.label ?? c.app}</span>{' '}
            <span className={`fd-pill status-${c.status}`} data-testid="conn-status">
              {c.status}
            </span>
            <small className="fd-grow">{c.baseUrl ?? appSpec(c.app)?.baseUrl}</small>
            <button type="button" className="fd-btn small" onClick={() => void test(c.id)} data-testid="conn-test">
              Test
            </button>
            {c.auth.type === 'oauth2' && c.auth.grant === 'authorization_code' && (
              <button type="button" className="fd-btn small primary" onClick={() => void connect(c.id)} data-testid="conn-connect">
                {c.oauth?.connected ? 'Reconnect' : 'Connect'}
              </button>
            )}
            <button type="button" className="fd-btn small" onClick={() => void remove(c.id)} data-testid="conn-delete">
              Delete
            </button>
          </div>
          {c.brokenReason && <div className="fd-field-error">{c.brokenReason}</div>}
          {msg?.id === c.id && (
            <div className={`fd-callout ${msg.kind === 'error' ? 'error' : ''}`} data-testid="conn-test-result">
              {msg.text}
            </div>
          )}
        </div>
      ))}
      <ConnectionForm onCreated={() => list.refresh()} />
    </div>
  );
}
