// A loopback Google OAuth 2.0 token endpoint for service accounts, answering as Google's "Using OAuth 2.0
// for Server to Server Applications" documents (https://developers.google.com/identity/protocols/oauth2/service-account):
// - POST /token, `Content-Type: application/x-www-form-urlencoded`, body
//   `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`;
// - the JWT: header `{"alg":"RS256","typ":"JWT","kid"?}`, claims `iss` (the account's e-mail), `scope`
//   (space-delimited), `aud` (the token endpoint), `exp` (at most an hour after `iat`), `iat`, `sub`?
//   (delegation); signed with the account's private key, checked here with its public key;
// - 200 `{"access_token", "expires_in": 3599, "token_type": "Bearer"}` (no refresh token);
// - errors 400 `{"error", "error_description"}`: `unsupported_grant_type`, `invalid_grant` "Invalid JWT
//   Signature.", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable
//   timeframe. Check your iat and exp values in the JWT claim.", "Invalid grant: account not found",
//   `invalid_scope`.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomBytes, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { listenLoopback, onBody } from './loopback.ts';

export interface TokenRequest {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** the form fields */
  form: Record<string, string>;
}

export interface FakeGoogleToken {
  /** the token endpoint's URL */
  tokenUrl: string;
  requests: TokenRequest[];
  /** service accounts it knows: e-mail → public key */
  accounts: Map<string, KeyObject>;
  /** access tokens it issued (with their expiry, ms on the clock) */
  issued: { token: string; expiresAtMs: number }[];
  /** called with every access token issued (e.g. to let the fake API accept it) */
  onIssue?: (token: string) => void;
  close(): Promise<void>;
}

const LIFETIME_S = 3599;

export async function startFakeGoogleToken(clock: { now(): number } = Date): Promise<FakeGoogleToken> {
  const fake: Omit<FakeGoogleToken, 'tokenUrl' | 'close'> = { requests: [], accounts: new Map(), issued: [] };
  let tokenUrl = '';
  const server: Server = createServer((req, res) => {
    onBody(req, (raw) => {
      const form = Object.fromEntries(new URLSearchParams(raw));
      fake.requests.push({ at: clock.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, form });
      const json = (status: number, b: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' }).end(JSON.stringify(b));
      const refuse = (error: string, error_description: string) => json(400, { error, error_description });
      if (req.method !== 'POST' || req.url !== '/token') return json(404, { error: 'not_found' });
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return refuse('invalid_request', 'Invalid Content-Type');
      if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse('unsupported_grant_type', `Invalid grant_type: ${form.grant_type ?? ''}`);
      const assertion = form.assertion ?? '';
      void (async () => {
        let header: ReturnType<typeof decodeProtectedHeader>;
        let claims: Record<string, unknown>;
        try {
          header = decodeProtectedHeader(assertion);
          claims = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
        } catch {
          return refuse('invalid_grant', 'Invalid JWT: could not parse');
        }
        if (header.alg !== 'RS256') return refuse('invalid_grant', 'Invalid JWT: unsupported algorithm');
        const key = typeof claims.iss === 'string' ? fake.accounts.get(claims.iss) : undefined;
        if (!key) return refuse('invalid_grant', 'Invalid grant: account not found');
        try {
          await jwtVerify(assertion, key, { algorithms: ['RS256'], currentDate: new Date(clock.now()), clockTolerance: 0 });
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return refuse('invalid_grant', 'Invalid JWT Signature.');
          return refuse('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
        }
        const iat = Number(claims.iat);
        const exp = Number(claims.exp);
        const nowS = clock.now() / 1000;
        if (!Number.isFinite(iat) || !Number.isFinite(exp) || exp - iat > 3600 || exp <= iat || iat > nowS + 60) {
          return refuse('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
        }
        if (claims.aud !== tokenUrl) return refuse('invalid_grant', 'Invalid JWT: Failed audience check. The expected audience is the token endpoint.');
        if (typeof claims.scope !== 'string' || claims.scope.trim() === '') return refuse('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
        const token = `ya29.c.${randomBytes(24).toString('base64url')}`;
        fake.issued.push({ token, expiresAtMs: clock.now() + LIFETIME_S * 1000 });
        fake.onIssue?.(token);
        json(200, { access_token: token, expires_in: LIFETIME_S, token_type: 'Bearer' });
      })();
    });
  });
  const { url, close } = await listenLoopback(server);
  tokenUrl = `${url}/token`;
  return Object.assign(fake as FakeGoogleToken, { tokenUrl, close });
}
