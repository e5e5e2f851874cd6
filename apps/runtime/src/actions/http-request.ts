// http.request: one real HTTP call with a timeout and the run's Idempotency-Key (the spec checked that
// params.url is an http(s) URL).
import http from 'node:http';
import https from 'node:https';
import { specOf, type ErrorClass } from '@flowdesk/schema';
import { ActionFailure, defineExecutor } from './define.ts';
import { applyCredential, connectionFor, credentialAllowed, credentialFailure, refusal } from '../connectors/credentials.ts';

const RESPONSE_KEEP = 4096;

export function classifyStatus(status: number): ErrorClass | undefined {
  if (status >= 200 && status < 400) return undefined;
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  return '4xx';
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(v: string | null, nowMs: number): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

/** One keep-alive agent per protocol: fetch/undici cost ~15% of the runtime's CPU at saturation. */
const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }) };

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A request with a hard deadline on the whole exchange (connect, send, response body). */
function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method, headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        // keep what the step log needs, drain the rest
        if (size < MAX_BODY_KEEP) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeoutMs);
    function fail(e: Error) {
      clearTimeout(timer);
      reject(e);
    }
    req.on('error', fail);
    req.end(body);
  });
}

const MAX_BODY_KEEP = 1024 * 1024;

export const httpRequest = defineExecutor(specOf('http.request'), async (p, { cmd, deps }) => {
  let url: URL;
  try {
    url = new URL(p.url);
  } catch {
    throw new ActionFailure('error', `params.url is not a valid URL: ${JSON.stringify(p.url)}`);
  }
  for (const [k, v] of Object.entries(p.query ?? {})) url.searchParams.set(k, String(v));
  const method = (p.method ?? (p.body === undefined ? 'GET' : 'POST')).toUpperCase();
  const headers: Record<string, string> = { 'idempotency-key': cmd.idempotencyKey, 'user-agent': 'flowdesk/1' };
  for (const [k, v] of Object.entries(p.headers ?? {})) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
  let body: string | undefined;
  if (p.body !== undefined && method !== 'GET' && method !== 'HEAD') {
    body = typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const where = `${method} ${url.origin}${url.pathname}`;
  // a connection's credential goes only to its base URL or its app's hosts (connectors/credentials.ts)
  const conn = p.connection ? await connectionFor(deps.connections, p.connection, ['*'], 'http.request') : undefined;
  if (conn && !credentialAllowed(conn, url)) throw new ActionFailure('error', refusal(conn, url));
  let res: RawResponse | undefined;
  let staleVersion: number | undefined;
  for (let round = 0; round < 2 && !res; round++) {
    const target = new URL(url);
    const h = { ...headers };
    let version: number | undefined;
    if (conn) {
      try {
        version = await applyCredential(deps.connections!, conn, target, h, { flowId: deps.run.flowId, runId: deps.run.id, nodeId: cmd.nodeId }, { staleVersion });
      } catch (e) {
        credentialFailure(e);
      }
    }
    let answer: RawResponse;
    try {
      answer = await send(target, method, h, body, cmd.timeoutMs);
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.name === 'TimeoutError') throw new ActionFailure('timeout', `timed out after ${cmd.timeoutMs} ms: ${where}`);
      throw new ActionFailure('network', `${err.code ?? err.message}: ${where}`);
    }
    // an OAuth2 token refused: refresh it once and call again
    if (conn?.auth.type === 'oauth2' && answer.status === 401 && round === 0) staleVersion = version;
    else res = answer;
  }
  if (!res) throw new ActionFailure('4xx', `HTTP 401 from ${where} again after a token refresh`, { status: 401 });
  let parsed: unknown = res.text;
  if (String(res.headers['content-type'] ?? '').includes('json')) {
    try {
      parsed = JSON.parse(res.text);
    } catch {
      /* keep the text */
    }
  }
  const errorClass = classifyStatus(res.status);
  if (!errorClass) return { status: res.status, output: { status: res.status, body: parsed } };
  const retryAfter = res.headers['retry-after'];
  throw new ActionFailure(errorClass, `HTTP ${res.status} from ${where}`, {
    status: res.status,
    response: res.text.slice(0, RESPONSE_KEEP),
    retryAfterMs: res.status === 429 || res.status === 503 ? parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : null, deps.clock.now()) : undefined,
  });
});

export default httpRequest;
