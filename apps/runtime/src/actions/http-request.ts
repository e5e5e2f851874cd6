// http.request: one real HTTP call with a timeout and the run's Idempotency-Key.
import type { ErrorClass } from '@flowdesk/schema';
import type { ActionResult } from '@flowdesk/engine';
import type { ActionExecutor } from './types.ts';

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

export const httpRequest: ActionExecutor = async (cmd, deps) => {
  const p = cmd.params as { method?: string; url?: unknown; headers?: Record<string, unknown>; body?: unknown; query?: Record<string, unknown> };
  const started = performance.now();
  const fail = (errorClass: ErrorClass, error: string, extra: Partial<ActionResult> = {}): ActionResult => ({
    ok: false,
    errorClass,
    error,
    durationMs: Math.round(performance.now() - started),
    ...extra,
  });
  if (typeof p.url !== 'string' || !/^https?:\/\//.test(p.url)) return fail('error', `params.url must be an http(s) URL (got ${JSON.stringify(p.url)})`);
  const url = new URL(p.url);
  for (const [k, v] of Object.entries(p.query ?? {})) url.searchParams.set(k, String(v));
  const method = (p.method ?? (p.body === undefined ? 'GET' : 'POST')).toUpperCase();
  const headers: Record<string, string> = { 'idempotency-key': cmd.idempotencyKey, 'user-agent': 'flowdesk/1' };
  for (const [k, v] of Object.entries(p.headers ?? {})) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
  let body: string | undefined;
  if (p.body !== undefined && method !== 'GET' && method !== 'HEAD') {
    body = typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
    headers['content-type'] ??= 'application/json';
  }
  try {
    const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(cmd.timeoutMs), redirect: 'follow' });
    const text = await res.text();
    const durationMs = Math.round(performance.now() - started);
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        /* keep the text */
      }
    }
    const errorClass = classifyStatus(res.status);
    if (!errorClass) return { ok: true, status: res.status, output: { status: res.status, body: parsed }, durationMs };
    return {
      ok: false,
      status: res.status,
      errorClass,
      error: `HTTP ${res.status} from ${method} ${url.origin}${url.pathname}`,
      response: text.slice(0, RESPONSE_KEEP),
      retryAfterMs: res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get('retry-after'), deps.clock.now()) : undefined,
      durationMs,
    };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return fail('timeout', `timed out after ${cmd.timeoutMs} ms: ${method} ${url.origin}${url.pathname}`);
    return fail('network', `${err.cause?.code ?? err.message}: ${method} ${url.origin}${url.pathname}`);
  }
};
