// The side panel: the selected node's form (trigger, node types, operations), or the flow's settings.
import { memo, useEffect, useState, type ReactNode } from 'react';
import type { Flow, FlowNode, Trigger } from '@flowdesk/schema';
import type { FlowMeta, GraphNodeData, StepData, TriggerData } from '../core/mapping.ts';
import { CommonForm } from '../nodes/NodeForms.tsx';
import { formFor } from '../nodes/registry.ts';
import { lookOf } from '../core/look.ts';
import { TriggerForm } from '../nodes/TriggerForm.tsx';
import { RecordSettings } from '../nodes/RecordForms.tsx';
import { VariablesContext } from '../nodes/VariablePicker.tsx';
import { JsonField, Lines, Select, Text, withKey } from '../nodes/fields.tsx';
import type { FlowError } from '../core/validate.ts';
import type { Variable } from '../core/variables.ts';

const ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function IdInput(props: { id: string; taken: Set<string>; onRename: (id: string) => void }) {
  const [v, setV] = useState(props.id);
  useEffect(() => setV(props.id), [props.id]);
  const problem = v === props.id ? null : !ID_RE.test(v) ? 'lower-case letters, digits, - and _' : props.taken.has(v) ? 'already used' : null;
  return (
    <label className="fd-field">
      <span className="fd-field-label">Id</span>
      <input
        value={v}
        data-testid="node-id"
        onChange={(e) => setV(e.target.value)}
        onBlur={() => (problem || v === props.id ? setV(props.id) : props.onRename(v))}
        onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
      />
      {problem && <span className="fd-field-error">{problem}</span>}
    </label>
  );
}

export const SidePanel = memo(function SidePanel(props: {
  selected: { id: string; data: GraphNodeData }[];
  nodeIds: string[];
  meta: FlowMeta;
  errors: FlowError[];
  fields: string[];
  variables: Variable[];
  /** the selected node's "Run this step" section */
  stepTest?: (nodeId: string) => ReactNode;
  onNode: (oldId: string, n: FlowNode) => void;
  onTrigger: (t: Trigger) => void;
  onMeta: (m: FlowMeta) => void;
  onNote: (id: string, text: string) => void;
  onRenamePort: (nodeId: string, from: string, to: string) => void;
}) {
  const sel = props.selected;
  const from = new Map(props.variables.map((v) => [v.path, v.from]));
  const datalist = (
    <datalist id="fd-field-suggestions">
      {props.fields.map((f) => (
        <option key={f} value={f} label={from.get(f)} />
      ))}
    </datalist>
  );
  if (sel.length === 1) {
    const n = sel[0]!;
    const errs = props.errors.filter((e) => e.nodeId === n.id);
    if (n.data.kind === 'note') {
      return (
        <aside className="fd-side" data-testid="side-panel">
          <header>
            <span className="fd-node-icon">🗒</span> <b>Note</b>
          </header>
          <Text label="Text" value={n.data.text} multiline onChange={(v) => props.onNote(n.id, v ?? '')} testid="note-text" hint="Kept in the flow's layout and exported with it; never run. Delete removes it." />
        </aside>
      );
    }
    if (n.data.kind === 'trigger') {
      return (
        <aside className="fd-side" data-testid="side-panel">
          {datalist}
          <header>
            <span className="fd-node-icon">{lookOf('trigger').icon}</span> <b>Trigger</b>
          </header>
          {errs.length > 0 && <NodeErrors errors={errs} />}
          <TriggerForm trigger={(n.data as TriggerData).trigger} onChange={props.onTrigger} />
        </aside>
      );
    }
    const node = (n.data as StepData).node;
    const Form = formFor(node.type);
    const taken = new Set(props.nodeIds);
    const change = (m: FlowNode) => props.onNode(n.id, m);
    return (
      <VariablesContext.Provider value={props.variables}>
      <aside className="fd-side" data-testid="side-panel">
        {datalist}
        <header style={{ ['--accent' as string]: lookOf(node.type).color }}>
          <span className="fd-node-icon">{lookOf(node.type).icon}</span> <b>{lookOf(node.type).label}</b>
        </header>
        {errs.length > 0 && <NodeErrors errors={errs} />}
        <IdInput id={node.id} taken={taken} onRename={(id) => change({ ...node, id })} />
        <Text label="Name" value={node.name} onChange={(v) => change(withKey(node, 'name', v) as FlowNode)} testid="node-name" />
        <Text label="Description" value={node.description} onChange={(v) => change(withKey(node, 'description', v) as FlowNode)} />
        <Form node={node} onChange={change} fields={props.fields} variables={props.variables} onRenamePort={(a, b) => props.onRenamePort(n.id, a, b)} />
        {props.stepTest?.(n.id)}
        <CommonForm node={node} onChange={change} fields={props.fields} />
      </aside>
      </VariablesContext.Provider>
    );
  }
  const m = props.meta;
  const set = (k: string, v: unknown) => props.onMeta(withKey(m, k, v) as FlowMeta);
  return (
    <aside className="fd-side" data-testid="side-panel">
      <header>
        <b>Flow settings</b>
      </header>
      {sel.length > 1 && <p className="fd-hint">{sel.length} nodes selected. Ctrl+C / Ctrl+V to copy, Delete to remove.</p>}
      <Text label="Name" value={m.name} onChange={(v) => set('name', v ?? '')} testid="flow-name" />
      <Text label="Description" value={m.description} onChange={(v) => set('description', v)} multiline />
      <Text label="Owner" value={m.owner} onChange={(v) => set('owner', v)} />
      <Select label="Severity when it fails" value={m.severity} options={['P0', 'P1', 'P2']} allowEmpty onChange={(v) => set('severity', v)} />
      <label className="fd-check">
        <input type="checkbox" checked={m.critical ?? false} onChange={(e) => set('critical', e.target.checked || undefined)} /> critical (alerts page you)
      </label>
      <JsonField label="Sample payloads (for dry runs and Run now)" value={m.samples} onChange={(v) => set('samples', v as Flow['samples'])} allowEmpty rows={8} testid="flow-samples" />
      <Lines label="Fallback SOP (whole flow)" value={m.sop} onChange={(v) => set('sop', v)} />
      <RecordSettings meta={m} onChange={(k, v) => set(k, v)} />
    </aside>
  );
});

function NodeErrors({ errors }: { errors: FlowError[] }) {
  return (
    <div className="fd-callout error" data-testid="side-errors">
      {errors.map((e, i) => (
        <div key={i}>{e.message}</div>
      ))}
    </div>
  );
}
