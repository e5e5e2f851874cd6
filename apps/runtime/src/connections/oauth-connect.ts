// "Connect" for OAuth2 authorization-code connections. The editor asks for an authorization URL
// (POST /api/connections/:id/connect); the answer sets a cookie that binds the sign-in to this browser
// session and stores a single-use `state` (10 minutes) with the PKCE verifier, sealed. The provider
// sends the founder back to FLOWDESK_PUBLIC_URL + /oauth/callback (a public path). The callback
// honours a state only once, only before it expires, and only with the cookie of the session that
// started it — so an attacker's authorization code can never be bound to the founder's connection
// (login CSRF). When the public URL is another origin than the editor's (a tunnel), the callback
// forwards the founder's browser to the editor's origin, where its cookie is, without consuming the state.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { appSpec, type ConnectionAuth } from '@flowdesk/schema';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/types.ts';
import type { MasterKey } from './master-key.ts';
import { seal, unseal, type Sealed } from './seal.ts';
import { authorizationUrl, exchangeCode, newCodeVerifier, TokenEndpointError } from './oauth-client.ts';
import { ConnectionApiError, type ConnectionVault } from './vault.ts';

export const CALLBACK_PATH = '/oauth/callback';
export const STATE_TTL_MS = 10 * 60_000;
const STATE_PREFIX = 'oauth-state:';
const COOKIE_PREFIX = 'fd_oauth_';

interface StateDoc {
  id: string;
  connectionId: string;
  verifier: Sealed;
  sessionHash: string;
  redirectUri: string;
  editorOrigin: string;
  expiresAt: string;
  [k: string]: unknown;
}

export interface ConnectDeps {
  store: Store;
  vault: ConnectionVault;
  masterKey: MasterKey;
  clock: Clock;
  env: Record<string, string | undefined>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const cookieName = (stateHash: string) => `${COOKIE_PREFIX}${stateHash.slice(0, 16)}`;

/** Where the provider sends the founder back: FLOWDESK_PUBLIC_URL's, else the editor's own origin. */
export function redirectUriFor(env: Record<string, string | undefined>, editorOrigin: string): string {
  const pub = env.FLOWDESK_PUBLIC_URL?.trim().replace(/\/+$/, '');
  return `${pub || editorOrigin}${CALLBACK_PATH}`;
}

export interface StartedConnect {
  authorizeUrl: string;
  redirectUri: string;
  cookie: { name: string; value: string; maxAgeSeconds: number; path: string; secure: boolean };
}

export async function startConnect(d: ConnectDeps, id: string, editorOrigin: string): Promise<StartedConnect> {
  const found = await d.vault.authOf(id);
  if (!found) throw new ConnectionApiError(404, `connection ${id} not found`);
  const auth = found.auth;
  if (auth.type !== 'oauth2' || auth.grant !== 'authorization_code') {
    throw new ConnectionApiError(409, `connection ${id} uses ${auth.type === 'oauth2' ? `the ${auth.grant} grant` : `${auth.type} auth`}: only OAuth2 authorization-code connections are connected through the provider`);
  }
  const now = d.clock.now();
  await pruneExpired(d.store, now);
  const state = randomBytes(32).toString('base64url');
  const session = randomBytes(32).toString('base64url');
  const verifier = newCodeVerifier();
  const stateHash = sha256(state);
  const redirectUri = redirectUriFor(d.env, editorOrigin);
  const doc: StateDoc = {
    id: STATE_PREFIX + stateHash,
    connectionId: id,
    verifier: seal(verifier, d.masterKey, STATE_PREFIX + stateHash),
    sessionHash: sha256(session),
    redirectUri,
    editorOrigin,
    expiresAt: new Date(now + STATE_TTL_MS).toISOString(),
  };
  await d.store.putDoc('settings', doc);
  return {
    authorizeUrl: await authorizationUrl(auth, { redirectUri, state, codeVerifier: verifier }),
    redirectUri,
    cookie: { name: cookieName(stateHash), value: session, maxAgeSeconds: STATE_TTL_MS / 1000, path: CALLBACK_PATH, secure: editorOrigin.startsWith('https:') },
  };
}

async function pruneExpired(store: Store, nowMs: number): Promise<void> {
  for (const d of await store.listDocs('settings')) {
    if (d.id.startsWith(STATE_PREFIX) && Date.parse(String(d.expiresAt)) <= nowMs) await store.deleteDoc('settings', d.id);
  }
}

export type CallbackOutcome =
  | { kind: 'connected'; connectionId: string; clearCookie: string }
  | { kind: 'forward'; location: string }
  | { kind: 'refused'; status: 400 | 403 | 502; message: string; clearCookie?: string };

/** Cookies of a request, by name. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export async function finishConnect(
  d: ConnectDeps,
  query: Record<string, unknown>,
  cookies: Record<string, string>,
  requestOrigin: string,
  rawQuery: string,
): Promise<CallbackOutcome> {
  const state = typeof query.state === 'string' ? query.state : undefined;
  if (!state) return { kind: 'refused', status: 400, message: 'the provider sent no state: this is not the end of a sign-in Flowdesk started' };
  const stateHash = sha256(state);
  const id = STATE_PREFIX + stateHash;
  const doc = (await d.store.getDoc('settings', id)) as StateDoc | undefined;
  if (!doc) return { kind: 'refused', status: 400, message: 'unknown or already used state: this sign-in was not started by Flowdesk, or it was completed already. Start again from the Connections page' };
  if (Date.parse(doc.expiresAt) <= d.clock.now()) {
    await d.store.deleteDoc('settings', id);
    return { kind: 'refused', status: 400, message: 'this sign-in expired (10 minutes): start again from the Connections page', clearCookie: cookieName(stateHash) };
  }
  const session = cookies[cookieName(stateHash)];
  if (!session || !sameHash(sha256(session), doc.sessionHash)) {
    // the public URL is another origin (a tunnel): the cookie lives with the editor — go there, state untouched
    if (!session && doc.editorOrigin !== requestOrigin) return { kind: 'forward', location: `${doc.editorOrigin}${CALLBACK_PATH}${rawQuery}` };
    return { kind: 'refused', status: 403, message: 'this sign-in was started in another browser session: start again from the Connections page in this browser' };
  }
  // single use: whoever deletes it first completes it
  let claimed = false;
  await d.store.updateDoc('settings', id, (cur) => {
    if (cur && !cur.used) claimed = true;
    return cur && !cur.used ? { ...cur, used: true } : undefined;
  });
  if (!claimed) return { kind: 'refused', status: 400, message: 'this sign-in was completed already', clearCookie: cookieName(stateHash) };
  await d.store.deleteDoc('settings', id);
  const clearCookie = cookieName(stateHash);
  if (typeof query.error === 'string') {
    const desc = typeof query.error_description === 'string' ? `: ${query.error_description}` : '';
    return { kind: 'refused', status: 400, message: `the provider did not grant access (${query.error}${desc})`, clearCookie };
  }
  const code = typeof query.code === 'string' ? query.code : undefined;
  if (!code) return { kind: 'refused', status: 400, message: 'the provider sent no authorization code', clearCookie };
  const found = await d.vault.authOf(doc.connectionId);
  if (!found || found.auth.type !== 'oauth2') return { kind: 'refused', status: 400, message: `connection ${doc.connectionId} no longer exists or is no longer OAuth2`, clearCookie };
  const auth = found.auth as Extract<ConnectionAuth, { type: 'oauth2' }>;
  try {
    const verifier = unseal<string>(doc.verifier, d.masterKey, id);
    const callback = new URLSearchParams(rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery);
    const tokens = await exchangeCode(auth, appSpec(found.app)?.oauth2?.clientAuth, { callback, state, redirectUri: doc.redirectUri, codeVerifier: verifier, nowMs: d.clock.now() }, d.vault.egress);
    await d.vault.connected(doc.connectionId, tokens);
  } catch (e) {
    const msg = e instanceof TokenEndpointError ? e.message : `connecting failed: ${(e as Error).message}`;
    return { kind: 'refused', status: e instanceof TokenEndpointError && e.kind === 'refused' ? 400 : 502, message: msg, clearCookie };
  }
  return { kind: 'connected', connectionId: doc.connectionId, clearCookie };
}
