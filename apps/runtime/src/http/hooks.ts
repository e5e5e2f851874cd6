// POST /hooks/:path — the hot path: content type, size, JSON, auth, contract, filter, dedupe, durable run.
import express, { type Request, type Response, type Router } from 'express';
import { randomUUID } from 'node:crypto';
import { parseDuration } from '@flowdesk/schema';
import { evaluateLogic, truthy } from '@flowdesk/engine';
import { verifyWebhook } from '../security/webhook-auth.ts';
import { redactHeaders } from '../security/redact.ts';
import type { RuntimeContext } from '../context.ts';
import { sendError, type FieldError } from './errors.ts';

const MAX_BODY = 1024 * 1024;
const isJson = (ct: string | undefined) => !!ct && /^application\/([a-z0-9.+-]*\+)?json\b/i.test(ct);

export function hooksRouter(ctx: RuntimeContext): Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: MAX_BODY });

  const reject = (res: Response, path: string, flowId: string | undefined, status: number, reason: string, errors?: FieldError[]) => {
    void ctx.store
      .addRejected({ id: randomUUID(), at: new Date(ctx.clock.now()).toISOString(), flowId, path, status, reason, errors })
      .catch((e: Error) => ctx.log.error({ err: e.message }, 'could not record a rejected event'));
    respond(res, path, status, errors ? { error: reason, errors } : { error: reason });
  };
  const respond = (res: Response, path: string, status: number, body: unknown) => {
    ctx.metrics?.webhookResponse(path, status);
    res.status(status).json(body);
  };

  router.post('/*path', (req: Request, res: Response, next) => {
    const segments = (req.params as { path?: string[] | string }).path;
    const path = Array.isArray(segments) ? segments.join('/') : String(segments);
    if (!isJson(req.headers['content-type'])) return respond(res, path, 415, { error: 'content-type must be application/json' });
    const len = Number(req.headers['content-length'] ?? 0);
    if (len > MAX_BODY) return respond(res, path, 413, { error: `body over ${MAX_BODY} bytes` });
    raw(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { status?: number; type?: string };
        if (e.status === 413 || e.type === 'entity.too.large') return respond(res, path, 413, { error: `body over ${MAX_BODY} bytes` });
        return next(err);
      }
      handle(req, res, path).catch((e2: unknown) => next(e2));
    });
  });

  async function handle(req: Request, res: Response, path: string): Promise<void> {
    const stored = ctx.flows.byHook(path);
    if (!stored) return respond(res, path, 404, { error: `no active webhook trigger at /hooks/${path}` });
    const flow = stored.doc;
    if (flow.trigger.type !== 'webhook') return respond(res, path, 404, { error: `no active webhook trigger at /hooks/${path}` });
    const limited = ctx.rateLimiter.take(path, ctx.clock.now());
    if (!limited.ok) {
      res.setHeader('Retry-After', String(limited.retryAfterSeconds));
      return respond(res, path, 429, { error: 'rate limit exceeded', retryAfter: limited.retryAfterSeconds });
    }
    const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let payload: unknown;
    try {
      payload = JSON.parse(rawBody.toString('utf8'));
    } catch (e) {
      return respond(res, path, 400, { error: `malformed JSON: ${(e as Error).message}` });
    }
    const auth = verifyWebhook(flow.trigger.auth, { rawBody, headers: req.headers }, (n) => ctx.secrets.secret(n), ctx.clock.now());
    if (!auth.ok) return reject(res, path, flow.id, 401, auth.reason);
    const errors = ctx.flows.payloadValidator(flow)(payload);
    if (errors.length) return reject(res, path, flow.id, 422, 'payload does not match the contract', errors);
    const headers = redactHeaders(req.headers, flow.trigger.auth.type === 'token' && flow.trigger.auth.header ? [flow.trigger.auth.header] : []);
    const exprCtx = { payload, headers };
    let key: string | null = null;
    try {
      if (flow.trigger.filter !== undefined && !truthy(evaluateLogic(flow.trigger.filter, exprCtx, 'trigger.filter'))) {
        return respond(res, path, 200, { ignored: true });
      }
      if (flow.trigger.idempotencyKey !== undefined) {
        const k = evaluateLogic(flow.trigger.idempotencyKey, exprCtx, 'trigger.idempotencyKey');
        key = k === null || k === undefined || k === '' ? null : typeof k === 'string' ? k : JSON.stringify(k);
      }
    } catch (e) {
      return reject(res, path, flow.id, 422, (e as Error).message, [{ path: '', message: (e as Error).message }]);
    }
    const { run, duplicate } = await ctx.runner.start(flow, {
      payload,
      headers,
      idempotencyKey: key,
      dedupeWindowMs: flow.trigger.dedupeWindow ? parseDuration(flow.trigger.dedupeWindow) : undefined,
      trigger: { type: 'webhook', path },
    });
    if (duplicate) return respond(res, path, 200, { runId: run.id, duplicate: true });
    respond(res, path, 202, { runId: run.id });
  }

  return router;
}
