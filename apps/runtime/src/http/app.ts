// The Express 5 adapter: routes only; the work lives in the runner, the registry and the store.
import express, { type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { RuntimeContext } from '../context.ts';
import { securityHeaders } from '../security/headers.ts';
import { adminHostGuard } from '../security/host-guard.ts';
import { apiWriteGuard } from '../security/origin-guard.ts';
import { flowsRouter } from './api-flows.ts';
import { stepsRouter } from './api-steps.ts';
import { stateMapRouter } from './api-state-map.ts';
import { opsRouter } from './api-ops.ts';
import { observabilityRouter } from './api-observability.ts';
import { filesRouter } from './api-files.ts';
import { sendError } from './errors.ts';
import { StoreBusyError } from '../store/types.ts';
import { connectionsRouter, connectionUsageRoute, oauthCallback } from './api-connections.ts';
import { reviewLinksRouter } from './review-links.ts';

function adminAuth(token: string | undefined) {
  const want = token ? Buffer.from(`Bearer ${token}`) : undefined;
  return (req: Request, res: Response, next: NextFunction) => {
    if (!want) return next();
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length === want.length && timingSafeEqual(got, want)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer');
    sendError(res, 401, 'admin API: missing or wrong Authorization: Bearer token');
  };
}

export function createApp(ctx: RuntimeContext, extraApi?: (r: express.Router) => void): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // the public surface: any Host (vendors come through tunnels and proxies)
  app.get('/healthz', (_req, res) => {
    // 503 while the store cannot write (a full disk…), naming why: webhooks are refused meanwhile
    const h = ctx.store.health();
    res.status(h.ok ? 200 : 503).json(h.ok ? { ok: true } : { ok: false, cause: `store: ${h.cause}`, since: h.since });
  });
  // POST /hooks/* never reaches Express (see index.ts); anything else there is not a route
  app.all('/hooks/*path', (_req, res) => sendError(res, 405, 'webhooks take POST (JSON or an HTML form)'));
  // signed review-decision links: the token is the proof (no admin token), any Host
  app.use('/r', securityHeaders(), reviewLinksRouter(ctx));
  // the end of an OAuth2 "Connect": its single-use state, bound to the editor session's cookie, is the
  // proof (no admin token; a forged, foreign, expired or reused state is refused), any Host like /r
  app.get('/oauth/callback', securityHeaders(), oauthCallback(ctx));

  // the admin surface from here on (host-guard.ts lists the public paths it lets through)
  const refused = (kind: string) => ctx.metrics?.securityRefusal(kind);
  app.use(adminHostGuard({ adminToken: ctx.adminToken, allowedHosts: ctx.allowedHosts, trustProxy: ctx.trustProxy }, ctx.log, () => refused('host')));
  app.get('/metrics', adminAuth(ctx.adminToken), async (_req, res) => {
    if (!ctx.metrics) return sendError(res, 404, 'metrics are not enabled');
    res.setHeader('Content-Type', ctx.metrics.contentType);
    res.send(await ctx.metrics.text());
  });

  const api = express.Router();
  api.use(apiWriteGuard(ctx.trustProxy, ctx.log, refused));
  api.use(adminAuth(ctx.adminToken));
  api.use(express.json({ limit: '5mb' }));
  api.use('/flows', flowsRouter(ctx));
  api.use('/connections', connectionsRouter(ctx));
  api.get('/connection-usage', connectionUsageRoute(ctx));
  api.use('/steps', stepsRouter(ctx));
  api.use('/state-map', stateMapRouter(ctx));
  api.use('/', opsRouter(ctx));
  api.use('/', observabilityRouter(ctx));
  api.use('/', filesRouter(ctx));
  extraApi?.(api);
  api.use((_req, res) => sendError(res, 404, 'no such API route'));
  app.use('/api', securityHeaders(), api);

  if (ctx.editorDir && existsSync(join(ctx.editorDir, 'index.html'))) {
    const dir = ctx.editorDir;
    app.use(securityHeaders(), express.static(dir, { index: 'index.html' }));
    app.get(/^\/(?!api\/|hooks\/|r\/|oauth\/).*/, securityHeaders(), (_req, res) => res.sendFile(join(dir, 'index.html')));
  } else {
    app.get('/', (_req, res) => res.type('text/plain').send('Flowdesk runtime. The editor is not built: run `npm run build:editor`.'));
  }

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.parse.failed') return sendError(res, 400, `malformed JSON: ${e.message}`);
    if (e.type === 'entity.too.large') return sendError(res, 413, 'body too large');
    if (err instanceof StoreBusyError) {
      res.setHeader('Retry-After', '1');
      return sendError(res, 503, err.message);
    }
    ctx.log.error({ err: e.message }, 'request failed');
    if (!res.headersSent) sendError(res, typeof e.status === 'number' && e.status >= 400 ? e.status : 500, e.message ?? 'internal error');
  });
  return app;
}
