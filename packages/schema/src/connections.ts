// Connections: credentials as first-class objects (`/api/connections`). A connection is
// `{id, app, name, auth, baseUrl?}`; its secret fields are encrypted at rest and never leave the
// runtime in clear: the API answers them masked. The shapes below are the public contract (design.md).
// Pure: the runtime validates API input with checkConnectionInput, the editor its forms.
import type { FieldError } from './ajv-errors.ts';
import type { AppSpec } from './spec/app.ts';

export type ConnectionAuthType = 'bearer' | 'apiKey' | 'basic' | 'oauth2' | 'serviceAccount';
export const AUTH_TYPES: readonly ConnectionAuthType[] = ['bearer', 'apiKey', 'basic', 'oauth2', 'serviceAccount'];

export type ConnectionAuth =
  | { type: 'bearer'; token: string }
  | { type: 'apiKey'; in: 'header' | 'query'; name: string; value: string }
  | { type: 'basic'; username: string; password: string }
  | {
      type: 'oauth2';
      grant: 'authorization_code' | 'client_credentials';
      clientId: string;
      clientSecret: string;
      authorizeUrl?: string;
      tokenUrl: string;
      scopes?: string[];
    }
  | {
      /**
       * A service account (Google's server-to-server OAuth 2.0): an access token is asked for with an
       * RS256-signed assertion (RFC 7523 JWT bearer grant) posted to `tokenUrl`; the key never leaves.
       * Written as these fields, or as `keyFile` (the JSON key file Google Cloud hands out), which the
       * API expands into them.
       */
      type: 'serviceAccount';
      clientEmail: string;
      /** PEM (PKCS#8 `BEGIN PRIVATE KEY`, or PKCS#1 `BEGIN RSA PRIVATE KEY`) */
      privateKey: string;
      privateKeyId?: string;
      tokenUrl: string;
      scopes?: string[];
      /** a user the account acts for (Google Workspace domain-wide delegation) */
      subject?: string;
    };

export interface ConnectionInput {
  id: string;
  app: string;
  name: string;
  auth: ConnectionAuth;
  baseUrl?: string;
}

/** The fields of each auth shape that are secret: encrypted at rest, masked in every answer. */
export const SECRET_FIELDS: { readonly [T in ConnectionAuthType]: readonly string[] } = {
  bearer: ['token'],
  apiKey: ['value'],
  basic: ['password'],
  oauth2: ['clientSecret'],
  serviceAccount: ['privateKey'],
};

/** What the API answers in place of a secret; sent back unchanged in a PUT, it keeps the stored value. */
export const MASK = '********';

export type ConnectionStatus = 'ready' | 'not-connected' | 'broken';

/** A connection as the API answers it: secrets masked, OAuth2 tokens never shown. */
export interface ConnectionView {
  id: string;
  app: string;
  name: string;
  auth: Record<string, unknown> & { type: ConnectionAuthType };
  baseUrl?: string;
  /** `not-connected`: an authorization-code connection nobody has connected yet; `broken`: see `brokenReason` */
  status: ConnectionStatus;
  brokenReason?: string;
  oauth?: { connected: boolean; expiresAt?: string; scopes?: string[] };
  createdAt: string;
  updatedAt: string;
}

export const CONNECTION_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** An HTTP header name (RFC 9110 token) for apiKey-in-header. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers an apiKey may not claim: they carry the request's framing or another credential scheme's meaning. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'cookie', 'idempotency-key']);


type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** An http(s) URL with no credentials, query or fragment in it; the reason it is not, else undefined. */
export function baseUrlProblem(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'must be a string';
  const u = parseHttpUrl(v, 'must not carry a user name or password (use auth)');
  if (typeof u === 'string') return u;
  if (u.search || u.hash) return 'must not have a query or fragment';
  return undefined;
}

/** `v` as an absolute http(s) URL with no user info in it; else the reason it is not. */
function parseHttpUrl(v: string, userInfoProblem: string): URL | string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
  if (u.username || u.password) return userInfoProblem;
  return u;
}

/**
 * Checks a connection as written to the API (POST: `existing` undefined; PUT: the stored connection,
 * whose secrets a masked or missing secret field keeps). Returns the connection to store, or every
 * problem naming its field. `apps` are the known app specs.
 */
export function checkConnectionInput(
  body: unknown,
  apps: readonly AppSpec[],
  existing?: ConnectionInput,
): { ok: true; value: ConnectionInput } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });
  if (!isObj(body)) return { ok: false, errors: [{ path: '', message: 'must be a JSON object {id, app, name, auth, baseUrl?}' }] };
  for (const k of Object.keys(body)) if (!['id', 'app', 'name', 'auth', 'baseUrl'].includes(k) && !VIEW_ONLY.has(k)) err(`/${k}`, 'is not a connection field (id, app, name, auth, baseUrl)');

  const id = existing ? existing.id : body.id;
  if (existing && body.id !== undefined && body.id !== existing.id) err('/id', `cannot change (it is "${existing.id}")`);
  if (!existing && (typeof id !== 'string' || !CONNECTION_ID.test(id))) err('/id', 'must be a lower-case id: letters, digits, - and _ (at most 64)');

  const appId = body.app ?? existing?.app;
  const app = apps.find((a) => a.id === appId);
  if (typeof appId !== 'string' || !app) err('/app', `must be one of: ${apps.map((a) => a.id).join(', ')}`);
  else if (existing && appId !== existing.app) err('/app', `cannot change (it is "${existing.app}"); create a new connection`);

  const name = body.name ?? existing?.name;
  if (!nonEmpty(name)) err('/name', 'must be a non-empty string');
  else if (name.length > 200) err('/name', 'must be at most 200 characters');

  let baseUrl = body.baseUrl === undefined ? existing?.baseUrl : body.baseUrl === null || body.baseUrl === '' ? undefined : body.baseUrl;
  if (baseUrl !== undefined) {
    const p = baseUrlProblem(baseUrl);
    if (p) err('/baseUrl', p);
  }

  const auth = body.auth === undefined && existing ? existing.auth : body.auth;
  let checked: ConnectionAuth | undefined;
  if (!isObj(auth)) err('/auth', `must be an object with a type: ${AUTH_TYPES.join(', ')}`);
  else {
    const keep = existing && existing.auth.type === auth.type ? (existing.auth as unknown as Json) : undefined;
    checked = checkAuth(auth, keep, app, err);
  }

  // a Slack incoming-webhook URL pasted whole: its origin is the base URL, its tail the credential
  if (checked?.type === 'bearer' && app?.credentialUrlPrefix && /^https?:\/\//i.test(checked.token)) {
    const split = splitCredentialUrl(checked.token, app.credentialUrlPrefix);
    if (!split) err('/auth/token', `must be the URL's part after ${app.credentialUrlPrefix}, or the whole URL (…${app.credentialUrlPrefix}…)`);
    else {
      checked = { type: 'bearer', token: split.token };
      const given = typeof body.baseUrl === 'string' && body.baseUrl !== '' ? body.baseUrl.replace(/\/+$/, '') : undefined;
      if (given !== undefined && given !== split.origin) err('/baseUrl', `differs from the pasted URL's origin ${split.origin}`);
      else baseUrl = split.origin === app.baseUrl ? undefined : split.origin;
    }
  }
  if (app && !app.baseUrl && baseUrl === undefined) err('/baseUrl', `is required for ${app.id} connections: the only place their credential is sent`);
  const type = isObj(auth) ? auth.type : undefined;
  if (app && (AUTH_TYPES as readonly unknown[]).includes(type) && !app.auth.includes(type as ConnectionAuthType)) err('/auth/type', `${app.label} connections take ${app.auth.join(' or ')}`);

  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { id: id as string, app: appId as string, name: (name as string).trim(), auth: checked!, ...(baseUrl !== undefined ? { baseUrl: (baseUrl as string).replace(/\/+$/, '') } : {}) } };
}

/** Fields of a ConnectionView a client may send back unchanged (a GET edited and PUT). */
const VIEW_ONLY = new Set(['status', 'brokenReason', 'oauth', 'createdAt', 'updatedAt']);

function splitCredentialUrl(url: string, prefix: string): { origin: string; token: string } | undefined {
  try {
    const u = new URL(url);
    if (!u.pathname.startsWith(prefix) || u.search || u.hash || u.username) return undefined;
    const token = u.pathname.slice(prefix.length);
    return token ? { origin: u.origin, token } : undefined;
  } catch {
    return undefined;
  }
}

function checkAuth(authIn: Json, keep: Json | undefined, app: AppSpec | undefined, err: (p: string, m: string) => void): ConnectionAuth | undefined {
  let auth = authIn;
  const type = auth.type;
  if (typeof type !== 'string' || !(AUTH_TYPES as readonly string[]).includes(type)) {
    err('/auth/type', `must be one of: ${AUTH_TYPES.join(', ')}`);
    return undefined;
  }
  const t = type as ConnectionAuthType;
  const allowed: Record<ConnectionAuthType, string[]> = {
    bearer: ['token'],
    apiKey: ['in', 'name', 'value'],
    basic: ['username', 'password'],
    oauth2: ['grant', 'clientId', 'clientSecret', 'authorizeUrl', 'tokenUrl', 'scopes'],
    serviceAccount: ['keyFile', 'clientEmail', 'privateKey', 'privateKeyId', 'tokenUrl', 'scopes', 'subject'],
  };
  if (t === 'serviceAccount' && auth.keyFile !== undefined) {
    const expanded = expandKeyFile(auth.keyFile, err);
    if (!expanded) return undefined;
    auth = { ...expanded, ...Object.fromEntries(Object.entries(auth).filter(([k, v]) => k !== 'keyFile' && v !== undefined && v !== '')) };
  }
  for (const k of Object.keys(auth)) if (k !== 'type' && !allowed[t].includes(k)) err(`/auth/${k}`, `is not a field of ${t} auth (${allowed[t].join(', ')})`);
  // a secret sent back masked (or left out on a PUT of the same type) keeps the stored value
  const secret = (field: string, multiline = false): string | undefined => {
    const v = auth[field];
    if ((v === undefined || v === MASK) && keep && typeof keep[field] === 'string') return keep[field] as string;
    if (v === MASK) {
      err(`/auth/${field}`, 'is the mask of a stored value, but nothing is stored: give the value');
      return undefined;
    }
    if (!nonEmpty(v)) {
      err(`/auth/${field}`, 'must be a non-empty string');
      return undefined;
    }
    if (!multiline && /[\r\n]/.test(v)) {
      err(`/auth/${field}`, 'must not contain line breaks');
      return undefined;
    }
    return v;
  };
  const text = (field: string, fallback?: string): string | undefined => {
    const v = auth[field] ?? fallback;
    if (!nonEmpty(v)) {
      err(`/auth/${field}`, 'must be a non-empty string');
      return undefined;
    }
    return v;
  };
  switch (t) {
    case 'bearer': {
      const token = secret('token');
      return token === undefined ? undefined : { type: 'bearer', token };
    }
    case 'apiKey': {
      const where = auth.in;
      if (where !== 'header' && where !== 'query') err('/auth/in', 'must be "header" or "query"');
      const name = text('name');
      if (name !== undefined && where === 'header' && (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase()))) err('/auth/name', 'must be an HTTP header name other than Host, Content-*, Cookie, Idempotency-Key');
      const value = secret('value');
      return name === undefined || value === undefined || (where !== 'header' && where !== 'query') ? undefined : { type: 'apiKey', in: where, name, value };
    }
    case 'basic': {
      const username = auth.username;
      if (typeof username !== 'string' || username.includes(':')) err('/auth/username', 'must be a string without ":"');
      const password = secret('password');
      return typeof username !== 'string' || password === undefined ? undefined : { type: 'basic', username, password };
    }
    case 'oauth2': {
      const grant = auth.grant;
      if (grant !== 'authorization_code' && grant !== 'client_credentials') err('/auth/grant', 'must be "authorization_code" or "client_credentials"');
      const clientId = text('clientId');
      const clientSecret = secret('clientSecret');
      const tokenUrl = text('tokenUrl', app?.oauth2?.tokenUrl);
      if (tokenUrl !== undefined && baseUrlProblemWithQuery(tokenUrl)) err('/auth/tokenUrl', baseUrlProblemWithQuery(tokenUrl)!);
      const authorizeUrl = auth.authorizeUrl ?? (grant === 'authorization_code' ? app?.oauth2?.authorizeUrl : undefined);
      if (grant === 'authorization_code') {
        if (!nonEmpty(authorizeUrl)) err('/auth/authorizeUrl', 'is required for the authorization_code grant');
        else if (baseUrlProblemWithQuery(authorizeUrl)) err('/auth/authorizeUrl', baseUrlProblemWithQuery(authorizeUrl)!);
      }
      const scopes = auth.scopes ?? app?.oauth2?.scopes;
      if (scopes !== undefined && (!Array.isArray(scopes) || !scopes.every((s) => nonEmpty(s) && !/\s/.test(s)))) err('/auth/scopes', 'must be an array of scope names without spaces');
      if (clientId === undefined || clientSecret === undefined || tokenUrl === undefined || (grant !== 'authorization_code' && grant !== 'client_credentials')) return undefined;
      return {
        type: 'oauth2',
        grant,
        clientId,
        clientSecret,
        tokenUrl,
        ...(typeof authorizeUrl === 'string' && authorizeUrl ? { authorizeUrl } : {}),
        ...(Array.isArray(scopes) ? { scopes: [...(scopes as string[])] } : {}),
      };
    }
    case 'serviceAccount': {
      const clientEmail = text('clientEmail');
      if (clientEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(clientEmail)) err('/auth/clientEmail', 'must be the service account\'s e-mail (…@….iam.gserviceaccount.com)');
      const privateKey = secret('privateKey', true);
      const pemProblem = privateKey === undefined ? undefined : privateKeyProblem(privateKey);
      if (pemProblem) err('/auth/privateKey', pemProblem);
      const privateKeyId = auth.privateKeyId;
      if (privateKeyId !== undefined && !(nonEmpty(privateKeyId) && /^[A-Za-z0-9_-]{1,128}$/.test(privateKeyId))) err('/auth/privateKeyId', 'must be the key\'s id (letters, digits, - and _)');
      const tokenUrl = text('tokenUrl', app?.oauth2?.tokenUrl);
      if (tokenUrl !== undefined && baseUrlProblemWithQuery(tokenUrl)) err('/auth/tokenUrl', baseUrlProblemWithQuery(tokenUrl)!);
      const scopes = auth.scopes ?? app?.oauth2?.scopes;
      if (scopes === undefined || !Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => nonEmpty(s) && !/\s/.test(s))) err('/auth/scopes', 'must be a non-empty array of scope names without spaces');
      const subject = auth.subject;
      if (subject !== undefined && !(nonEmpty(subject) && /^[^@\s]+@[^@\s]+$/.test(subject))) err('/auth/subject', 'must be the e-mail of the user the account acts for');
      if (clientEmail === undefined || privateKey === undefined || pemProblem || tokenUrl === undefined || !Array.isArray(scopes)) return undefined;
      return {
        type: 'serviceAccount',
        clientEmail,
        privateKey,
        ...(typeof privateKeyId === 'string' ? { privateKeyId } : {}),
        tokenUrl,
        scopes: [...(scopes as string[])],
        ...(typeof subject === 'string' ? { subject } : {}),
      };
    }
  }
}

/** Why a text is not a PEM private key, else undefined (the runtime also parses it: connections/service-account.ts). */
export function privateKeyProblem(pem: string): string | undefined {
  const m = /^\s*-----BEGIN (RSA )?PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END (RSA )?PRIVATE KEY-----\s*$/.exec(pem);
  if (!m) return 'must be a PEM private key: "-----BEGIN PRIVATE KEY-----", base64 lines, "-----END PRIVATE KEY-----" (the private_key of the JSON key file)';
  if (m[1] !== m[3]) return 'its BEGIN and END lines do not match';
  return undefined;
}

/** Google's JSON key file (object or text) as serviceAccount fields; undefined after naming the problem. */
function expandKeyFile(v: unknown, err: (p: string, m: string) => void): Json | undefined {
  let file: unknown = v;
  if (typeof v === 'string') {
    try {
      file = JSON.parse(v);
    } catch {
      err('/auth/keyFile', 'must be the JSON key file of a service account (it does not parse as JSON)');
      return undefined;
    }
  }
  if (!isObj(file)) {
    err('/auth/keyFile', 'must be the JSON key file of a service account (an object)');
    return undefined;
  }
  if (file.type !== 'service_account') {
    err('/auth/keyFile', `must be a key file of type "service_account"${typeof file.type === 'string' ? ` (this one is "${file.type}")` : ''}`);
    return undefined;
  }
  const out: Json = {};
  if (file.client_email !== undefined) out.clientEmail = file.client_email;
  if (file.private_key !== undefined) out.privateKey = file.private_key;
  if (file.private_key_id !== undefined) out.privateKeyId = file.private_key_id;
  if (file.token_uri !== undefined) out.tokenUrl = file.token_uri;
  for (const [k, f] of [['clientEmail', 'client_email'], ['privateKey', 'private_key']] as const) if (out[k] === undefined) err(`/auth/keyFile`, `has no ${f}`);
  return out.clientEmail !== undefined && out.privateKey !== undefined ? out : undefined;
}

function baseUrlProblemWithQuery(v: string): string | undefined {
  const u = parseHttpUrl(v, 'must not carry a user name or password');
  return typeof u === 'string' ? u : undefined;
}

/** The connection's auth with every secret field replaced by MASK. */
export function maskAuth(auth: ConnectionAuth): Record<string, unknown> & { type: ConnectionAuthType } {
  const out: Record<string, unknown> & { type: ConnectionAuthType } = { ...auth };
  for (const f of SECRET_FIELDS[auth.type]) if (f in out) out[f] = MASK;
  return out;
}
