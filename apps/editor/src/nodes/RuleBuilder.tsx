// The route rule builder: react-querybuilder with its JSON-Logic export/import, a free field input
// (with suggestions), number inputs for thresholds, AND/OR groups, and a raw JSON-Logic tab.
import { useMemo, useState } from 'react';
import { QueryBuilder, type Field as QField, type FieldSelectorProps, type RuleGroupType, type ValueEditorProps, ValueEditor } from 'react-querybuilder';
import { logicToQuery, NUMERIC_OPERATORS, queryToLogic, sameJson } from '../core/rules.ts';
import { JsonField, Tabs } from './fields.tsx';
import { VariablePicker } from './VariablePicker.tsx';

const OPERATORS = [
  { name: '=', label: '=' },
  { name: '!=', label: '≠' },
  { name: '<', label: '<' },
  { name: '<=', label: '≤' },
  { name: '>', label: '>' },
  { name: '>=', label: '≥' },
  { name: 'contains', label: 'contains' },
  { name: 'in', label: 'is one of' },
  { name: 'null', label: 'is empty' },
  { name: 'notNull', label: 'is not empty' },
];

function FieldInput(props: FieldSelectorProps) {
  const listId = 'fd-field-suggestions';
  return (
    <span className="fd-with-picker">
      <input className="rule-fields" list={listId} value={String(props.value ?? '')} placeholder="vars.score" data-testid="rule-field" onChange={(e) => props.handleOnChange(e.target.value)} />
      <VariablePicker testid="rule-field" onPick={(path) => props.handleOnChange(path)} />
    </span>
  );
}

function ThresholdEditor(props: ValueEditorProps) {
  if (NUMERIC_OPERATORS.has(props.operator)) {
    return (
      <input
        type="number"
        className="rule-value"
        data-testid="rule-value"
        value={props.value === '' || props.value === undefined || props.value === null ? '' : String(props.value)}
        onChange={(e) => props.handleOnChange(e.target.value === '' ? '' : Number(e.target.value))}
      />
    );
  }
  return (
    <span data-testid="rule-value-wrap">
      <ValueEditor {...props} />
    </span>
  );
}

export function RuleBuilder(props: { value: unknown; onChange: (logic: unknown) => void; fields: string[]; testid: string }) {
  const query = useMemo(() => logicToQuery(props.value), [props.value]);
  const [tab, setTab] = useState<string>(query ? 'builder' : 'json-logic');
  const [local, setLocal] = useState<RuleGroupType | null>(query);
  // keep local state (ids, incomplete rules) while it maps to the same logic
  const shown = local && sameJson(queryToLogic(local), props.value) ? local : query;
  const fields: QField[] = useMemo(() => props.fields.map((f) => ({ name: f, label: f })), [props.fields]);
  return (
    <div className="fd-rule" data-testid={props.testid}>
      <Tabs tabs={['builder', 'json-logic']} active={shown ? tab : 'json-logic'} onChange={setTab} testid={`${props.testid}-tab`} />
      {tab === 'builder' && shown ? (
        <QueryBuilder
          query={shown}
          enableMountQueryChange={false}
          fields={fields}
          operators={OPERATORS}
          controlElements={{ fieldSelector: FieldInput, valueEditor: ThresholdEditor }}
          getDefaultField={() => 'vars.score'}
          getDefaultOperator={() => '>='}
          onQueryChange={(q) => {
            setLocal(q);
            props.onChange(queryToLogic(q));
          }}
          controlClassnames={{ queryBuilder: 'queryBuilder-branches' }}
          translations={{ addRule: { label: '+ condition' }, addGroup: { label: '+ AND/OR group' } } as never}
        />
      ) : (
        <>
          {tab === 'builder' && <p className="fd-hint">This rule uses operators the builder cannot show; edit it as JSON-Logic.</p>}
          <JsonField label="JSON-Logic" value={props.value} onChange={props.onChange} testid={`${props.testid}-json`} rows={6} />
        </>
      )}
    </div>
  );
}
