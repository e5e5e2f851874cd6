// /api runs, dead letters, reviews, records, rejected events, tasks, outbox, alerts, the cluster.
import express, { type Router } from 'express';
import { RUN_STATUSES, type RunStatus } from '@flowdesk/schema';
import type { RuntimeContext } from '../context.ts';
import { clusterView } from '../cluster/view.ts';
import { sendError, sendThrown } from './errors.ts';

/** A date (2026-03-01) or a date-time with its zone (2026-03-01T09:00:00Z, …+02:00). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const isIsoTime = (v: string) => ISO_TIME.test(v) && !Number.isNaN(Date.parse(v));

const stamp = (x: object): string => {
  const o = x as { createdAt?: unknown; at?: unknown };
  return String(o.createdAt ?? o.at ?? '');
};
const newestFirst = (a: object, b: object): number => (stamp(b) < stamp(a) ? -1 : stamp(b) > stamp(a) ? 1 : 0);

export function opsRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  const q = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

  r.get('/runs', async (req, res) => {
    const status = q(req.query.status);
    if (status && !RUN_STATUSES.includes(status as RunStatus)) return sendError(res, 400, `status must be one of ${RUN_STATUSES.join(', ')}`, [{ path: 'status', message: 'unknown status' }]);
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return sendError(res, 400, 'limit must be an integer from 1 to 1000', [{ path: 'limit', message: 'out of range' }]);
    const from = q(req.query.from);
    const to = q(req.query.to);
    for (const [name, v] of [['from', from], ['to', to]] as const) {
      if (Array.isArray(req.query[name])) return sendError(res, 400, `${name} given more than once`, [{ path: name, message: 'repeated' }]);
      if (v !== undefined && !isIsoTime(v)) return sendError(res, 400, `${name} must be an ISO date-time (e.g. 2026-03-01T00:00:00Z)`, [{ path: name, message: 'not an ISO date-time' }]);
    }
    if (from && to && Date.parse(from) > Date.parse(to)) return sendError(res, 400, 'from must not be after to', [{ path: 'from', message: `is after to (${to})` }]);
    res.json(await ctx.store.listRuns({ flowId: q(req.query.flowId), status: status as RunStatus | undefined, key: q(req.query.key), record: q(req.query.record), limit, before: q(req.query.before), from, to }));
  });
  r.get('/runs/:id', async (req, res) => {
    const run = await ctx.store.getRun(req.params.id);
    if (!run) return sendError(res, 404, `run ${req.params.id} not found`);
    res.json(run);
  });
  r.post('/runs/:id/replay', async (req, res) => {
    const b = (req.body ?? {}) as { newIdempotencyKey?: boolean; version?: 'latest' | number };
    try {
      const run = await ctx.runner.replay(req.params.id, { newIdempotencyKey: b.newIdempotencyKey === true, version: b.version });
      res.status(202).json({ runId: run.id });
    } catch (e) {
      sendThrown(res, e);
    }
  });
  r.post('/runs/:id/cancel', async (req, res) => {
    try {
      const run = await ctx.runner.cancel(req.params.id);
      res.json({ runId: run.id, status: run.status });
    } catch (e) {
      sendThrown(res, e);
    }
  });

  r.get('/dead-letters', async (req, res) => {
    const flowId = q(req.query.flowId);
    const status = q(req.query.status) ?? 'open';
    const all = await ctx.store.listDocs('deadLetters');
    res.json(all.filter((d) => (!flowId || d.flowId === flowId) && (status === 'all' || d.status === status)).sort(newestFirst));
  });
  r.post('/dead-letters/replay', async (req, res) => {
    const b = (req.body ?? {}) as { flowId?: unknown; newIdempotencyKey?: boolean; version?: 'latest' | number };
    if (typeof b.flowId !== 'string') return sendError(res, 422, 'invalid body', [{ path: '/flowId', message: 'required' }]);
    const open = (await ctx.store.listDocs('deadLetters')).filter((d) => d.flowId === b.flowId && d.status === 'open');
    const replayed: string[] = [];
    const skipped: { id: string; reason: string }[] = [];
    for (const d of open) {
      try {
        await ctx.runner.replay(d.runId, { newIdempotencyKey: b.newIdempotencyKey === true, version: b.version });
        replayed.push(d.runId);
      } catch (e) {
        skipped.push({ id: d.id, reason: (e as Error).message });
      }
    }
    res.status(202).json({ replayed, skipped });
  });
  r.post('/dead-letters/:id/replay', async (req, res) => {
    const dl = await ctx.store.getDoc('deadLetters', req.params.id);
    if (!dl) return sendError(res, 404, `dead letter ${req.params.id} not found`);
    if (dl.status === 'discarded') return sendError(res, 409, `dead letter ${req.params.id} was discarded`);
    const b = (req.body ?? {}) as { newIdempotencyKey?: boolean; version?: 'latest' | number };
    try {
      const run = await ctx.runner.replay(dl.runId, { newIdempotencyKey: b.newIdempotencyKey === true, version: b.version });
      res.status(202).json({ runId: run.id });
    } catch (e) {
      sendThrown(res, e);
    }
  });
  r.post('/dead-letters/:id/discard', async (req, res) => {
    const out = await ctx.store.updateDoc('deadLetters', req.params.id, (cur) =>
      cur && cur.status === 'open' ? { ...cur, status: 'discarded', updatedAt: new Date(ctx.clock.now()).toISOString() } : undefined,
    );
    if (!out) {
      const dl = await ctx.store.getDoc('deadLetters', req.params.id);
      return dl ? sendError(res, 409, `dead letter ${req.params.id} is ${dl.status}`) : sendError(res, 404, `dead letter ${req.params.id} not found`);
    }
    res.json(out);
  });

  r.get('/reviews', async (req, res) => {
    const status = q(req.query.status) ?? 'open';
    const queue = q(req.query.queue);
    const all = await ctx.store.listDocs('reviews');
    res.json(all.filter((x) => (status === 'all' || x.status === status) && (!queue || x.queue === queue)).sort(newestFirst));
  });
  r.post('/reviews/:id/resolve', async (req, res) => {
    const decision = (req.body as { decision?: unknown } | undefined)?.decision;
    if (typeof decision !== 'string') return sendError(res, 422, 'invalid body', [{ path: '/decision', message: 'required string' }]);
    try {
      const run = await ctx.runner.resolveReview(req.params.id, decision);
      res.json({ runId: run.id, status: run.status });
    } catch (e) {
      sendThrown(res, e);
    }
  });

  r.get('/records', async (req, res) => {
    res.json(await ctx.store.listRecords({ entity: q(req.query.entity), state: q(req.query.state) }));
  });
  // per entity and state, how many records are there (the States page; counted from the index)
  r.get('/records/counts', async (_req, res) => {
    res.json(await ctx.store.countRecords());
  });
  r.get('/records/:entity/:key', async (req, res) => {
    const rec = await ctx.store.getRecord(req.params.entity, req.params.key);
    if (!rec) return sendError(res, 404, `record ${req.params.entity}/${req.params.key} not found`);
    res.json(rec);
  });
  r.post('/records/:entity/:key/state', async (req, res) => {
    const b = (req.body ?? {}) as { state?: unknown; data?: Record<string, unknown> };
    if (typeof b.state !== 'string' || !b.state) return sendError(res, 422, 'invalid body', [{ path: '/state', message: 'required string' }]);
    if (ctx.stateMap && !ctx.stateMap.entities[req.params.entity]) return sendError(res, 404, `unknown entity "${req.params.entity}"`);
    const key = `record:${req.params.entity}:${req.params.key}`;
    let out: unknown;
    let err: unknown;
    // through the record's queue: a manual transition never races a run on the same record
    await ctx.runner.queue.push(key, async () => {
      try {
        out = await ctx.services.setRecordState({ entity: req.params.entity, key: req.params.key, state: b.state as string, data: b.data, cause: { manual: true } });
      } catch (e) {
        err = e;
      }
    });
    if (err) return sendThrown(res, err);
    res.json(out);
  });

  // the instances sharing this database, alive or not, what each drives, and who holds each lease
  r.get('/cluster', async (_req, res) => {
    try {
      res.json(await clusterView(ctx.store, ctx.leases, ctx.rateLimiter));
    } catch (e) {
      sendError(res, 503, `the database did not answer: ${(e as Error).message}`);
    }
  });

  r.get('/rejected', async (req, res) => {
    const limit = req.query.limit ? Number(req.query.limit) : 100;
    res.json(await ctx.store.listRejected({ flowId: q(req.query.flowId), limit, since: q(req.query.since) }));
  });
  r.get('/tasks', async (_req, res) => res.json((await ctx.store.listDocs('tasks')).sort(newestFirst)));
  r.get('/outbox', async (_req, res) => res.json((await ctx.store.listDocs('outbox')).sort(newestFirst)));
  r.get('/alerts', async (req, res) => {
    const flowId = q(req.query.flowId);
    res.json((await ctx.store.listDocs('alerts')).filter((a) => !flowId || a.flowId === flowId).sort(newestFirst));
  });

  return r;
}
