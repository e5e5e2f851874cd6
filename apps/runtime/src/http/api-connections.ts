// /api/connections: credentials as first-class objects (masked in every answer), their test, the
// OAuth2 "Connect", and which flows use them. /oauth/callback (public) completes a Connect.
import express, { type Request, type Response, type Router } from 'express';
import { connectorUses } from '@flowdesk/schema';
import type { RuntimeContext } from '../context.ts';
import { ActionFailure } from '../actions/define.ts';
import { connectorApp } from '../connectors/index.ts';
import { probeApp, sendAs } from '../connectors/define.ts';
import { CALLBACK_PATH, finishConnect, parseCookies, startConnect } from '../connections/oauth-connect.ts';
import { ConnectionApiError, ConnectionBroken, ConnectionNotConfigured, ConnectionUnavailable } from '../connections/vault.ts';
import { requestedHost } from '../security/host-guard.ts';
import { sendError, sendThrown } from './errors.ts';
import { CONFIG_CHANGES } from '../flows/registry.ts';

function fail(res: Response, e: unknown): void {
  if (e instanceof ConnectionApiError) {
    res.status(e.status).json({ error: e.message, ...(e.errors ? { errors: e.errors } : {}), ...(e.extra ?? {}) });
    return;
  }
  sendThrown(res, e);
}

const originOf = (req: Request, ctx: RuntimeContext) => `${req.protocol}://${requestedHost(req, ctx.trustProxy) ?? '127.0.0.1'}`;

export function connectionsRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  const v = ctx.connections;

  r.get('/', async (_req, res) => {
    try {
      res.json(await v.list());
    } catch (e) {
      fail(res, e);
    }
  });

  r.post('/', async (req, res) => {
    try {
      res.status(201).json(await v.create(req.body));
    } catch (e) {
      fail(res, e);
    }
  });

  r.get('/:id', async (req, res) => {
    const c = await v.get(req.params.id);
    if (!c) return sendError(res, 404, `connection ${req.params.id} not found`);
    res.json(c);
  });

  r.put('/:id', async (req, res) => {
    try {
      res.json(await v.update(req.params.id, req.body));
    } catch (e) {
      fail(res, e);
    }
  });

  r.delete('/:id', async (req, res) => {
    const force = req.query.force === 'true' || req.query.force === '1';
    try {
      // "used by" is checked against the flows as stored (one deployed through another instance a moment
      // ago included), one config change at a time
      res.json(
        await ctx.store.exclusive(CONFIG_CHANGES, async () => {
          await ctx.flows.syncFromStore();
          return v.remove(req.params.id, force);
        }),
      );
    } catch (e) {
      fail(res, e);
    }
  });

  // runs the app's harmless test call with the connection: 200 {ok, message} or {ok: false, error}
  r.post('/:id/test', async (req, res) => {
    const id = req.params.id;
    try {
      const c = await v.resolve(id);
      const app = connectorApp(c.app);
      if (!app) return sendError(res, 409, `no connector for app ${c.app}`);
      const answer = await sendAs(probeApp(app), c, app.test.request, { vault: v, nowMs: () => ctx.clock.now(), cause: {}, timeoutMs: 10_000 });
      res.json(ctx.redact({ ok: true, status: answer.status, message: app.test.describe?.(answer) ?? `HTTP ${answer.status}` }));
    } catch (e) {
      if (e instanceof ConnectionNotConfigured && !(await v.get(id))) return sendError(res, 404, `connection ${id} not found`);
      if (e instanceof ActionFailure) return res.json(ctx.redact({ ok: false, errorClass: e.errorClass, error: e.message, ...(e.detail.status ? { status: e.detail.status } : {}) }));
      if (e instanceof ConnectionBroken || e instanceof ConnectionNotConfigured || e instanceof ConnectionUnavailable) return res.json(ctx.redact({ ok: false, error: e.message }));
      fail(res, e);
    }
  });

  // OAuth2 authorization code: the URL to send the founder to, bound to this browser by a cookie
  r.post('/:id/connect', async (req, res) => {
    try {
      const s = await startConnect(ctx.connectDeps, req.params.id, originOf(req, ctx));
      res.cookie(s.cookie.name, s.cookie.value, { httpOnly: true, sameSite: 'lax', path: s.cookie.path, maxAge: s.cookie.maxAgeSeconds * 1000, secure: s.cookie.secure });
      res.json({ authorizeUrl: s.authorizeUrl, redirectUri: s.redirectUri });
    } catch (e) {
      fail(res, e);
    }
  });

  return r;
}

/** GET /api/connection-usage: every connector node and the state of its connection. */
export function connectionUsageRoute(ctx: RuntimeContext) {
  return async (req: Request, res: Response) => {
    const flowId = typeof req.query.flowId === 'string' ? req.query.flowId : undefined;
    const flows = ctx.flows.list().filter((f) => !flowId || f.id === flowId).map((f) => f.doc);
    res.json(connectorUses(flows, await ctx.connections.list()));
  };
}

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:system-ui;margin:3em"><h1>${title}</h1><p>${text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')}</p><p><a href="/connections">Back to Connections</a></p></body></html>`;

/** GET /oauth/callback: the public end of a Connect (see connections/oauth-connect.ts). */
export function oauthCallback(ctx: RuntimeContext) {
  return async (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const q = req.originalUrl.indexOf('?');
    const raw = q >= 0 ? req.originalUrl.slice(q) : '';
    try {
      const out = await finishConnect(ctx.connectDeps, req.query as Record<string, unknown>, parseCookies(req.headers.cookie), originOf(req, ctx), raw);
      if (out.kind === 'forward') return res.redirect(303, out.location);
      if ('clearCookie' in out && out.clearCookie) res.clearCookie(out.clearCookie, { path: CALLBACK_PATH });
      if (out.kind === 'connected') {
        ctx.log.info({ connection: out.connectionId }, `connection ${out.connectionId} connected`);
        return res.status(200).type('html').send(page('Connected', `Connection ${out.connectionId} is connected. You can close this tab.`));
      }
      ctx.log.warn({ status: out.status, reason: out.message }, 'OAuth callback refused');
      res.status(out.status).type('html').send(page('Not connected', out.message));
    } catch (e) {
      ctx.log.error({ err: (e as Error).message }, 'OAuth callback failed');
      res.status(500).type('html').send(page('Not connected', 'connecting failed; see the runtime log'));
    }
  };
}
