// The weekly review (GET /api/reports/weekly): asked for as JSON it carries both the Markdown and the
// HTML. The Markdown is rendered here as React elements (text stays text); both are offered as
// downloads through blob URLs, so the admin token goes with the request like every other call.
import { useEffect, useMemo, useState } from 'react';
import { get } from '../api.ts';
import { parseMarkdown, type MdBlock } from './markdown.ts';

const STATUS: Record<string, string> = { met: 'ok', 'not met': 'bad', 'no data': 'none' };

function Block({ b }: { b: MdBlock }) {
  switch (b.kind) {
    case 'h1':
      return <h3>{b.text}</h3>;
    case 'h2':
      return <h4>{b.text}</h4>;
    case 'p':
      return <p>{b.text}</p>;
    case 'ul':
      return (
        <ul>
          {b.items.map((x, i) => (
            <li key={i}>{x}</li>
          ))}
        </ul>
      );
    case 'table': {
      const status = b.head.indexOf('Status');
      return (
        <table className="fd-table fd-list">
          <thead>
            <tr>
              {b.head.map((h, i) => (
                <th key={i} className={b.right[i] ? 'r' : ''}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {b.rows.map((r, j) => (
              <tr key={j}>
                {r.map((c, i) => (
                  <td key={i} className={b.right[i] ? 'r' : ''}>
                    {i === status ? <span className={`fd-verdict ${STATUS[c] ?? 'none'}`}>{c}</span> : c}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
  }
}

function useBlobUrl(text: string | undefined, type: string): string | undefined {
  const url = useMemo(() => (text === undefined ? undefined : URL.createObjectURL(new Blob([text], { type }))), [text, type]);
  useEffect(() => () => (url ? URL.revokeObjectURL(url) : undefined), [url]);
  return url;
}

/** `reload` changes when the figures behind the report may have changed (a new baseline, a refresh). */
export function WeeklyReview(props: { weeks: string[]; current: string; reload: number }) {
  const { current } = props;
  const [week, setWeek] = useState(current);
  const [report, setReport] = useState<{ markdown: string; html: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setWeek(current), [current]);
  useEffect(() => {
    let live = true;
    setReport(null);
    get<{ markdown: string; html: string }>(`/api/reports/weekly?week=${encodeURIComponent(week)}`)
      .then((r) => live && (setReport(r), setError(null)))
      .catch((e) => live && setError((e as Error).message));
    return () => {
      live = false;
    };
  }, [week, props.reload]);
  const md = useBlobUrl(report?.markdown, 'text/markdown');
  const html = useBlobUrl(report?.html, 'text/html');
  const blocks = useMemo(() => (report ? parseMarkdown(report.markdown) : []), [report]);
  const weeks = props.weeks.includes(props.current) ? props.weeks : [...props.weeks, props.current];
  return (
    <section className="fd-card fd-dash-review" data-testid="weekly-review">
      <div className="fd-row">
        <h4 className="fd-grow">Weekly review</h4>
        <select value={week} onChange={(e) => setWeek(e.target.value)} data-testid="review-week">
          {weeks.map((w) => (
            <option key={w}>{w}</option>
          ))}
        </select>
        {md && (
          <a className="fd-btn small" href={md} download={`weekly-review-${week}.md`} data-testid="review-download-md">
            Download Markdown
          </a>
        )}
        {html && (
          <a className="fd-btn small" href={html} download={`weekly-review-${week}.html`} data-testid="review-download-html">
            Download HTML
          </a>
        )}
      </div>
      {error && <div className="fd-callout error">{error}</div>}
      {!report && !error && <p className="fd-hint">Loading…</p>}
      <div className="fd-dash-report" data-testid="review-body">
        {blocks.map((b, i) => (
          <Block key={i} b={b} />
        ))}
      </div>
    </section>
  );
}
