// POST /hooks/<path> — the hot path, on plain node:http ahead of Express (no router or body-parser
// middleware per event): content type, size, auth, rate limit, JSON; then admitEvent (contract,
// filter, idempotency key, window) as for every way in; then dedupe and a durable run, 202.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Auth } from '@flowdesk/schema';
import { admitEvent } from '@flowdesk/engine';
import { verifyWebhook } from '../security/webhook-auth.ts';
import { clientAddress } from '../security/client-address.ts';
import { redactHeaders } from '../security/redact.ts';
import type { RuntimeContext } from '../context.ts';
import type { FieldError } from './errors.ts';
import { jsonTooDeepAt, MAX_JSON_DEPTH } from './json-depth.ts';

export const HOOKS_PREFIX = '/hooks/';
const MAX_BODY = 1024 * 1024;
const isJson = (ct: string | undefined) => !!ct && /^application\/([a-z0-9.+-]*\+)?json\b/i.test(ct);

class BodyTooLarge extends Error {}

/** Reads the raw body, refusing more than `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // drain, then answer 413
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** Returns the handler for POST /hooks/<path>; other requests go on to Express. */
export function hooksHandler(ctx: RuntimeContext): (req: IncomingMessage, res: ServerResponse) => void {
  const respond = (res: ServerResponse, path: string, status: number, body: unknown, headers: Record<string, string> = {}) => {
    ctx.metrics?.webhookResponse(path, status);
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'x-content-type-options': 'nosniff', ...headers });
    res.end(json);
  };
  const reject = (res: ServerResponse, path: string, flowId: string | undefined, status: number, reason: string, errors?: FieldError[]) => {
    void ctx.store
      .addRejected({ id: randomUUID(), at: new Date(ctx.clock.now()).toISOString(), flowId, path, status, reason, errors })
      .catch((e: Error) => ctx.log.error({ err: e.message }, 'could not record a rejected event'));
    respond(res, path, status, errors ? { error: reason, errors } : { error: reason });
  };

  /**
   * The trigger's auth on the raw body. A failure draws from the sender's own per-address bucket,
   * never from the path's: junk cannot use up the real sender's rate limit (issue 12, item 6), and
   * once a sender's failures run out they are answered 429 without a write to the rejected log.
   */
  function authenticate(req: IncomingMessage, res: ServerResponse, path: string, flowId: string, auth: Auth, rawBody: Buffer): boolean {
    const verdict = verifyWebhook(auth, { rawBody, headers: req.headers }, (n) => ctx.secrets.secret(n), ctx.clock.now());
    if (verdict.ok) return true;
    const failures = ctx.authFailureLimiter.take(clientAddress(req, ctx.trustProxy), ctx.clock.now());
    if (!failures.ok) {
      ctx.metrics?.securityRefusal('auth_failures');
      respond(res, path, 429, { error: 'too many failed authentications from your address', retryAfter: failures.retryAfterSeconds }, { 'retry-after': String(failures.retryAfterSeconds) });
    } else reject(res, path, flowId, 401, verdict.reason);
    return false;
  }

  /** The path's token bucket, drawn by authenticated (or auth-less) events only. */
  function takeRateToken(res: ServerResponse, path: string): boolean {
    const limited = ctx.rateLimiter.take(path, ctx.clock.now());
    if (limited.ok) return true;
    respond(res, path, 429, { error: 'rate limit exceeded', retryAfter: limited.retryAfterSeconds }, { 'retry-after': String(limited.retryAfterSeconds) });
    return false;
  }

  /** 503 + Retry-After while the store cannot write or the backlog is full: senders retry later. */
  const unavailable = (res: ServerResponse, path: string, reason: string, retryAfterSeconds: number) =>
    respond(res, path, 503, { error: reason, retryAfter: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const shed = ctx.loadShedder?.check();
    if (shed && !shed.ok) return unavailable(res, path, shed.reason, shed.retryAfterSeconds);
    if (!isJson(req.headers['content-type'])) return respond(res, path, 415, { error: 'content-type must be application/json' });
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return respond(res, path, 413, { error: `body over ${MAX_BODY} bytes` }, { connection: 'close' });
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req, MAX_BODY);
    } catch (e) {
      if (e instanceof BodyTooLarge) return respond(res, path, 413, { error: `body over ${MAX_BODY} bytes` }, { connection: 'close' });
      throw e;
    }
    const stored = ctx.flows.byHook(path);
    if (!stored || stored.doc.trigger.type !== 'webhook') return respond(res, path, 404, { error: `no active webhook trigger at /hooks/${path}` });
    const flow = stored.doc;
    const trigger = stored.doc.trigger;
    if (!authenticate(req, res, path, flow.id, trigger.auth, rawBody)) return;
    if (!takeRateToken(res, path)) return;
    const tooDeep = jsonTooDeepAt(rawBody);
    if (tooDeep >= 0) return respond(res, path, 400, { error: `JSON nested deeper than ${MAX_JSON_DEPTH} levels (at byte ${tooDeep}): refused` });
    let payload: unknown;
    try {
      payload = JSON.parse(rawBody.toString('utf8'));
    } catch (e) {
      return respond(res, path, 400, { error: `malformed JSON: ${(e as Error).message}` });
    }
    const headers = redactHeaders(req.headers, trigger.auth.type === 'token' && trigger.auth.header ? [trigger.auth.header] : []);
    const admission = admitEvent(flow, { source: { kind: 'webhook', path }, payload, headers }, { checkPayload: ctx.flows.payloadValidator(flow) });
    if (admission.admit === 'rejected') return reject(res, path, flow.id, 422, admission.error, admission.errors);
    if (admission.admit === 'ignored') return respond(res, path, 200, { ignored: true });
    const { run, duplicate } = await ctx.runner.start(flow, admission.start);
    if (duplicate) return respond(res, path, 200, { runId: run.id, duplicate: true });
    respond(res, path, 202, { runId: run.id });
  }

  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    let path: string;
    try {
      path = decodeURIComponent(url.slice(HOOKS_PREFIX.length, q >= 0 ? q : undefined));
    } catch {
      return respond(res, '', 400, { error: 'malformed URL' });
    }
    handle(req, res, path).catch((e: Error) => {
      ctx.log.error({ err: e.message, path }, 'webhook failed');
      if (res.headersSent) return;
      const health = ctx.store.health();
      if (!health.ok) return unavailable(res, path, `the event was not accepted: the store cannot write (${health.cause}); retry later`, 30);
      respond(res, path, 500, { error: 'internal error: the event was not accepted' });
    });
  };
}
