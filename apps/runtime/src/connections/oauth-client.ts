// OAuth2 token requests (authorization code with PKCE, refresh, client credentials, and a service
// account's JWT bearer grant) through oauth4webapi, its HTTP going over the connectors' guarded
// transport. Flowdesk is an OAuth2 client here, not an OpenID relying party: an id_token in an answer is
// dropped unread.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import type { ConnectionAuth } from '@flowdesk/schema';
import { outboundFetch, type OutboundError } from '../connectors/transport.ts';
import type { EgressPolicy } from '../security/egress.ts';

type OAuth2Auth = Extract<ConnectionAuth, { type: 'oauth2' }>;
type ServiceAccountAuth = Extract<ConnectionAuth, { type: 'serviceAccount' }>;

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  /** ISO time; absent when the provider said nothing about expiry */
  expiresAt?: string;
  scopes?: string[];
}

/** The token endpoint refused (the grant is dead: reconnect) or was unavailable (try again later). */
export class TokenEndpointError extends Error {
  constructor(
    readonly kind: 'refused' | 'unavailable',
    message: string,
    readonly oauthError?: string,
  ) {
    super(message);
    this.name = 'TokenEndpointError';
  }
}

const TOKEN_TIMEOUT_MS = 10_000;

/** Token responses as oauth4webapi expects them: no id_token, and a Slack-style `200 {ok:false, error}` as the error it is. */
async function tokenFetch(url: string, init: Parameters<typeof outboundFetch>[1], policy: EgressPolicy): Promise<Response> {
  const res = await outboundFetch(url, init, policy, TOKEN_TIMEOUT_MS);
  if (!(res.headers.get('content-type') ?? '').includes('json')) return res;
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') return new Response('not JSON', { status: res.status, headers: res.headers });
  delete body.id_token;
  let status = res.status;
  if (status === 200 && body.ok === false && typeof body.error === 'string') status = 400;
  // a 'bot' token (Slack) is used as a bearer token
  if (typeof body.token_type === 'string' && body.token_type.toLowerCase() === 'bot') body.token_type = 'bearer';
  if (body.access_token !== undefined && body.token_type === undefined) body.token_type = 'bearer';
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function parts(auth: OAuth2Auth, clientAuth: 'basic' | 'post' = 'basic', policy: EgressPolicy) {
  const token = new URL(auth.tokenUrl);
  const as: oauth.AuthorizationServer = {
    issuer: token.origin,
    token_endpoint: auth.tokenUrl,
    ...(auth.authorizeUrl ? { authorization_endpoint: auth.authorizeUrl } : {}),
  };
  const client: oauth.Client = { client_id: auth.clientId };
  const clientAuthentication = clientAuth === 'post' ? oauth.ClientSecretPost(auth.clientSecret) : oauth.ClientSecretBasic(auth.clientSecret);
  const options = { [oauth.customFetch]: (url: string, init: Parameters<typeof outboundFetch>[1]) => tokenFetch(url, init, policy), ...(token.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}) };
  return { as, client, clientAuthentication, options };
}

function tokenSet(r: oauth.TokenEndpointResponse, nowMs: number, previous?: TokenSet): TokenSet {
  return {
    accessToken: r.access_token,
    tokenType: r.token_type,
    // a refresh answer without a refresh_token keeps the old one (RFC 6749 §6)
    ...(r.refresh_token ? { refreshToken: r.refresh_token } : previous?.refreshToken ? { refreshToken: previous.refreshToken } : {}),
    ...(typeof r.expires_in === 'number' ? { expiresAt: new Date(nowMs + r.expires_in * 1000).toISOString() } : {}),
    ...(typeof r.scope === 'string' ? { scopes: r.scope.split(/[\s,]+/).filter(Boolean) } : previous?.scopes ? { scopes: previous.scopes } : {}),
  };
}

function classify(e: unknown, what: string): TokenEndpointError {
  if (e instanceof TokenEndpointError) return e;
  if (e instanceof oauth.ResponseBodyError) {
    const desc = e.error_description ? `: ${e.error_description}` : '';
    const refused = e.status >= 400 && e.status < 500 && e.status !== 429;
    return new TokenEndpointError(refused ? 'refused' : 'unavailable', `${what}: the provider answered ${e.status} ${e.error}${desc}`, e.error);
  }
  const err = e as Error & { code?: string; cause?: unknown };
  if (err.name === 'OutboundError') return new TokenEndpointError((err as OutboundError).kind === 'refused' ? 'refused' : 'unavailable', `${what}: ${err.message}`);
  if (err.code === oauth.RESPONSE_IS_NOT_CONFORM) {
    const status = (err.cause as Response | undefined)?.status;
    const refused = typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
    return new TokenEndpointError(refused ? 'refused' : 'unavailable', `${what}: the provider answered HTTP ${status ?? '?'}`);
  }
  return new TokenEndpointError('unavailable', `${what}: ${err.message}`);
}

/** The authorization URL to send the founder to (PKCE S256). */
export async function authorizationUrl(auth: OAuth2Auth, p: { redirectUri: string; state: string; codeVerifier: string }): Promise<string> {
  if (!auth.authorizeUrl) throw new Error('auth.authorizeUrl is required to connect');
  const url = new URL(auth.authorizeUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', auth.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('state', p.state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(p.codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (auth.scopes?.length) url.searchParams.set('scope', auth.scopes.join(' '));
  return url.href;
}

export const newCodeVerifier = (): string => oauth.generateRandomCodeVerifier();

/** Exchanges the code of a callback (its query, whose `state` the caller has matched already) for tokens. */
export async function exchangeCode(auth: OAuth2Auth, clientAuth: 'basic' | 'post' | undefined, p: { callback: URLSearchParams; state: string; redirectUri: string; codeVerifier: string; nowMs: number }, policy: EgressPolicy): Promise<TokenSet> {
  const { as, client, clientAuthentication, options } = parts(auth, clientAuth, policy);
  try {
    const params = oauth.validateAuthResponse(as, client, p.callback, p.state);
    const res = await oauth.authorizationCodeGrantRequest(as, client, clientAuthentication, params, p.redirectUri, p.codeVerifier, options);
    return tokenSet(await oauth.processAuthorizationCodeResponse(as, client, res), p.nowMs);
  } catch (e) {
    throw classify(e, 'exchanging the authorization code');
  }
}

export async function refreshTokens(auth: OAuth2Auth, clientAuth: 'basic' | 'post' | undefined, previous: TokenSet, nowMs: number, policy: EgressPolicy): Promise<TokenSet> {
  if (!previous.refreshToken) throw new TokenEndpointError('refused', 'the provider gave no refresh token: reconnect the connection');
  const { as, client, clientAuthentication, options } = parts(auth, clientAuth, policy);
  try {
    const res = await oauth.refreshTokenGrantRequest(as, client, clientAuthentication, previous.refreshToken, options);
    return tokenSet(await oauth.processRefreshTokenResponse(as, client, res), nowMs, previous);
  } catch (e) {
    throw classify(e, 'refreshing the access token');
  }
}

export async function clientCredentialsToken(auth: OAuth2Auth, clientAuth: 'basic' | 'post' | undefined, nowMs: number, policy: EgressPolicy): Promise<TokenSet> {
  const { as, client, clientAuthentication, options } = parts(auth, clientAuth, policy);
  try {
    const params: Record<string, string> = auth.scopes?.length ? { scope: auth.scopes.join(' ') } : {};
    const res = await oauth.clientCredentialsGrantRequest(as, client, clientAuthentication, params, options);
    return tokenSet(await oauth.processClientCredentialsResponse(as, client, res), nowMs);
  } catch (e) {
    throw classify(e, 'requesting a client-credentials token');
  }
}

// ── service accounts: the JWT bearer grant (RFC 7523 §2.1), as Google's server-to-server OAuth 2.0 ──

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions that live at most an hour. */
const ASSERTION_LIFETIME_S = 3600;

/** The account's RSA private key; why it cannot be used, naming the field, else the key. */
export function serviceAccountKey(pem: string): KeyObject | string {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return 'auth.privateKey does not parse as a PEM private key (cut short or altered?): paste the private_key of the JSON key file whole';
  }
  if (key.asymmetricKeyType !== 'rsa') return `auth.privateKey is a ${key.asymmetricKeyType ?? 'non-RSA'} key; a service account signs with an RSA key (RS256)`;
  return key;
}

/** The signed assertion: iss the account, aud the token endpoint, scope, iat/exp from the injected clock. */
export async function serviceAccountAssertion(auth: ServiceAccountAuth, nowMs: number): Promise<string> {
  const key = serviceAccountKey(auth.privateKey);
  if (typeof key === 'string') throw new TokenEndpointError('refused', key);
  const iat = Math.floor(nowMs / 1000);
  // sub only for domain-wide delegation (Google: the user the account acts for)
  return new SignJWT({ scope: (auth.scopes ?? []).join(' '), ...(auth.subject ? { sub: auth.subject } : {}) })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(auth.privateKeyId ? { kid: auth.privateKeyId } : {}) })
    .setIssuer(auth.clientEmail)
    .setAudience(auth.tokenUrl)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_S)
    .sign(key);
}

/** The assertion is the whole proof: no client authentication, no client_id in the body. */
const noClientAuth: oauth.ClientAuth = () => undefined;

export async function serviceAccountToken(auth: ServiceAccountAuth, nowMs: number, policy: EgressPolicy): Promise<TokenSet> {
  const token = new URL(auth.tokenUrl);
  const as: oauth.AuthorizationServer = { issuer: token.origin, token_endpoint: auth.tokenUrl };
  const client: oauth.Client = { client_id: auth.clientEmail };
  const options = { [oauth.customFetch]: (url: string, init: Parameters<typeof outboundFetch>[1]) => tokenFetch(url, init, policy), ...(token.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}) };
  try {
    const assertion = await serviceAccountAssertion(auth, nowMs);
    const res = await oauth.genericTokenEndpointRequest(as, client, noClientAuth, JWT_BEARER_GRANT, { assertion }, options);
    // an answer without a refresh token: the next token is asked for with a new assertion
    return tokenSet(await oauth.processGenericTokenEndpointResponse(as, client, res), nowMs);
  } catch (e) {
    throw classify(e, `requesting a token for service account ${auth.clientEmail}`);
  }
}
