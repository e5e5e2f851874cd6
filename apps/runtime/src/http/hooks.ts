// POST /hooks/<path> — the hot path, on plain node:http ahead of Express (no router or body-parser
// middleware per event): content type, size, auth, rate limit, body (JSON, or an HTML form: urlencoded,
// or multipart with files to the file store); then admitEvent (contract, filter, idempotency key,
// window) as for every way in; then dedupe and a durable run, 202. A flow paused with hold answers
// too: its events are checked the same way and kept as `held` runs. OPTIONS answers CORS preflights.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { coerceFormPayload, type Auth, type Flow } from '@flowdesk/schema';
import { admitEvent } from '@flowdesk/engine';
import { verifyWebhook } from '../security/webhook-auth.ts';
import { clientAddress } from '../security/client-address.ts';
import { redactHeaders } from '../security/redact.ts';
import type { RuntimeContext } from '../context.ts';
import type { FieldError } from './errors.ts';
import { jsonTooDeepAt, MAX_JSON_DEPTH } from './json-depth.ts';
import { bodyKind, BodyRefused, FORM_LIMITS, parseMultipart, parseUrlencoded, type BodyKind } from './form-body.ts';
import { corsHeaders, preflight, redirectTarget } from './hook-answers.ts';

export const HOOKS_PREFIX = '/hooks/';
const MAX_BODY = 1024 * 1024;
/** auth types that read headers only: checked before a multipart body is read */
const HEADER_ONLY_AUTH = new Set<string>(['none', 'token']);

type WebhookTrigger = Extract<Flow['trigger'], { type: 'webhook' }>;

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

/** One request's answers: JSON, or for a browser's form post the trigger's redirect pages; CORS headers on each. */
interface Answer {
  ok(status: number, body: Record<string, unknown>): void;
  fail(status: number, reason: string, errors?: FieldError[], headers?: Record<string, string>): void;
}

/** When a webhook request's headers arrived (performance.now()), kept on its response for the duration metric. */
const RECEIVED = Symbol('flowdesk.webhookReceived');
type TimedResponse = ServerResponse & { [RECEIVED]?: number };
const sinceReceived = (res: TimedResponse): number | undefined => {
  const t = res[RECEIVED];
  return t === undefined ? undefined : performance.now() - t;
};

/** Returns the handler for POST and OPTIONS /hooks/<path>; other requests go on to Express. */
export function hooksHandler(ctx: RuntimeContext): (req: IncomingMessage, res: ServerResponse) => void {
  const respond = (res: ServerResponse, path: string, status: number, body: unknown, headers: Record<string, string> = {}) => {
    ctx.metrics?.webhookResponse(path, status, sinceReceived(res));
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'x-content-type-options': 'nosniff', ...headers });
    res.end(json);
  };
  const logRejected = (path: string, flowId: string | undefined, status: number, reason: string, errors?: FieldError[]) => {
    void ctx.store
      .addRejected({ id: randomUUID(), at: new Date(ctx.clock.now()).toISOString(), flowId, path, status, reason, errors })
      .catch((e: Error) => ctx.log.error({ err: e.message }, 'could not record a rejected event'));
  };

  function answerFor(req: IncomingMessage, res: ServerResponse, path: string, trigger: WebhookTrigger, form: boolean): Answer {
    const cors = corsHeaders(req, trigger);
    const redirect = (outcome: 'ok' | 'error', status: number): boolean => {
      const target = redirectTarget(req, trigger, form, outcome, (n) => ctx.secrets.config(n));
      if (!target) return false;
      if ('misconfigured' in target) {
        ctx.log.error({ path, why: target.misconfigured }, 'webhook redirect not sent');
        return false;
      }
      ctx.metrics?.webhookResponse(path, status, sinceReceived(res));
      res.writeHead(303, { location: target.url, 'content-length': 0, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...cors });
      res.end();
      return true;
    };
    return {
      ok(status, body) {
        if (!redirect('ok', status)) respond(res, path, status, body, cors);
      },
      fail(status, reason, errors, headers = {}) {
        if (!redirect('error', status)) respond(res, path, status, errors ? { error: reason, errors } : { error: reason }, { ...cors, ...headers });
      },
    };
  }

  /**
   * The trigger's auth on the raw body. A failure draws from the sender's own per-address bucket,
   * never from the path's: junk cannot use up the real sender's rate limit (issue 12, item 6), and
   * once a sender's failures run out they are answered 429 without a write to the rejected log.
   */
  function authenticate(req: IncomingMessage, answer: Answer, path: string, flowId: string, auth: Auth, rawBody: Buffer): boolean {
    const verdict = verifyWebhook(auth, { rawBody, headers: req.headers, url: req.url, publicUrl: ctx.publicUrl }, (n) => ctx.secrets.secret(n), ctx.clock.now());
    if (verdict.ok) return true;
    const failures = ctx.authFailureLimiter.take(clientAddress(req, ctx.trustProxy), ctx.clock.now());
    if (!failures.ok) {
      ctx.metrics?.securityRefusal('auth_failures');
      answer.fail(429, 'too many failed authentications from your address', undefined, { 'retry-after': String(failures.retryAfterSeconds) });
    } else {
      logRejected(path, flowId, 401, verdict.reason);
      answer.fail(401, verdict.reason);
    }
    return false;
  }

  /** The path's token bucket, drawn by authenticated (or auth-less) events only. */
  function takeRateToken(answer: Answer, path: string): boolean {
    const limited = ctx.rateLimiter.take(path, ctx.clock.now());
    if (limited.ok) return true;
    answer.fail(429, 'rate limit exceeded', undefined, { 'retry-after': String(limited.retryAfterSeconds) });
    return false;
  }

  /** 503 + Retry-After while the store cannot write or the backlog is full: senders retry later. */
  const unavailable = (res: ServerResponse, path: string, reason: string, retryAfterSeconds: number) =>
    respond(res, path, 503, { error: reason, retryAfter: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });

  /** The body as a payload; undefined when it was refused (answered). */
  async function readPayload(
    req: IncomingMessage,
    answer: Answer,
    path: string,
    flowId: string,
    trigger: WebhookTrigger,
    kind: BodyKind,
    owner: string,
  ): Promise<{ payload: unknown } | undefined> {
    // like every refusal before the auth check, not written to the rejected log (junk must not fill it)
    const refuse = (status: number, reason: string) => {
      answer.fail(status, reason, undefined, status === 413 ? { connection: 'close' } : {});
      return undefined;
    };
    if (kind === 'multipart') {
      const headerOnly = HEADER_ONLY_AUTH.has(trigger.auth.type);
      if (headerOnly && !authenticate(req, answer, path, flowId, trigger.auth, Buffer.alloc(0))) return undefined;
      if (headerOnly && !takeRateToken(answer, path)) return undefined;
      const files = trigger.files;
      const limit = (files ? (files.maxFiles ?? 5) * (files.maxBytes ?? 10 * 1024 * 1024) : 0) + MAX_BODY;
      if (Number(req.headers['content-length'] ?? 0) > limit) return refuse(413, `body over ${limit} bytes`);
      let parsed;
      try {
        parsed = await parseMultipart(req, { store: ctx.files, owner, limits: files, keepRaw: !headerOnly, rawLimit: MAX_BODY });
      } catch (e) {
        if (e instanceof BodyRefused) return refuse(e.status, e.message);
        throw e;
      }
      if (!headerOnly) {
        const ok = authenticate(req, answer, path, flowId, trigger.auth, parsed.raw ?? Buffer.alloc(0)) && takeRateToken(answer, path);
        if (!ok) {
          await ctx.files.removeOwner(owner);
          return undefined;
        }
      }
      return { payload: parsed.payload };
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return refuse(413, `body over ${MAX_BODY} bytes`);
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req, MAX_BODY);
    } catch (e) {
      if (e instanceof BodyTooLarge) return refuse(413, `body over ${MAX_BODY} bytes`);
      throw e;
    }
    if (!authenticate(req, answer, path, flowId, trigger.auth, rawBody)) return undefined;
    if (!takeRateToken(answer, path)) return undefined;
    if (kind === 'json') {
      const tooDeep = jsonTooDeepAt(rawBody);
      if (tooDeep >= 0) {
        answer.fail(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels (at byte ${tooDeep}): refused`);
        return undefined;
      }
      try {
        return { payload: JSON.parse(rawBody.toString('utf8')) };
      } catch (e) {
        answer.fail(400, `malformed JSON: ${(e as Error).message}`);
        return undefined;
      }
    }
    try {
      return { payload: parseUrlencoded(rawBody, String(req.headers['content-type'])) };
    } catch (e) {
      if (e instanceof BodyRefused) return refuse(e.status, e.message);
      throw e;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const kind = bodyKind(req.headers['content-type']);
    if (req.method === 'OPTIONS') {
      const stored = ctx.flows.byHook(path);
      if (!stored || stored.doc.trigger.type !== 'webhook') return respond(res, path, 404, { error: `no active webhook trigger at /hooks/${path}` });
      const p = preflight(req, stored.doc.trigger);
      if (p.status === 403) return respond(res, path, 403, { error: p.error });
      ctx.metrics?.webhookResponse(path, 204, sinceReceived(res));
      res.writeHead(204, p.headers);
      return void res.end();
    }
    const shed = ctx.loadShedder?.check();
    if (shed && !shed.ok) return unavailable(res, path, shed.reason, shed.retryAfterSeconds);
    if (!kind) {
      return respond(res, path, 415, { error: 'content-type must be application/json, application/x-www-form-urlencoded or multipart/form-data' });
    }
    if (kind !== 'multipart' && Number(req.headers['content-length'] ?? 0) > MAX_BODY) return respond(res, path, 413, { error: `body over ${MAX_BODY} bytes` }, { connection: 'close' });
    const stored = ctx.flows.byHook(path);
    if (!stored || stored.doc.trigger.type !== 'webhook') return respond(res, path, 404, { error: `no active webhook trigger at /hooks/${path}` }, kind === 'multipart' ? { connection: 'close' } : {});
    const flow = stored.doc;
    const trigger = stored.doc.trigger;
    const held = !stored.active; // byHook gives inactive flows only when paused with hold
    const form = kind !== 'json';
    const answer = answerFor(req, res, path, trigger, form);
    const runId = randomUUID(); // known before the body: uploaded files are stored under their run's id

    const body = await readPayload(req, answer, path, flow.id, trigger, kind, runId);
    if (!body) return;
    const dropFiles = () => (kind === 'multipart' ? ctx.files.removeOwner(runId) : Promise.resolve(0));
    let payload = body.payload;

    // Slack checks a new Request URL with a signed challenge: answer it, start nothing
    if (trigger.auth.type === 'slack' && isObject(payload) && payload.type === 'url_verification' && typeof payload.challenge === 'string') {
      return respond(res, path, 200, { challenge: payload.challenge });
    }
    if (trigger.honeypot && isObject(payload) && Object.hasOwn(payload, trigger.honeypot)) {
      const bait = payload[trigger.honeypot];
      const { [trigger.honeypot]: _bait, ...rest } = payload;
      payload = rest;
      if (bait !== '' && bait !== undefined && !(Array.isArray(bait) && bait.every((v) => v === ''))) {
        await dropFiles();
        ctx.log.info({ flowId: flow.id, path, field: trigger.honeypot, client: clientAddress(req, ctx.trustProxy) }, 'webhook event ignored: honeypot field filled');
        ctx.metrics?.securityRefusal('honeypot');
        return answer.ok(200, { ignored: true });
      }
    }
    if (form && isObject(payload)) payload = coerceFormPayload(trigger.payloadSchema, payload);

    const headers = redactHeaders(req.headers, trigger.auth.type === 'token' && trigger.auth.header ? [trigger.auth.header] : []);
    const admission = admitEvent(flow, { source: { kind: 'webhook', path }, payload, headers }, { checkPayload: ctx.flows.payloadValidator(flow) });
    if (admission.admit === 'rejected') {
      await dropFiles();
      logRejected(path, flow.id, 422, admission.error, admission.errors);
      return answer.fail(422, admission.error, admission.errors);
    }
    if (admission.admit === 'ignored') {
      await dropFiles();
      return answer.ok(200, { ignored: true });
    }
    let started;
    try {
      started = await ctx.runner.start(flow, admission.start, { runId, held });
    } catch (e) {
      await dropFiles().catch(() => 0);
      throw e;
    }
    const { run, duplicate } = started;
    if (duplicate) {
      await dropFiles();
      return answer.ok(200, { runId: run.id, duplicate: true, ...(run.status === 'held' ? { held: true } : {}) });
    }
    answer.ok(202, held ? { runId: run.id, held: true } : { runId: run.id });
  }

  return (req, res) => {
    (res as TimedResponse)[RECEIVED] = performance.now();
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export { FORM_LIMITS };
