// Forms, not raw JSON (issue 14, item 8): the flow's record, cancelOn and SLA, and an end's exit state,
// with entity and state pickers fed by the runtime's state map. A value the map does not know stays
// selectable (marked), so nothing typed earlier is dropped; the validator names it as a problem.
import { useId } from 'react';
import type { Flow, Sla } from '@flowdesk/schema';
import { entitiesOf, statesOf, useStateMap } from './useStateMap.ts';
import { Field, RuleText, Select, Text, withKey } from './fields.tsx';

/**
 * A combobox over the state map's names (the browser's list of suggestions): type or pick. A name the
 * map lacks is kept and said at once (the runtime would refuse it at deploy).
 */
function Picker(props: { label: string; value: string | undefined; options: string[]; onChange: (v: string | undefined) => void; testid: string; allowEmpty?: boolean; emptyLabel?: string }) {
  const listId = useId();
  const unknown = props.value !== undefined && props.value !== '' && props.options.length > 0 && !props.options.includes(props.value);
  return (
    <Field label={props.label}>
      <input list={listId} data-testid={props.testid} value={props.value ?? ''} placeholder={props.emptyLabel ?? (props.options.length ? `pick: ${props.options.slice(0, 3).join(', ')}…` : '')} onChange={(e) => props.onChange(e.target.value || undefined)} />
      <datalist id={listId} data-testid={`${props.testid}-options`}>
        {props.options.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
      {unknown && (
        <span className="fd-field-warning" data-testid={`${props.testid}-unknown`}>
          “{props.value}” is not in the state map ({props.options.join(', ')})
        </span>
      )}
    </Field>
  );
}

type Meta = Pick<Flow, 'record' | 'cancelOn' | 'sla'>;

export function RecordSettings(props: { meta: Meta; onChange: (k: keyof Meta, v: unknown) => void }) {
  const map = useStateMap();
  const entities = entitiesOf(map);
  const { record, cancelOn = [], sla } = props.meta;
  const setSla = (k: keyof Sla, v: unknown) => {
    const next = withKey(sla ?? { within: '' }, k, v) as Sla;
    props.onChange('sla', Object.keys(next).length === 1 && !next.within ? undefined : next);
  };
  return (
    <div data-testid="record-settings">
      <div className="fd-subsection">
        <h4>Record this run concerns</h4>
        <p className="fd-hint">Runs about the same record run one at a time, and can read `record` (its state).</p>
        <Picker
          label="Entity"
          value={record?.entity}
          options={entities}
          allowEmpty
          emptyLabel="— none"
          onChange={(e) => props.onChange('record', e ? { entity: e, key: record?.key ?? { var: 'payload.email' } } : undefined)}
          testid="flow-record-entity"
        />
        {record && <RuleText label="Key" value={record.key} onChange={(k) => props.onChange('record', { ...record, key: k ?? null })} testid="flow-record-key" hint="which field names the record, e.g. payload.email" />}
      </div>
      <div className="fd-subsection" data-testid="flow-cancel-on">
        <h4>Cancel waiting runs when…</h4>
        {cancelOn.map((c, i) => (
          <div className="fd-row" key={i} data-testid={`cancel-on-${i}`}>
            <Picker label="Entity" value={c.entity} options={entities} onChange={(e) => props.onChange('cancelOn', cancelOn.map((x, j) => (j === i ? { entity: e ?? '', state: x.state || (statesOf(map, e)[0] ?? '') } : x)))} testid={`cancel-on-entity-${i}`} />
            <Picker label="enters state" value={c.state} options={statesOf(map, c.entity)} onChange={(s) => props.onChange('cancelOn', cancelOn.map((x, j) => (j === i ? { ...x, state: s ?? '' } : x)))} testid={`cancel-on-state-${i}`} />
            <button type="button" className="fd-icon-btn" title="Remove" data-testid={`cancel-on-remove-${i}`} onClick={() => props.onChange('cancelOn', cancelOn.length > 1 ? cancelOn.filter((_, j) => j !== i) : undefined)}>
              ×
            </button>
          </div>
        ))}
        <button
          type="button"
          className="fd-btn small"
          data-testid="cancel-on-add"
          onClick={() => {
            const entity = record?.entity ?? entities[0] ?? '';
            props.onChange('cancelOn', [...cancelOn, { entity, state: statesOf(map, entity)[0] ?? '' }]);
          }}
        >
          + when a record enters a state
        </button>
      </div>
      <div className="fd-subsection" data-testid="flow-sla">
        <h4>SLA</h4>
        <Text label="Within" value={sla?.within || undefined} placeholder="4h, 2d" onChange={(v) => setSla('within', v ?? '')} testid="flow-sla-within" hint="a duration: 30m, 4h, 2d" />
        {sla && (
          <>
            <Picker label="…the record reaches state (optional)" value={sla.state} options={statesOf(map, record?.entity)} allowEmpty emptyLabel="— the run ends" onChange={(v) => setSla('state', v)} testid="flow-sla-state" />
            <Select label="Severity when missed" value={sla.severity} options={['P0', 'P1', 'P2']} allowEmpty onChange={(v) => setSla('severity', v)} testid="flow-sla-severity" />
          </>
        )}
      </div>
    </div>
  );
}

/** An end node's exit state: entity and state pickers, the key as a path or rule. */
export function ExitStateForm(props: { value: { entity: string; key: unknown; state: string } | undefined; onChange: (v: { entity: string; key: unknown; state: string } | undefined) => void }) {
  const map = useStateMap();
  const ex = props.value;
  return (
    <div className="fd-subsection">
      <h4>Exit state (optional)</h4>
      <Picker
        label="Entity"
        value={ex?.entity}
        options={entitiesOf(map)}
        allowEmpty
        emptyLabel="— none"
        onChange={(e) => props.onChange(e ? { entity: e, key: ex?.key ?? { var: 'payload.email' }, state: ex?.state || (statesOf(map, e)[0] ?? 'done') } : undefined)}
        testid="end-entity"
      />
      {ex && (
        <>
          <RuleText label="Key" value={ex.key} onChange={(k) => props.onChange({ ...ex, key: k ?? null })} testid="end-key" />
          <Picker label="State" value={ex.state} options={statesOf(map, ex.entity)} onChange={(s) => props.onChange({ ...ex, state: s ?? '' })} testid="end-state" />
        </>
      )}
    </div>
  );
}
