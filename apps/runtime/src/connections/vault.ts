// The connection vault: connections in the store's `connections` collection with their secrets sealed
// (AES-256-GCM under the master key), views with the secrets masked, and the credentials a connector
// call needs — OAuth2 access tokens refreshed before expiry (and on demand after a 401) under a lock
// in the store, so two runs, or two instances sharing PostgreSQL, never race a rotating refresh token.
//
// Nothing here keeps connections in memory between calls: every use reads the store, so a change made
// through another instance is seen at once. What it does keep is the set of secret values this process
// has decrypted, for redaction.
import { randomUUID } from 'node:crypto';
import {
  APP_SPECS,
  appSpec,
  checkConnectionInput,
  maskAuth,
  paramsWithRole,
  SECRET_FIELDS,
  type ConnectionAuth,
  type ConnectionInput,
  type ConnectionView,
  type FieldError,
  type Flow,
} from '@flowdesk/schema';
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/types.ts';
import { egressPolicy, type EgressPolicy } from '../security/egress.ts';
import type { MasterKey } from './master-key.ts';
import { seal, unseal, UnsealError, type Sealed } from './seal.ts';
import { clientCredentialsToken, refreshTokens, serviceAccountKey, serviceAccountToken, TokenEndpointError, type TokenSet } from './oauth-client.ts';

/** A connection as stored: its auth and tokens sealed, nothing secret in clear. */
export interface StoredConnection {
  id: string;
  app: string;
  name: string;
  baseUrl?: string;
  authType: ConnectionAuth['type'];
  auth: Sealed;
  /** OAuth2: the current tokens, sealed */
  tokens?: Sealed;
  /** bumped by every token change: a refresh applies only to the version it saw */
  tokenVersion: number;
  expiresAt?: string;
  scopes?: string[];
  /** the refresh lock: who refreshes, until when (a holder that died frees it then) */
  refreshLock?: { owner: string; until: string };
  broken?: { reason: string; at: string };
  createdAt: string;
  updatedAt: string;
  [k: string]: unknown;
}

export interface ResolvedConnection extends ConnectionInput {
  tokenVersion: number;
  expiresAt?: string;
  hasTokens: boolean;
}

/** What started a credential use: the run step, for the alert of a connection that breaks. */
export interface UseCause {
  flowId?: string;
  runId?: string;
  nodeId?: string;
}

export class ConnectionApiError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422,
    message: string,
    readonly errors?: FieldError[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The connection a step names does not exist, or an OAuth2 one was never connected. */
export class ConnectionNotConfigured extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionNotConfigured';
  }
}

/** The connection exists but cannot be used (refresh refused, undecryptable): fix it on the Connections page. */
export class ConnectionBroken extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionBroken';
  }
}

/** The token endpoint could not be reached: retry the step later. */
export class ConnectionUnavailable extends Error {
  constructor(
    message: string,
    readonly kind: 'network' | 'timeout' | '5xx',
  ) {
    super(message);
    this.name = 'ConnectionUnavailable';
  }
}

export interface VaultOptions {
  store: Store;
  masterKey: MasterKey;
  clock: Clock;
  log: Logger;
  /** the latest version of every flow (to list what uses a connection) */
  flows: () => Flow[];
  /** called once when a connection becomes broken (raises the alert) */
  onBroken?: (c: { id: string; app: string; name: string; reason: string }, cause: UseCause) => Promise<void>;
  /** a connection was created or changed (clears the not-configured alert marks) */
  onChanged?: (id: string) => Promise<void>;
  /** the egress rules every call with a connection's credential follows (FLOWDESK_EGRESS_ALLOW); default: no allow list */
  egress?: EgressPolicy;
}

/** Refresh an access token this long before it expires. */
export const REFRESH_SKEW_MS = 60_000;
/** A refresh lock not released within this (its holder died) is free again. */
export const REFRESH_LEASE_MS = 30_000;
const RETIRED_KEEP = 200;

const aad = (id: string, field: 'auth' | 'tokens') => `flowdesk-connection:${id}/${field}`;

/** A service account's key that is PEM-shaped but not a usable RSA key is refused like any bad field. */
function usableKey(auth: ConnectionAuth): void {
  if (auth.type !== 'serviceAccount') return;
  const key = serviceAccountKey(auth.privateKey);
  if (typeof key === 'string') throw new ConnectionApiError(422, 'the connection is invalid', [{ path: '/auth/privateKey', message: key.replace(/^auth\.privateKey /, '') }]);
}

export class ConnectionVault {
  private readonly instance = randomUUID();
  private readonly current = new Map<string, string[]>();
  private retired: string[] = [];
  private inflight = new Map<string, Promise<string>>();
  /** bumped whenever the set of known secret values changes (the redactor rebuilds then) */
  version = 0;

  constructor(private readonly o: VaultOptions) {}

  /** the egress rules for calls carrying this vault's credentials */
  get egress(): EgressPolicy {
    return this.o.egress ?? egressPolicy({});
  }

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }

  // ── redaction ──

  /** Every secret value this process has seen in clear (current and recently replaced). */
  secretValues(): string[] {
    return [...new Set([...[...this.current.values()].flat(), ...this.retired])];
  }

  private remember(id: string, values: string[]): void {
    const clean = values.filter((v) => typeof v === 'string' && v.length > 0);
    const before = this.current.get(id) ?? [];
    if (before.length === clean.length && before.every((v, i) => v === clean[i])) return;
    this.retired = [...before.filter((v) => !clean.includes(v)), ...this.retired].slice(0, RETIRED_KEEP);
    this.current.set(id, clean);
    this.version++;
  }

  private secretsOf(id: string, auth: ConnectionAuth, tokens?: TokenSet): void {
    const a = auth as unknown as Record<string, unknown>;
    const values = SECRET_FIELDS[auth.type].map((f) => a[f]).filter((v): v is string => typeof v === 'string');
    if (auth.type === 'basic') values.push(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
    if (tokens) values.push(tokens.accessToken, ...(tokens.refreshToken ? [tokens.refreshToken] : []));
    this.remember(id, values);
  }

  /** Decrypts every stored connection once, so their secrets are redacted from the first run on. */
  async warmUp(): Promise<void> {
    for (const doc of await this.docs()) {
      try {
        const auth = unseal<ConnectionAuth>(doc.auth, this.o.masterKey, aad(doc.id, 'auth'));
        const tokens = doc.tokens ? unseal<TokenSet>(doc.tokens, this.o.masterKey, aad(doc.id, 'tokens')) : undefined;
        this.secretsOf(doc.id, auth, tokens);
      } catch (e) {
        this.o.log.error({ connection: doc.id, err: (e as Error).message }, `connection ${doc.id} cannot be decrypted`);
      }
    }
  }

  // ── the API ──

  private async docs(): Promise<StoredConnection[]> {
    return (await this.o.store.listDocs('connections')) as StoredConnection[];
  }

  private async doc(id: string): Promise<StoredConnection | undefined> {
    return (await this.o.store.getDoc('connections', id)) as StoredConnection | undefined;
  }

  private open(doc: StoredConnection): ConnectionAuth {
    try {
      return unseal<ConnectionAuth>(doc.auth, this.o.masterKey, aad(doc.id, 'auth'));
    } catch (e) {
      throw new ConnectionBroken(`connection ${doc.id} cannot be decrypted: ${(e as Error).message}`);
    }
  }

  private view(doc: StoredConnection): ConnectionView {
    let auth: ConnectionView['auth'];
    try {
      auth = maskAuth(this.open(doc));
    } catch {
      auth = { type: doc.authType };
    }
    const oauth = doc.authType === 'oauth2' || doc.authType === 'serviceAccount' ? { connected: doc.tokens !== undefined, ...(doc.expiresAt ? { expiresAt: doc.expiresAt } : {}), ...(doc.scopes ? { scopes: doc.scopes } : {}) } : undefined;
    const needsConnect = doc.authType === 'oauth2' && !doc.tokens && (auth as { grant?: string }).grant === 'authorization_code';
    return {
      id: doc.id,
      app: doc.app,
      name: doc.name,
      auth,
      ...(doc.baseUrl ? { baseUrl: doc.baseUrl } : {}),
      status: doc.broken ? 'broken' : needsConnect ? 'not-connected' : 'ready',
      ...(doc.broken ? { brokenReason: doc.broken.reason } : {}),
      ...(oauth ? { oauth } : {}),
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
    };
  }

  async list(): Promise<ConnectionView[]> {
    return (await this.docs()).map((d) => this.view(d)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(id: string): Promise<(ConnectionView & { usedBy: { flowId: string; nodeIds: string[] }[] }) | undefined> {
    const doc = await this.doc(id);
    return doc ? { ...this.view(doc), usedBy: this.usedBy(id) } : undefined;
  }

  /** The flows (latest versions) whose action nodes name this connection. */
  usedBy(id: string): { flowId: string; nodeIds: string[] }[] {
    const out: { flowId: string; nodeIds: string[] }[] = [];
    for (const f of this.o.flows()) {
      const nodeIds = f.nodes.filter((n) => n.type === 'action' && paramsWithRole(n, 'connection').some((p) => p.value === id)).map((n) => n.id);
      if (nodeIds.length) out.push({ flowId: f.id, nodeIds });
    }
    return out;
  }

  async create(body: unknown): Promise<ConnectionView> {
    const checked = checkConnectionInput(body, APP_SPECS);
    if (!checked.ok) throw new ConnectionApiError(422, 'the connection is invalid', checked.errors);
    const c = checked.value;
    usableKey(c.auth);
    const now = this.now();
    const doc: StoredConnection = {
      id: c.id,
      app: c.app,
      name: c.name,
      ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
      authType: c.auth.type,
      auth: seal(c.auth, this.o.masterKey, aad(c.id, 'auth')),
      tokenVersion: 0,
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.o.store.updateDoc('connections', c.id, (cur) => (cur ? undefined : doc));
    if (!created) throw new ConnectionApiError(409, `connection ${c.id} already exists (PUT /api/connections/${c.id} changes it)`);
    this.secretsOf(c.id, c.auth);
    await this.o.onChanged?.(c.id);
    return this.view(doc);
  }

  async update(id: string, body: unknown): Promise<ConnectionView> {
    const doc = await this.doc(id);
    if (!doc) throw new ConnectionApiError(404, `connection ${id} not found`);
    const before = this.open(doc);
    const existing: ConnectionInput = { id, app: doc.app, name: doc.name, auth: before, ...(doc.baseUrl ? { baseUrl: doc.baseUrl } : {}) };
    const checked = checkConnectionInput(body, APP_SPECS, existing);
    if (!checked.ok) throw new ConnectionApiError(422, 'the connection is invalid', checked.errors);
    const c = checked.value;
    usableKey(c.auth);
    const authChanged = JSON.stringify(c.auth) !== JSON.stringify(before);
    const now = this.now();
    const next = await this.o.store.updateDoc('connections', id, (cur) => {
      if (!cur) return undefined;
      const d = cur as StoredConnection;
      const out: StoredConnection = { ...d, name: c.name, updatedAt: now };
      if (c.baseUrl) out.baseUrl = c.baseUrl;
      else delete out.baseUrl;
      if (authChanged) {
        // new credentials: tokens of the old ones, and the old breakage, go
        out.auth = seal(c.auth, this.o.masterKey, aad(id, 'auth'));
        out.authType = c.auth.type;
        out.tokenVersion = d.tokenVersion + 1;
        for (const k of ['tokens', 'expiresAt', 'scopes', 'refreshLock', 'broken'] as const) delete out[k];
      }
      return out;
    });
    if (!next) throw new ConnectionApiError(404, `connection ${id} not found`);
    if (authChanged) this.secretsOf(id, c.auth);
    await this.o.onChanged?.(id);
    return this.view(next as StoredConnection);
  }

  async remove(id: string, force: boolean): Promise<{ id: string; deleted: true; usedBy: { flowId: string; nodeIds: string[] }[] }> {
    const doc = await this.doc(id);
    if (!doc) throw new ConnectionApiError(404, `connection ${id} not found`);
    const usedBy = this.usedBy(id);
    if (usedBy.length && !force) {
      const names = usedBy.map((u) => `${u.flowId} (${u.nodeIds.join(', ')})`).join('; ');
      throw new ConnectionApiError(409, `connection ${id} is used by ${usedBy.length} flow${usedBy.length > 1 ? 's' : ''}: ${names}. Their steps will end not-configured; DELETE with ?force=true to delete it anyway`, undefined, { usedBy });
    }
    await this.o.store.deleteDoc('connections', id);
    return { id, deleted: true, usedBy };
  }

  // ── use by connectors ──

  /** The connection in clear for a call; throws ConnectionNotConfigured when absent, ConnectionBroken when broken. */
  async resolve(id: string): Promise<ResolvedConnection> {
    const doc = await this.doc(id);
    if (!doc) throw new ConnectionNotConfigured(`connection "${id}" does not exist: create it on the Connections page`);
    if (doc.broken) throw new ConnectionBroken(`connection "${id}" is broken: ${doc.broken.reason}. Fix or reconnect it on the Connections page`);
    const auth = this.open(doc);
    if (!appSpec(doc.app)) throw new ConnectionBroken(`connection "${id}" is for app "${doc.app}", which this release does not know`);
    this.secretsOf(id, auth, doc.tokens ? this.tokensOf(doc) : undefined);
    return {
      id,
      app: doc.app,
      name: doc.name,
      auth,
      ...(doc.baseUrl ? { baseUrl: doc.baseUrl } : {}),
      tokenVersion: doc.tokenVersion,
      ...(doc.expiresAt ? { expiresAt: doc.expiresAt } : {}),
      hasTokens: doc.tokens !== undefined,
    };
  }

  private tokensOf(doc: StoredConnection): TokenSet {
    try {
      return unseal<TokenSet>(doc.tokens!, this.o.masterKey, aad(doc.id, 'tokens'));
    } catch (e) {
      throw new ConnectionBroken(`connection ${doc.id}'s tokens cannot be decrypted: ${(e as Error).message}`);
    }
  }

  /**
   * An OAuth2 connection's access token: the stored one while it has more than a minute to live, else
   * a refreshed one. `staleVersion`: the token of that version was refused (a 401): refresh it.
   */
  async accessToken(id: string, cause: UseCause, staleVersion?: number): Promise<{ token: string; version: number }> {
    const doc = await this.doc(id);
    if (!doc) throw new ConnectionNotConfigured(`connection "${id}" does not exist`);
    if (doc.broken) throw new ConnectionBroken(`connection "${id}" is broken: ${doc.broken.reason}. Reconnect it on the Connections page`);
    const auth = this.open(doc);
    if (auth.type !== 'oauth2' && auth.type !== 'serviceAccount') throw new Error(`connection ${id} is not an OAuth2 or service-account connection`);
    const tokens = doc.tokens ? this.tokensOf(doc) : undefined;
    if (!tokens && auth.type === 'oauth2' && auth.grant === 'authorization_code') {
      throw new ConnectionNotConfigured(`connection "${id}" is not connected yet: press Connect on the Connections page`);
    }
    const fresh = tokens && staleVersion !== doc.tokenVersion && (!doc.expiresAt || Date.parse(doc.expiresAt) - this.o.clock.now() > REFRESH_SKEW_MS);
    if (fresh) {
      this.secretsOf(id, auth, tokens);
      return { token: tokens.accessToken, version: doc.tokenVersion };
    }
    const token = await this.refresh(id, doc.tokenVersion, cause);
    const after = await this.doc(id);
    return { token, version: after?.tokenVersion ?? doc.tokenVersion + 1 };
  }

  /** Replaces tokens of `seenVersion` once, whoever asks: one refresh per version across runs and instances. */
  private refresh(id: string, seenVersion: number, cause: UseCause): Promise<string> {
    const key = `${id}@${seenVersion}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.refreshUnderLock(id, seenVersion, cause).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async refreshUnderLock(id: string, seenVersion: number, cause: UseCause): Promise<string> {
    const waitUntil = performance.now() + REFRESH_LEASE_MS + 5_000;
    for (;;) {
      const nowMs = this.o.clock.now();
      const claimed = (await this.o.store.updateDoc('connections', id, (cur) => {
        const d = cur as StoredConnection | undefined;
        if (!d || d.broken || d.tokenVersion !== seenVersion) return undefined;
        if (d.refreshLock && Date.parse(d.refreshLock.until) > nowMs && d.refreshLock.owner !== this.instance) return undefined;
        return { ...d, refreshLock: { owner: this.instance, until: new Date(nowMs + REFRESH_LEASE_MS).toISOString() } };
      })) as StoredConnection | undefined;
      if (claimed) return this.refreshHeld(claimed, cause);
      // someone else holds the lock, or already refreshed: use what they stored
      const cur = await this.doc(id);
      if (!cur) throw new ConnectionNotConfigured(`connection "${id}" does not exist`);
      if (cur.broken) throw new ConnectionBroken(`connection "${id}" is broken: ${cur.broken.reason}. Reconnect it on the Connections page`);
      if (cur.tokenVersion !== seenVersion && cur.tokens) {
        const tokens = this.tokensOf(cur);
        this.secretsOf(id, this.open(cur), tokens);
        return tokens.accessToken;
      }
      if (performance.now() > waitUntil) throw new ConnectionUnavailable(`connection "${id}": another instance has been refreshing its token for too long`, 'timeout');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async refreshHeld(doc: StoredConnection, cause: UseCause): Promise<string> {
    const auth = this.open(doc) as Extract<ConnectionAuth, { type: 'oauth2' | 'serviceAccount' }>;
    const clientAuth = appSpec(doc.app)?.oauth2?.clientAuth;
    const release = (patch: (d: StoredConnection) => StoredConnection) =>
      this.o.store.updateDoc('connections', doc.id, (cur) => {
        const d = cur as StoredConnection | undefined;
        if (!d || d.refreshLock?.owner !== this.instance || d.tokenVersion !== doc.tokenVersion) return undefined;
        const { refreshLock: _lock, ...rest } = d;
        return patch(rest as StoredConnection);
      });
    let tokens: TokenSet;
    try {
      const nowMs = this.o.clock.now();
      tokens =
        auth.type === 'serviceAccount'
          ? await serviceAccountToken(auth, nowMs, this.egress)
          : auth.grant === 'client_credentials'
            ? await clientCredentialsToken(auth, clientAuth, nowMs, this.egress)
            : await refreshTokens(auth, clientAuth, this.tokensOf(doc), nowMs, this.egress);
    } catch (e) {
      const err = e instanceof TokenEndpointError ? e : new TokenEndpointError('unavailable', (e as Error).message);
      if (err.kind === 'unavailable') {
        await release((d) => d);
        throw new ConnectionUnavailable(`connection "${doc.id}": ${err.message}`, 'network');
      }
      const reason = `${err.message}; reconnect it on the Connections page`;
      const marked = await release((d) => ({ ...d, broken: { reason, at: this.now() }, updatedAt: this.now() }));
      if (marked) {
        this.o.log.warn({ connection: doc.id, app: doc.app, reason: err.message }, `connection ${doc.id} is broken`);
        await this.o.onBroken?.({ id: doc.id, app: doc.app, name: doc.name, reason }, cause).catch((x: Error) => this.o.log.error({ err: x.message }, 'raising the broken-connection alert failed'));
      }
      throw new ConnectionBroken(`connection "${doc.id}" is broken: ${reason}`);
    }
    this.secretsOf(doc.id, auth, tokens);
    const stored = await release((d) => this.withTokens(d, tokens));
    if (!stored) throw new ConnectionUnavailable(`connection "${doc.id}" changed while its token was refreshed`, 'network');
    return tokens.accessToken;
  }

  private withTokens(d: StoredConnection, tokens: TokenSet): StoredConnection {
    const out: StoredConnection = { ...d, tokens: seal(tokens, this.o.masterKey, aad(d.id, 'tokens')), tokenVersion: d.tokenVersion + 1, updatedAt: this.now() };
    if (tokens.expiresAt) out.expiresAt = tokens.expiresAt;
    else delete out.expiresAt;
    if (tokens.scopes) out.scopes = tokens.scopes;
    delete out.broken;
    return out;
  }

  /** Stores the tokens of a completed "Connect" (the OAuth2 callback). */
  async connected(id: string, tokens: TokenSet): Promise<void> {
    const next = await this.o.store.updateDoc('connections', id, (cur) => (cur ? this.withTokens(cur as StoredConnection, tokens) : undefined));
    if (!next) throw new ConnectionApiError(404, `connection ${id} no longer exists`);
    this.secretsOf(id, this.open(next as StoredConnection), tokens);
    await this.o.onChanged?.(id);
  }

  /** The clear auth of a stored connection (the OAuth2 "Connect" needs its client settings). */
  async authOf(id: string): Promise<{ app: string; auth: ConnectionAuth } | undefined> {
    const doc = await this.doc(id);
    return doc ? { app: doc.app, auth: this.open(doc) } : undefined;
  }
}

export { UnsealError };
