// /api/kpis, /api/settings/baseline, /api/reports/weekly.
import express, { type Router } from 'express';
import { isoWeekOf, isoWeekRange, type Baseline } from '@flowdesk/engine';
import type { RuntimeContext } from '../context.ts';
import { getBaseline, kpisFromStore, setBaseline, weeklyReportFromStore } from '../observability/kpi-facts.ts';
import { isIso, sendError } from './errors.ts';

const BASELINE_FIELDS = ['leadResponseMedianMinutes', 'weeklyManualHours', 'failureRate', 'collectionDays'] as const;

export function observabilityRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  const now = () => new Date(ctx.clock.now()).toISOString();

  /** What the editor needs to know of this runtime: the public address vendors call (FLOWDESK_PUBLIC_URL). */
  r.get('/info', (_req, res) => res.json({ publicUrl: ctx.publicUrl ?? null }));

  r.get('/kpis', async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const to = q.to ?? now();
    const from = q.from ?? new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
    const given: Record<string, string | undefined> = { from, to, baselineFrom: q.baselineFrom, baselineTo: q.baselineTo };
    const errors = Object.entries(given)
      .filter(([, v]) => v !== undefined && !isIso(v))
      .map(([k]) => ({ path: k, message: 'must be an ISO 8601 time' }));
    if (errors.length) return sendError(res, 400, 'invalid query', errors);
    if (Date.parse(from) >= Date.parse(to)) return sendError(res, 400, 'invalid query', [{ path: 'from', message: 'must be before to' }]);
    if ((q.baselineFrom === undefined) !== (q.baselineTo === undefined)) {
      return sendError(res, 400, 'invalid query', [{ path: q.baselineFrom ? 'baselineTo' : 'baselineFrom', message: 'baselineFrom and baselineTo go together' }]);
    }
    const tz = q.tz ?? 'UTC';
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
    } catch {
      return sendError(res, 400, 'invalid query', [{ path: 'tz', message: `unknown IANA time zone "${tz}"` }]);
    }
    const kpis = await kpisFromStore(ctx.store, { from: new Date(from).toISOString(), to: new Date(to).toISOString(), baselineFrom: q.baselineFrom, baselineTo: q.baselineTo, tz });
    res.json({ tz, ...kpis });
  });

  r.get('/settings/baseline', async (_req, res) => res.json((await getBaseline(ctx.store)) ?? {}));
  r.put('/settings/baseline', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const errors = Object.keys(body)
      .filter((k) => !(BASELINE_FIELDS as readonly string[]).includes(k))
      .map((k) => ({ path: `/${k}`, message: `unknown field; expected one of ${BASELINE_FIELDS.join(', ')}` }));
    for (const k of BASELINE_FIELDS) {
      const v = body[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) errors.push({ path: `/${k}`, message: 'must be a number ≥ 0' });
    }
    if (errors.length) return sendError(res, 422, 'invalid baseline', errors);
    await setBaseline(ctx.store, body as Baseline);
    res.json(body);
  });

  r.get('/reports/weekly', async (req, res) => {
    const week = typeof req.query.week === 'string' ? req.query.week : isoWeekOf(now());
    try {
      isoWeekRange(week);
    } catch (e) {
      return sendError(res, 400, (e as Error).message, [{ path: 'week', message: 'must be YYYY-Www' }]);
    }
    const report = await weeklyReportFromStore(ctx.store, { week, now: now() });
    if (req.accepts(['text/markdown', 'text/html', 'application/json']) === 'text/html') return res.type('text/html').send(report.html);
    if (req.accepts(['text/markdown', 'application/json']) === 'application/json' && !req.accepts('text/markdown')) return res.json(report);
    res.type('text/markdown').send(report.markdown);
  });
  return r;
}
