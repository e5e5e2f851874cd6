// The dashboard's charts (recharts): hours reclaimed and runs per ISO week, collection lag per month.
import { Bar, BarChart, CartesianGrid, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { KpiResult } from '@flowdesk/engine';

const round1 = (v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v);

function ChartCard(props: { title: string; testId: string; empty: boolean; children: React.ReactElement }) {
  return (
    <div className="fd-card fd-dash-chart" data-testid={props.testId}>
      <h4>{props.title}</h4>
      {props.empty ? (
        <p className="fd-hint">No data in this period.</p>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          {props.children}
        </ResponsiveContainer>
      )}
    </div>
  );
}

export function WeeklyCharts({ k }: { k: KpiResult }) {
  const weeks = k.manualHours.perWeek.map((w) => ({ ...w, hours: round1(w.hours) as number }));
  const empty = weeks.every((w) => w.runs === 0);
  return (
    <div className="fd-dash-grid">
      <ChartCard title="Manual hours reclaimed per week" testId="chart-hours" empty={empty}>
        <BarChart data={weeks} margin={{ top: 16, right: 8, left: -16, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="week" tick={{ fontSize: 11 }} />
          <YAxis tick={{ fontSize: 11 }} />
          <Tooltip formatter={(v) => [`${v} h`, 'reclaimed']} />
          <Bar dataKey="hours" fill="#4f46e5" isAnimationActive={false}>
            <LabelList dataKey="hours" position="top" fontSize={11} />
          </Bar>
        </BarChart>
      </ChartCard>
      {/* the KPI result has no lead response per week, so the second weekly chart is the run volume */}
      <ChartCard title="Finished runs per week" testId="chart-runs" empty={empty}>
        <BarChart data={weeks} margin={{ top: 16, right: 8, left: -16, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="week" tick={{ fontSize: 11 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
          <Tooltip formatter={(v) => [v, 'runs']} />
          <Bar dataKey="runs" fill="#0ea5e9" isAnimationActive={false}>
            <LabelList dataKey="runs" position="top" fontSize={11} />
          </Bar>
        </BarChart>
      </ChartCard>
      <ChartCard title="Collection lag per month (median days, invoice issued → paid)" testId="chart-collection" empty={k.collectionLag.samples === 0}>
        <BarChart data={k.collectionLag.perMonth.map((m) => ({ ...m, medianDays: round1(m.medianDays) }))} margin={{ top: 16, right: 8, left: -16, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="month" tick={{ fontSize: 11 }} />
          <YAxis tick={{ fontSize: 11 }} />
          <Tooltip formatter={(v, _n, item) => [`${v} days (${(item.payload as { samples: number }).samples} invoices)`, 'median']} />
          <Bar dataKey="medianDays" fill="#059669" isAnimationActive={false}>
            <LabelList dataKey="medianDays" position="top" fontSize={11} />
          </Bar>
        </BarChart>
      </ChartCard>
    </div>
  );
}
