// The KPI dashboard: the four headline KPIs against their targets and the baseline, weekly charts,
// failure rate per flow, payload drift, the queues, the weekly review and the baseline settings.
// Periods are the last 7 / 30 / 90 days ending at the runtime's own "now" (the `to` its /api/kpis
// answers with when asked without a period), so a runtime on another clock shows its own last days.
import { useCallback, useEffect, useState } from 'react';
import { isoWeekOf, type HeadlineKpi, type KpiResult } from '@flowdesk/engine';
import { get } from '../api.ts';
import { navigate } from '../router.ts';
import { BaselineForm } from './BaselineForm.tsx';
import { WeeklyCharts } from './Charts.tsx';
import { formatMinutes, formatMs, formatTrend, formatValue, one, parseDays, PERIODS, periodFrom, verdict, verdictClass, type PeriodDays } from './format.ts';
import { WeeklyReview } from './WeeklyReview.tsx';
import './dashboard.css';

type Kpis = KpiResult & { tz: string };

async function fetchKpis(days: PeriodDays, to: string | null): Promise<Kpis> {
  if (to === null) {
    const k = await get<Kpis>('/api/kpis'); // the runtime's last 30 days, ending at its now
    if (days === 30) return k;
    to = k.to;
  }
  return get<Kpis>(`/api/kpis?${new URLSearchParams({ from: periodFrom(to, days), to })}`);
}

function Link(props: { to: string; testId?: string; children: React.ReactNode }) {
  return (
    <a
      href={props.to}
      data-testid={props.testId}
      onClick={(e) => {
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

function KpiCard(props: { id: string; title: string; k: HeadlineKpi; detail: string }) {
  const { k } = props;
  const v = verdict(k);
  const trend = formatTrend(k.changePct);
  return (
    <div className="fd-card fd-kpi" data-testid={`kpi-${props.id}`} data-met={v}>
      <div className="fd-kpi-title">{props.title}</div>
      <div className="fd-kpi-value" data-testid="kpi-value">
        {formatValue(k.value, k.unit)}
      </div>
      <div className="fd-hint">{props.detail}</div>
      <div className="fd-row fd-kpi-status">
        <span className={`fd-verdict ${verdictClass(v)}`} data-testid="kpi-met">
          {v}
        </span>
        <span data-testid="kpi-trend">
          {trend === null ? 'no baseline to compare' : `${trend} vs baseline ${formatValue(k.baseline, k.unit)}${k.baselineSource === 'period' ? ' (earlier period)' : ''}`}
        </span>
      </div>
      <div className="fd-hint" data-testid="kpi-target">
        Target: {k.target.text} ({k.target.rule})
      </div>
    </div>
  );
}

export function DashboardPage() {
  const [days, setDays] = useState<PeriodDays>(() => parseDays(new URLSearchParams(location.search).get('days')));
  const [anchor, setAnchor] = useState<string | null>(null); // the runtime's now, learnt from the first answer
  const [kpis, setKpis] = useState<Kpis | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [epoch, setEpoch] = useState(0);

  useEffect(() => {
    let live = true;
    fetchKpis(days, anchor)
      .then((k) => {
        if (!live) return;
        setKpis(k);
        setError(null);
        if (anchor === null) setAnchor(k.to);
      })
      .catch((e) => live && setError((e as Error).message));
    return () => {
      live = false;
    };
  }, [days, anchor, epoch]);
  useEffect(() => history.replaceState(null, '', days === 30 ? '/dashboard' : `/dashboard?days=${days}`), [days]);
  const refresh = useCallback(() => {
    setAnchor(null);
    setEpoch((x) => x + 1);
  }, []);

  const k = kpis;
  return (
    <div className="fd-page fd-dash" data-testid="dashboard">
      <div className="fd-page-head">
        <h2>Dashboard</h2>
        <div className="fd-row">
          <div className="fd-dash-periods" role="group" aria-label="Period">
            {PERIODS.map((d) => (
              <button key={d} type="button" className={`fd-btn small${d === days ? ' primary' : ''}`} onClick={() => setDays(d)} data-testid={`period-${d}`}>
                Last {d} days
              </button>
            ))}
          </div>
          {k && (
            <span className="fd-hint" data-testid="period">
              {k.from.slice(0, 16).replace('T', ' ')} → {k.to.slice(0, 16).replace('T', ' ')} ({k.tz})
            </span>
          )}
          <button type="button" className="fd-btn small" onClick={refresh} data-testid="dashboard-refresh">
            Refresh
          </button>
        </div>
      </div>
      {error && <div className="fd-callout error">{error}</div>}
      {!k && !error && <p className="fd-hint">Loading…</p>}
      {k && (
        <>
          <div className="fd-dash-kpis" data-testid="kpi-cards">
            <KpiCard id="leadResponse" title="Lead response (median)" k={k.leadResponse} detail={`p90 ${k.leadResponse.p90Minutes === null ? '—' : `${one(k.leadResponse.p90Minutes)} min`}, ${k.leadResponse.samples} ${k.leadResponse.samples === 1 ? 'lead' : 'leads'} answered`} />
            <KpiCard id="manualHours" title="Manual hours reclaimed" k={k.manualHours} detail={`${one(k.manualHours.hoursReclaimed)} h in the period`} />
            <KpiCard id="failureRate" title="Failure rate (critical paths)" k={k.failureRate} detail={`${k.failureRate.failed + k.failureRate.dead} of ${k.failureRate.finished} finished runs failed or dead`} />
            <KpiCard id="collectionLag" title="Cash collection lag (median)" k={k.collectionLag} detail={`${k.collectionLag.samples} invoices paid`} />
          </div>

          <div className="fd-card fd-row fd-dash-queues" data-testid="queues">
            <Link to="/dead-letters" testId="link-dead-letters">
              Dead letters waiting: <b data-testid="count-dead-letters">{k.deadLettersOpen}</b>
            </Link>
            <Link to="/reviews" testId="link-reviews">
              Reviews waiting: <b data-testid="count-reviews">{k.reviewsOpen}</b>
            </Link>
            <span className="fd-hint">
              {k.reviewQueue.resolvedInPeriod} reviews resolved in the period
              {k.reviewQueue.medianResolveMinutes !== null && `, median ${formatMinutes(k.reviewQueue.medianResolveMinutes)} to resolve`}
            </span>
            <Link to="/runs?status=dead" testId="link-dead-runs">
              Dead runs
            </Link>
            <Link to="/runs?status=needs_review" testId="link-review-runs">
              Runs waiting for review
            </Link>
          </div>

          <WeeklyCharts k={k} />

          {/* the baseline sits under the KPI cards it changes: no scrolling past the charts to reach it */}
          <BaselineForm onSaved={() => setEpoch((x) => x + 1)} />
          <div className="fd-dash-grid">
            <div className="fd-card fd-dash-wide">
              <h4>Failure rate per flow</h4>
              <table className="fd-table fd-list" data-testid="failure-table">
                <thead>
                  <tr>
                    <th>Flow</th>
                    <th className="r">Finished</th>
                    <th className="r">Failed</th>
                    <th className="r">Dead</th>
                    <th className="r">Cancelled</th>
                    <th className="r">Failure rate</th>
                    <th className="r">Median run</th>
                    <th>Runs</th>
                  </tr>
                </thead>
                <tbody>
                  {k.failureRate.perFlow.map((f) => (
                    <tr key={f.flowId} data-testid="failure-row" data-flow={f.flowId} data-flagged={String(f.flagged)}>
                      <td>
                        <b>{f.flowId}</b> {f.critical && <span className="fd-pill">critical</span>}
                      </td>
                      <td className="r">{f.finished}</td>
                      <td className="r">{f.failed}</td>
                      <td className="r">{f.dead}</td>
                      <td className="r">{f.cancelled}</td>
                      <td className="r">
                        {f.rate === null ? '—' : `${one(f.rate * 100)}%`} {f.flagged && <span className="fd-verdict bad" data-testid="failure-flag">above 2%</span>}
                      </td>
                      <td className="r">{formatMs(k.runDurationByFlow.find((d) => d.flowId === f.flowId)?.medianMs ?? null)}</td>
                      <td className="fd-row-actions">
                        <Link to={`/runs?flowId=${encodeURIComponent(f.flowId)}`}>all</Link> ·{' '}
                        <Link to={`/runs?flowId=${encodeURIComponent(f.flowId)}&status=dead`}>dead</Link> ·{' '}
                        <Link to={`/runs?flowId=${encodeURIComponent(f.flowId)}&status=failed`}>failed</Link>
                      </td>
                    </tr>
                  ))}
                  {k.failureRate.perFlow.length === 0 && (
                    <tr>
                      <td colSpan={8} className="fd-hint">
                        No finished runs in this period.
                      </td>
                    </tr>
                  )}
                </tbody>
              </table>
            </div>
            <div className="fd-card">
              <h4>Payload drift: rejected events by reason</h4>
              <table className="fd-table fd-list" data-testid="rejected-table">
                <tbody>
                  {k.rejectedByReason.map((r) => (
                    <tr key={r.reason} data-testid="rejected-row">
                      <td>{r.reason}</td>
                      <td className="r">{r.count}</td>
                    </tr>
                  ))}
                  {k.rejectedByReason.length === 0 && (
                    <tr>
                      <td className="fd-hint">No events rejected in this period.</td>
                    </tr>
                  )}
                </tbody>
              </table>
            </div>
          </div>

          <WeeklyReview weeks={k.manualHours.perWeek.map((w) => w.week)} current={isoWeekOf(k.to)} reload={epoch} />
        </>
      )}
      {!k && <BaselineForm onSaved={() => setEpoch((x) => x + 1)} />}
    </div>
  );
}
