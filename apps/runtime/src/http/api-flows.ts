// /api/flows: deploy (PUT, versioned), read, deactivate, versions, rollback, dry run, manual run.
import express, { type Request, type Router } from 'express';
import type { Flow } from '@flowdesk/schema';
import { admitEvent, dryRunAsync, evaluateLogic } from '@flowdesk/engine';
import type { RuntimeContext } from '../context.ts';
import type { StoredFlow } from '../store/types.ts';
import { sendError, sendThrown } from './errors.ts';
import { storedStateMap } from '../flows/state-map-source.ts';
import { CONFIG_CHANGES, type DeployError } from '../flows/registry.ts';

/**
 * What a deploy is checked against: the flows and the state map as stored — this instance's copies
 * follow a change made through another instance by the change feed's delay (or the reconcile's). Read
 * under CONFIG_CHANGES, so nothing checked the same way is written between this read and the deploy.
 */
async function storedTruth(ctx: RuntimeContext) {
  await ctx.flows.syncFromStore();
  return { stateMap: (await storedStateMap(ctx.store)) ?? ctx.flows.stateMap };
}

/**
 * A deploy's precondition, so an edit made from an older version never silently replaces one deployed
 * since (another tab, another person): `If-Match: "<version>"` — the version the edit started from —
 * or `If-None-Match: *` — the flow must not exist yet. Neither header: no precondition (scripts, CI).
 */
type Precondition = { version: number } | { absent: true } | undefined;

function preconditionOf(req: Request): Precondition | { invalid: string } {
  const match = req.get('if-match');
  const noneMatch = req.get('if-none-match');
  if (match !== undefined) {
    const m = /^\s*"?(\d{1,9})"?\s*$/.exec(match);
    return m ? { version: Number(m[1]) } : { invalid: 'If-Match must be the version the edit started from, e.g. "3"' };
  }
  if (noneMatch !== undefined) return noneMatch.trim() === '*' ? { absent: true } : { invalid: 'If-None-Match must be * (deploy only if the flow does not exist yet)' };
  return undefined;
}

/** Why the stored latest version fails the precondition, or undefined. */
function unmet(pre: Precondition, id: string, latest: number | undefined): string | undefined {
  if (!pre) return undefined;
  if ('absent' in pre) return latest === undefined ? undefined : `flow ${id} already exists (version ${latest} is the latest): load it, or deploy without If-None-Match to replace it`;
  if (latest === pre.version) return undefined;
  return latest === undefined
    ? `flow ${id} no longer exists (the edit started from version ${pre.version})`
    : `flow ${id} was deployed as version ${latest} since version ${pre.version}, which this edit started from: load version ${latest}, or deploy without If-Match to replace it`;
}

const docOf = (f: StoredFlow): Flow & { hold?: boolean } => ({ ...f.doc, version: f.version, active: f.active, ...(f.hold ? { hold: true } : {}) });

export function flowsRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  const now = () => new Date(ctx.clock.now()).toISOString();

  r.get('/', async (_req, res) => {
    const out = [];
    for (const f of ctx.flows.list()) {
      const [last] = await ctx.store.listRuns({ flowId: f.id, limit: 1 });
      const held = f.hold ? (await ctx.runner.heldRuns(f.id)).length : 0;
      out.push({ ...docOf(f), deployedAt: f.deployedAt, lastRun: last ? { id: last.id, status: last.status, at: last.updatedAt } : null, heldRuns: held });
    }
    res.json(out.sort((a, b) => a.id.localeCompare(b.id)));
  });

  r.get('/:id', (req, res) => {
    const f = ctx.flows.get(req.params.id);
    if (!f) return sendError(res, 404, `flow ${req.params.id} not found`);
    // what a deploy's If-Match names; not a cache validator (the active flag changes within a version)
    res.setHeader('ETag', `"${f.version}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.json(docOf(f));
  });

  /** How many events wait while the flow is paused with hold, oldest first (ids and arrival times). */
  r.get('/:id/held', async (req, res) => {
    const f = ctx.flows.get(req.params.id);
    if (!f) return sendError(res, 404, `flow ${req.params.id} not found`);
    const held = await ctx.runner.heldRuns(f.id);
    res.json({ hold: !!f.hold, count: held.length, runs: held.slice(0, 100).map((r) => ({ id: r.id, at: r.createdAt, idempotencyKey: r.idempotencyKey })) });
  });

  /** The owner discards the held events (each run is cancelled, kept in the history). */
  r.post('/:id/held/discard', async (req, res) => {
    const f = ctx.flows.get(req.params.id);
    if (!f) return sendError(res, 404, `flow ${req.params.id} not found`);
    res.json({ discarded: await ctx.runner.discardHeld(f.id) });
  });

  r.put('/:id', async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return sendError(res, 400, 'body must be a flow document (JSON object)');
    if (body.id !== undefined && body.id !== req.params.id) {
      return sendError(res, 422, 'invalid flow', [{ path: '/id', message: `must equal the URL id "${req.params.id}"` }]);
    }
    const pre = preconditionOf(req);
    if (pre && 'invalid' in pre) return sendError(res, 400, pre.invalid, [{ path: '/headers', message: pre.invalid }]);
    let before: StoredFlow | undefined;
    const out = await ctx.store.exclusive(CONFIG_CHANGES, async () => {
      const truth = await storedTruth(ctx);
      before = ctx.flows.get(req.params.id);
      const stale = unmet(pre, req.params.id, before?.version);
      if (stale) return { ok: false as const, stale };
      return ctx.flows.deploy({ ...body, id: req.params.id }, now(), truth);
    });
    if ('stale' in out) {
      // nothing deployed: the edit would replace a version its author has not seen
      return res.status(409).json({ error: out.stale, errors: [{ path: '/headers', message: out.stale }], latestVersion: before?.version ?? null });
    }
    if (!out.ok) return sendError(res, out.error.status, out.error.error, out.error.errors);
    await ctx.scheduler.armSchedules();
    await ctx.pollers.arm();
    // deployed active while it was paused with hold: its held events start on this version
    if (before?.hold && out.flow.active) await ctx.runner.releaseHeld(out.flow.id);
    // warnings (a placeholder naming a field an open contract does not declare) do not stop a deploy
    res.status(200).json({ id: out.flow.id, version: out.flow.version, ...(out.warnings.length ? { warnings: out.warnings } : {}) });
  });

  r.delete('/:id', async (req, res) => {
    const f = await ctx.store.exclusive(CONFIG_CHANGES, () => ctx.flows.setActive(req.params.id, false));
    if (!f) return sendError(res, 404, `flow ${req.params.id} not found`);
    await ctx.scheduler.armSchedules();
    await ctx.pollers.arm();
    res.json({ id: f.id, version: f.version, active: false });
  });

  r.post('/:id/active', async (req, res) => {
    const body = req.body as { active?: unknown; hold?: unknown } | undefined;
    const active = body?.active;
    if (typeof active !== 'boolean') return sendError(res, 422, 'invalid body', [{ path: '/active', message: 'must be a boolean' }]);
    if (body?.hold !== undefined && typeof body.hold !== 'boolean') return sendError(res, 422, 'invalid body', [{ path: '/hold', message: 'must be a boolean' }]);
    const hold = body?.hold === true;
    if (hold && active) return sendError(res, 422, 'invalid body', [{ path: '/hold', message: 'holds events while the flow is off: only with "active": false' }]);
    const cur = ctx.flows.get(req.params.id);
    if (!cur) return sendError(res, 404, `flow ${req.params.id} not found`);
    if (hold && cur.doc.trigger.type !== 'webhook' && cur.doc.trigger.type !== 'schedule') {
      return sendError(res, 422, 'invalid body', [{ path: '/hold', message: `a ${cur.doc.trigger.type} trigger has no events to hold: pause it with "active": false` }]);
    }
    const releasedBefore = ctx.runner.releasedSoFar(req.params.id);
    const { conflict, flow: f } = await ctx.store.exclusive(CONFIG_CHANGES, async (): Promise<{ conflict?: DeployError; flow?: StoredFlow }> => {
      if (!active && !hold) return { flow: await ctx.flows.setActive(req.params.id, false) };
      // switched on, or paused with hold (which keeps its path): not while another flow took its path
      await ctx.flows.syncFromStore();
      const taken = ctx.flows.activationConflict(req.params.id);
      return taken ? { conflict: taken } : { flow: await ctx.flows.setActive(req.params.id, active, hold) };
    });
    if (conflict) return sendError(res, conflict.status, conflict.error, conflict.errors);
    if (!f) return sendError(res, 404, `flow ${req.params.id} not found`);
    await ctx.scheduler.armSchedules();
    await ctx.pollers.arm();
    if (active) await ctx.runner.releaseHeld(f.id);
    const released = active ? ctx.runner.releasedSoFar(f.id) - releasedBefore : 0;
    res.json({ id: f.id, version: f.version, active, ...(hold ? { hold: true } : {}), ...(active ? { released } : {}) });
  });

  r.get('/:id/versions', async (req, res) => {
    const versions = await ctx.store.listFlowVersions(req.params.id);
    if (!versions.length) return sendError(res, 404, `flow ${req.params.id} not found`);
    res.json(versions.map((v) => ({ version: v.version, deployedAt: v.deployedAt, doc: { ...v.doc, version: v.version } })));
  });

  r.post('/:id/rollback', async (req, res) => {
    const version = (req.body as { version?: unknown } | undefined)?.version;
    if (!Number.isInteger(version)) return sendError(res, 422, 'invalid body', [{ path: '/version', message: 'must be an integer' }]);
    const old = await ctx.store.getFlow(req.params.id, version as number);
    if (!old) return sendError(res, 404, `flow ${req.params.id} has no version ${String(version)}`);
    const out = await ctx.store.exclusive(CONFIG_CHANGES, async () => ctx.flows.deploy({ ...old.doc, active: true }, now(), await storedTruth(ctx)));
    if (!out.ok) return sendError(res, out.error.status, out.error.error, out.error.errors);
    await ctx.scheduler.armSchedules();
    await ctx.pollers.arm();
    // a rollback switches the flow on: events held while it was paused start on the version rolled back to
    await ctx.runner.releaseHeld(out.flow.id);
    res.json({ id: out.flow.id, version: out.flow.version, rolledBackTo: version });
  });

  r.post('/:id/dry-run', async (req, res) => {
    const f = ctx.flows.get(req.params.id);
    if (!f) return sendError(res, 404, `flow ${req.params.id} not found`);
    const body = (req.body ?? {}) as { payload?: unknown; headers?: Record<string, string>; decisions?: Record<string, string>; actionResults?: Record<string, 'ok' | 'error'> };
    const errors = ctx.flows.payloadValidator(f.doc)(body.payload);
    if (errors.length) return res.json({ ok: false, errors, path: [], edges: [], vars: {}, actions: [], status: 'failed' });
    const record = f.doc.record ? await recordFor(ctx, f.doc, body.payload) : undefined;
    res.json(await dryRunAsync(f.doc, { payload: body.payload, headers: body.headers, now: now(), record, decisions: body.decisions, actionResults: body.actionResults }, (cmd) => ctx.sandbox.run(cmd)));
  });

  r.post('/:id/run', async (req, res) => {
    const f = ctx.flows.get(req.params.id);
    if (!f) return sendError(res, 404, `flow ${req.params.id} not found`);
    if (!f.active) return sendError(res, 409, `flow ${req.params.id} is inactive`);
    const payload = (req.body as { payload?: unknown } | undefined)?.payload ?? {};
    const admission = admitEvent(f.doc, { source: { kind: 'manual' }, payload }, { checkPayload: ctx.flows.payloadValidator(f.doc) });
    if (admission.admit === 'rejected') return sendError(res, 422, admission.error, admission.errors);
    if (admission.admit === 'ignored') return res.status(200).json({ ignored: true });
    try {
      const { run, duplicate } = await ctx.runner.start(f.doc, admission.start);
      res.status(duplicate ? 200 : 202).json(duplicate ? { runId: run.id, duplicate: true } : { runId: run.id });
    } catch (e) {
      sendThrown(res, e);
    }
  });

  return r;
}

async function recordFor(ctx: RuntimeContext, flow: Flow, payload: unknown) {
  try {
    const key = evaluateLogic(flow.record!.key, { payload, headers: {} });
    return key ? await ctx.store.getRecord(flow.record!.entity, String(key)) : undefined;
  } catch {
    return undefined;
  }
}
