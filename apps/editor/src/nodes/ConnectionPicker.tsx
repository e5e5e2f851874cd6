// The connection picker of a connector node: the connections of the action's apps, by name.
import { useEffect, useState } from 'react';
import type { ConnectionView } from '@flowdesk/schema/specs';
import { get } from '../api.ts';
import { navigate } from '../router.ts';
import { Field } from './fields.tsx';

export function ConnectionPicker(props: { label: string; value: string | undefined; apps: readonly string[]; onChange: (v: string | undefined) => void; testid?: string }) {
  const [list, setList] = useState<ConnectionView[] | null>(null);
  useEffect(() => {
    get<ConnectionView[]>('/api/connections')
      .then(setList)
      .catch(() => setList([]));
  }, []);
  const options = (list ?? []).filter((c) => props.apps.includes('*') || props.apps.includes(c.app));
  const known = !props.value || options.some((c) => c.id === props.value);
  return (
    <Field label={props.label}>
      <select data-testid={props.testid} value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value || undefined)}>
        <option value="">— none —</option>
        {!known && <option value={props.value}>{props.value} (not set up)</option>}
        {options.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name} ({c.id}){c.status !== 'ready' ? ` — ${c.status}` : ''}
          </option>
        ))}
      </select>
      <a
        href="/connections"
        className="fd-hint"
        onClick={(e) => {
          e.preventDefault();
          navigate('/connections');
        }}
      >
        Manage connections
      </a>
    </Field>
  );
}
