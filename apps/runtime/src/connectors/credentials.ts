// Where a connection's credential may go, and how it is put on a request. A credential is bound to its
// connection's base URL and its app's API hosts (design: "egress bound to the credential"): a flow that
// points a connector, or an http.request naming the connection, anywhere else gets a clear error and
// the credential stays home.
import { appSpec } from '@flowdesk/schema';
import { ActionFailure, NotConfigured } from '../actions/define.ts';
import { ConnectionBroken, ConnectionNotConfigured, ConnectionUnavailable, type ConnectionVault, type ResolvedConnection, type UseCause } from '../connections/vault.ts';

/** The origins (scheme://host:port) the connection's credential may be sent to. */
export function allowedOrigins(c: Pick<ResolvedConnection, 'app' | 'baseUrl'>): string[] {
  const app = appSpec(c.app);
  const out = new Set<string>();
  if (c.baseUrl) out.add(new URL(c.baseUrl).origin);
  if (app?.baseUrl) out.add(new URL(app.baseUrl).origin);
  for (const h of app?.hosts ?? []) out.add(`https://${h}`);
  return [...out];
}

/** The same origins as host names, for the egress guard's own check (security/egress: credentialHosts). */
export function credentialHostsOf(c: Pick<ResolvedConnection, 'app' | 'baseUrl'>): string[] {
  return [...new Set(allowedOrigins(c).map((o) => new URL(o).hostname.replace(/^\[|\]$/g, '')))];
}

/** The base URL the connector's paths are relative to. */
export function baseUrlOf(c: Pick<ResolvedConnection, 'app' | 'baseUrl'>): string {
  const base = c.baseUrl ?? appSpec(c.app)?.baseUrl;
  if (!base) throw new Error(`connection for ${c.app} has no base URL`);
  return base.replace(/\/+$/, '');
}

export function credentialAllowed(c: Pick<ResolvedConnection, 'app' | 'baseUrl'>, url: URL): boolean {
  return allowedOrigins(c).includes(url.origin);
}

export function refusal(c: Pick<ResolvedConnection, 'id' | 'app' | 'baseUrl'>, url: URL): string {
  return `connection "${c.id}" (${c.app}) sends its credential only to ${allowedOrigins(c).join(', ')}; refusing to send it to ${url.origin}`;
}

/**
 * Puts the credential on the request (headers and URL are changed in place). Returns the OAuth2 token
 * version used, so a 401 can ask for a newer one. `inPath`: the credential is the URL's secret tail
 * (Slack incoming webhooks) and is already in it.
 */
export async function applyCredential(
  vault: ConnectionVault,
  c: ResolvedConnection,
  url: URL,
  headers: Record<string, string>,
  cause: UseCause,
  opts: { inPath?: boolean; staleVersion?: number } = {},
): Promise<number | undefined> {
  const a = c.auth;
  switch (a.type) {
    case 'bearer':
      if (!opts.inPath) headers.authorization = `Bearer ${a.token}`;
      return undefined;
    case 'apiKey':
      if (a.in === 'header') headers[a.name.toLowerCase()] = a.value;
      else url.searchParams.set(a.name, a.value);
      return undefined;
    case 'basic':
      headers.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
      return undefined;
    case 'oauth2':
    case 'serviceAccount': {
      const t = await vault.accessToken(c.id, cause, opts.staleVersion);
      headers.authorization = `Bearer ${t.token}`;
      return t.version;
    }
  }
}

/** Whether the connection sends an access token it gets from a token endpoint (a 401 asks for a new one, once). */
export const usesAccessToken = (auth: ResolvedConnection['auth']): boolean => auth.type === 'oauth2' || auth.type === 'serviceAccount';

/** Resolves a step's connection: `not-configured` when it does not exist, a final error when it is broken or for another app. */
export async function connectionFor(vault: ConnectionVault | undefined, id: unknown, apps: readonly string[], action: string): Promise<ResolvedConnection> {
  if (typeof id !== 'string' || id.trim() === '') throw new NotConfigured(`${action} names no connection: pick one on the node (create it on the Connections page first)`);
  if (!vault) throw new ActionFailure('error', 'connections are not available in this runtime');
  let c: ResolvedConnection;
  try {
    c = await vault.resolve(id);
  } catch (e) {
    if (e instanceof ConnectionNotConfigured) throw new NotConfigured(`${e.message} (a ${apps.join(' or ')} connection)`);
    if (e instanceof ConnectionBroken) throw new ActionFailure('error', e.message);
    throw e;
  }
  if (!apps.includes('*') && !apps.includes(c.app)) throw new ActionFailure('error', `connection "${id}" is a ${c.app} connection; ${action} needs a ${apps.join(' or ')} connection`);
  return c;
}

/** Token troubles as step failures: unavailable → retryable, broken → final, never connected → not-configured. */
export function credentialFailure(e: unknown): never {
  if (e instanceof ConnectionUnavailable) throw new ActionFailure(e.kind, e.message);
  if (e instanceof ConnectionBroken) throw new ActionFailure('error', e.message);
  if (e instanceof ConnectionNotConfigured) throw new NotConfigured(e.message);
  throw e;
}

