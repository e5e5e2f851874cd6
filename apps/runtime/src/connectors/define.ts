// The connector framework. A connector is an action spec (packages/schema/src/actions/<app>-<verb>.ts,
// with a `connection` param) plus an executor built here from a declarative HTTP call:
//
//   export default defineExecutor(specOf('slack.postMessage'), httpConnector(slack, {
//     request: (p) => ({ method: 'POST', path: '/api/chat.postMessage', json: { channel: p.channel, text: p.text } }),
//     output: (res) => ({ channel: res.json.channel, ts: res.json.ts }),
//   }));
//
// The framework resolves the connection (missing → the step ends `not-configured`), checks it is for one
// of the action's apps, builds the URL on the connection's base URL, refuses any other host, puts the
// credential on (refreshing an OAuth2 token before expiry, and once more after a 401), sends through the
// guarded transport, and maps the vendor's answer with the app's `verdict`: 429 (with its Retry-After or
// rate-limit headers), 5xx and network failures are retryable on the step's schedule; other 4xx are
// final with the vendor's message. The app's runtime half (connectors/<app>.ts) gives the verdict, the
// connection test and the failure modes the drill plays.
import type { IncomingHttpHeaders } from 'node:http';
import { appSpec, type AppId, type AppSpec, type ErrorClass } from '@flowdesk/schema';
import { ActionFailure, type ExecutionContext, type ExecutorSuccess } from '../actions/define.ts';
import { parseRetryAfter } from '../actions/http-request.ts';
import type { ConnectionVault, ResolvedConnection, UseCause } from '../connections/vault.ts';
import { makeRedactor } from '../security/redact.ts';
import { applyCredential, baseUrlOf, connectionFor, credentialAllowed, credentialFailure, credentialHostsOf, refusal, usesAccessToken } from './credentials.ts';
import { outbound, OutboundError } from './transport.ts';

/** One request, relative to the connection's base URL. `{credential}` in the path stands for a credential that is the URL's secret tail. */
export interface ConnectorRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** a JSON body */
  json?: unknown;
  /** a form body (application/x-www-form-urlencoded) */
  form?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
}

export interface VendorAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** the body parsed, when it is JSON */
  json: unknown;
}

export type Verdict =
  | { ok: true }
  | {
      ok: false;
      errorClass: ErrorClass;
      /** the vendor's own words, for the step error */
      message: string;
      retryAfterMs?: number;
      /** the credential was refused: an OAuth2 token is refreshed and the call made once more */
      auth?: boolean;
    };

/** How the vendor fails, for the drill: an answer the chaos server gives, and what the step must do with it. */
export interface FailureMode {
  name: string;
  description: string;
  status: number;
  headers?: Record<string, string>;
  /** JSON (an object) or text */
  body: unknown;
  expect: 'retried' | 'final';
}

export interface ConnectorAppInput<A extends AppId> {
  app: A;
  /** reads an answer; default `httpVerdict` (status codes, the vendor's message from common error bodies) */
  verdict?: (res: VendorAnswer, nowMs: number) => Verdict;
  /**
   * POST /api/connections/:id/test: a harmless call that proves the credential; `describe` says what it
   * proved; `accept` takes failures that still prove it (e.g. a 404 for a probe id, answered only to a
   * valid token)
   */
  test: { request: ConnectorRequest; describe?: (res: VendorAnswer) => string; accept?: (res: VendorAnswer) => boolean };
  /** what the drill plays for this app, besides the generic 500/429/timeout/reset */
  failureModes: FailureMode[];
  /** a successful answer the drill's fake gives to calls it does not fail */
  drillSuccess: { status: number; body: unknown };
}

export interface ConnectorApp<A extends AppId = AppId> extends Required<Omit<ConnectorAppInput<A>, 'app'>> {
  readonly app: AppSpec<A>;
}

export function defineConnectorApp<const A extends AppId>(input: ConnectorAppInput<A>): ConnectorApp<A> {
  const app = appSpec(input.app) as AppSpec<A> | undefined;
  if (!app) throw new Error(`connector: no app spec "${input.app}" in packages/schema/src/apps/`);
  return Object.freeze({ ...input, app, verdict: input.verdict ?? httpVerdict });
}

const RESPONSE_KEEP = 4096;

/** The vendor's message from the error bodies most APIs use. */
export function vendorMessage(res: VendorAnswer): string {
  const j = res.json as Record<string, unknown> | undefined;
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const err = j && typeof j === 'object' ? (j.error as Record<string, unknown> | string | undefined) : undefined;
  return (
    pick(typeof err === 'object' && err ? err.message : undefined) ??
    pick(j?.message) ??
    pick(err) ??
    pick(j?.error_description) ??
    (res.text.trim().slice(0, 300) || `HTTP ${res.status}`)
  );
}

/** Retry-After, or the rate-limit reset headers vendors send instead (seconds or an epoch). */
export function retryAfterOf(res: VendorAnswer, nowMs: number): number | undefined {
  const h = (n: string) => {
    const v = res.headers[n];
    return typeof v === 'string' ? v : undefined;
  };
  const ra = parseRetryAfter(h('retry-after') ?? null, nowMs);
  if (ra !== undefined) return ra;
  for (const name of ['x-ratelimit-reset', 'ratelimit-reset', 'x-rate-limit-reset']) {
    const v = Number(h(name));
    if (!Number.isFinite(v) || v < 0) continue;
    // an epoch (seconds) or a delta (seconds)
    return v > 1e9 ? Math.max(0, v * 1000 - nowMs) : v * 1000;
  }
  return undefined;
}

/** The default reading: 2xx ok; 429 and 5xx retryable; 401 an auth failure; other 4xx final. */
export function httpVerdict(res: VendorAnswer, nowMs: number): Verdict {
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const message = vendorMessage(res);
  if (res.status === 429) return { ok: false, errorClass: '429', message, retryAfterMs: retryAfterOf(res, nowMs) };
  if (res.status >= 500) return { ok: false, errorClass: '5xx', message, retryAfterMs: res.status === 503 ? retryAfterOf(res, nowMs) : undefined };
  return { ok: false, errorClass: '4xx', message, auth: res.status === 401 };
}

export interface ConnectorCall<P> {
  request(params: P, x: ExecutionContext): ConnectorRequest;
  /** the step's output from a successful answer (typed by the spec's outputSchema) */
  output(res: VendorAnswer, params: P): unknown;
}

const encodeQuery = (url: URL, q: ConnectorRequest['query']) => {
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
};

/** The executor body of a connector action: see the file header. */
export function httpConnector<P extends { connection: string }>(app: ConnectorApp, call: ConnectorCall<P>) {
  return async (params: P, x: ExecutionContext): Promise<ExecutorSuccess> => {
    const { cmd, deps } = x;
    const c = await connectionFor(deps.connections, params.connection, [app.app.id], cmd.action);
    const res = await sendAs(app, c, call.request(params, x), {
      vault: deps.connections!,
      nowMs: () => deps.clock.now(),
      cause: { flowId: deps.run.flowId, runId: deps.run.id, nodeId: cmd.nodeId },
      idempotencyKey: cmd.idempotencyKey,
      timeoutMs: cmd.timeoutMs,
    });
    return { status: res.status, output: call.output(res, params) };
  };
}

/**
 * Sends one request of `app` with connection `c` and returns the successful answer; every failure is
 * thrown as an ActionFailure carrying the vendor's message. Used by connectors and the connection test.
 */
export interface SendOptions {
  vault: ConnectionVault;
  nowMs: () => number;
  cause: UseCause;
  /** the step's `<runId>:<nodeId>`, sent as Idempotency-Key */
  idempotencyKey?: string;
  timeoutMs?: number;
}

/** The app as its connection test reads answers: what `test.accept` takes is a success. */
export function probeApp(app: ConnectorApp): ConnectorApp {
  const accept = app.test.accept;
  return accept ? { ...app, verdict: (res, nowMs) => (accept(res) ? { ok: true } : app.verdict(res, nowMs)) } : app;
}

export async function sendAs(app: ConnectorApp, c: ResolvedConnection, req: ConnectorRequest, o: SendOptions): Promise<VendorAnswer> {
  const { vault, cause } = o;
  const inPath = req.path.includes('{credential}');
  if (inPath && (c.auth.type !== 'bearer' || !app.app.credentialUrlPrefix)) throw new ActionFailure('error', `${app.app.id}: a {credential} path needs a bearer credential`);
  const token = c.auth.type === 'bearer' ? c.auth.token : '';
  const shownPath = req.path.replace('{credential}', '…');
  // each segment percent-encoded, ':' kept as RFC 3986 allows in a path (Telegram's bot<id>:<secret>)
  const path = req.path.replace('{credential}', token.split('/').map((seg) => encodeURIComponent(seg).replace(/%3A/gi, ':')).join('/'));
  const base = baseUrlOf(c);
  let url: URL;
  try {
    url = new URL(base + (path.startsWith('/') ? path : `/${path}`));
  } catch {
    throw new ActionFailure('error', `${app.app.id}: cannot build a URL from ${base} and ${shownPath}`);
  }
  if (!credentialAllowed(c, url)) throw new ActionFailure('error', refusal(c, url));
  encodeQuery(url, req.query);
  const where = `${req.method} ${url.origin}${url.pathname.replace(path, shownPath)}`;
  const clean = (s: string) => makeRedactor(vault.secretValues())(s);

  let body: string | undefined;
  const baseHeaders: Record<string, string> = { 'user-agent': 'flowdesk/1', accept: 'application/json', ...(req.headers ?? {}) };
  // the step's key, unless the connector sends its own (a vendor's key per operation)
  if (o.idempotencyKey && !Object.keys(baseHeaders).some((k) => k.toLowerCase() === 'idempotency-key')) baseHeaders['idempotency-key'] = o.idempotencyKey;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    baseHeaders['content-type'] = 'application/json; charset=utf-8';
  } else if (req.form) {
    const f = new URLSearchParams();
    for (const [k, v] of Object.entries(req.form)) if (v !== undefined) f.set(k, String(v));
    body = f.toString();
    baseHeaders['content-type'] = 'application/x-www-form-urlencoded';
  }
  const timeoutMs = o.timeoutMs ?? 10_000;
  let staleVersion: number | undefined;
  for (let round = 0; round < 2; round++) {
    const headers = { ...baseHeaders };
    const target = new URL(url);
    let version: number | undefined;
    try {
      version = await applyCredential(vault, c, target, headers, cause, { inPath, staleVersion });
    } catch (e) {
      credentialFailure(e);
    }
    let raw;
    try {
      raw = await outbound({ url: target, method: req.method, headers, body, timeoutMs, credentialHosts: credentialHostsOf(c) }, vault.egress);
    } catch (e) {
      if (e instanceof OutboundError) throw new ActionFailure(e.kind === 'refused' ? 'error' : e.kind, clean(`${app.app.label}: ${e.message.replace(target.href, where)}`.replace(path, shownPath)));
      throw e;
    }
    let json: unknown;
    if (String(raw.headers['content-type'] ?? '').includes('json') || /^\s*[{[]/.test(raw.text)) {
      try {
        json = JSON.parse(raw.text);
      } catch {
        json = undefined;
      }
    }
    const res: VendorAnswer = { ...raw, json };
    const v = app.verdict(res, o.nowMs());
    if (v.ok) return res;
    // a refused OAuth2 token: refresh it once and try again
    if (v.auth && usesAccessToken(c.auth) && round === 0) {
      staleVersion = version;
      continue;
    }
    throw new ActionFailure(v.errorClass, clean(`${app.app.label}: ${v.message} (HTTP ${res.status} from ${where})`), {
      status: res.status,
      response: clean(res.text.slice(0, RESPONSE_KEEP)),
      ...(v.retryAfterMs !== undefined ? { retryAfterMs: v.retryAfterMs } : {}),
    });
  }
  throw new ActionFailure('4xx', `${app.app.label}: the credential was refused again after a token refresh (${where})`);
}
