// The founder's before-automation figures (GET/PUT /api/settings/baseline). The failure rate is typed
// as a percentage and stored as a fraction; a 422 is shown under the field it names.
import { useEffect, useState } from 'react';
import type { Baseline } from '@flowdesk/engine';
import { ApiError, get, put } from '../api.ts';

type Field = keyof Baseline;
const FIELDS: { key: Field; label: string; unit: string; scale: number }[] = [
  { key: 'leadResponseMedianMinutes', label: 'Median lead response', unit: 'minutes', scale: 1 },
  { key: 'weeklyManualHours', label: 'Manual hours on repetitive work', unit: 'hours/week', scale: 1 },
  { key: 'failureRate', label: 'Failure rate', unit: '%', scale: 100 },
  { key: 'collectionDays', label: 'Collection lag', unit: 'days', scale: 1 },
];

const toText = (b: Baseline, f: (typeof FIELDS)[number]) => (b[f.key] === undefined ? '' : String(Math.round(b[f.key]! * f.scale * 1e6) / 1e6));

export function BaselineForm(props: { onSaved: () => void }) {
  const [values, setValues] = useState<Record<Field, string> | null>(null);
  const [errors, setErrors] = useState<Partial<Record<Field | 'form', string>>>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    get<Baseline>('/api/settings/baseline')
      .then((b) => setValues(Object.fromEntries(FIELDS.map((f) => [f.key, toText(b, f)])) as Record<Field, string>))
      .catch((e) => setErrors({ form: (e as Error).message }));
  }, []);
  if (!values) return <div className="fd-card">{errors.form ? <div className="fd-callout error">{errors.form}</div> : 'Loading…'}</div>;

  const save = async () => {
    setSaved(false);
    const body: Record<string, number | string> = {};
    for (const f of FIELDS) {
      const t = values[f.key].trim();
      // a number goes as a number; anything else goes as typed, for the runtime to refuse by field
      if (t !== '') body[f.key] = Number.isFinite(Number(t)) ? Number(t) / f.scale : t;
    }
    try {
      await put('/api/settings/baseline', body);
      setErrors({});
      setSaved(true);
      props.onSaved();
    } catch (e) {
      const errs: Partial<Record<Field | 'form', string>> = {};
      const list = e instanceof ApiError && e.status === 422 ? ((e.body as { errors?: { path: string; message: string }[] })?.errors ?? []) : [];
      for (const x of list) {
        const key = x.path.replace(/^\//, '') as Field;
        if (FIELDS.some((f) => f.key === key)) errs[key] = x.message;
        else errs.form = `${x.path}: ${x.message}`;
      }
      if (list.length === 0) errs.form = (e as Error).message;
      setErrors(errs);
    }
  };

  return (
    <form
      className="fd-card fd-dash-baseline"
      data-testid="baseline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h4>Baseline: your figures before automation</h4>
      <div className="fd-dash-fields">
        {FIELDS.map((f) => (
          <label className="fd-field" key={f.key}>
            <span className="fd-field-label">
              {f.label} ({f.unit})
            </span>
            <input
              inputMode="decimal"
              value={values[f.key]}
              onChange={(e) => {
                setValues({ ...values, [f.key]: e.target.value });
                setSaved(false);
              }}
              data-testid={`baseline-${f.key}`}
            />
            {errors[f.key] && (
              <span className="fd-field-error" data-testid={`baseline-error-${f.key}`}>
                {errors[f.key]}
              </span>
            )}
          </label>
        ))}
      </div>
      <div className="fd-row">
        <button type="submit" className="fd-btn primary" data-testid="baseline-save">
          Save baseline
        </button>
        {saved && (
          <span className="fd-saved" data-testid="baseline-saved">
            Saved.
          </span>
        )}
        {errors.form && <span className="fd-field-error">{errors.form}</span>}
      </div>
    </form>
  );
}
