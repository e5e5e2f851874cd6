// Side-panel forms per DSL node type (listed in registry.ts); an action's params form comes from its
// spec's fields.
import type { ActionNode, ActionType, FlowNode, RetryOn } from '@flowdesk/schema';
import { ACTION_TYPES, actionSpec } from '@flowdesk/schema/specs';
import { Field, JsonField, Lines, NumberInput, RuleText, Select, Text, withKey } from './fields.tsx';
import { ConnectionPicker } from './ConnectionPicker.tsx';
import { ExitStateForm } from './RecordForms.tsx';
import { CodeEditor } from '../components/code/CodeEditor.tsx';
import type { Variable } from '../core/variables.ts';
import { lazy, Suspense } from 'react';

// loaded when a route is first edited: react-querybuilder is a fifth of the bundle the canvas waits for
const RuleBuilder = lazy(() => import('./RuleBuilder.tsx').then((m) => ({ default: m.RuleBuilder })));

export interface FormProps<N extends FlowNode = FlowNode> {
  node: N;
  onChange: (n: FlowNode) => void;
  /** rename a port of this node (its edges follow) */
  onRenamePort?: (from: string, to: string) => void;
  fields: string[];
  /** what this node's fields can read (the variable picker) */
  variables?: Variable[];
}

export function ComputeForm({ node, onChange }: FormProps<Extract<FlowNode, { type: 'compute' }>>) {
  return <JsonField label="Set variables (name → JSON-Logic)" value={node.set} onChange={(v) => onChange({ ...node, set: (v ?? {}) as Record<string, unknown> })} rows={8} testid="compute-set" />;
}

export function CodeForm({ node, onChange, variables }: FormProps<Extract<FlowNode, { type: 'code' }>>) {
  return (
    <>
      <CodeEditor label="JavaScript (the body of a function of input)" language="javascript" value={node.source} onChange={(v) => onChange({ ...node, source: v })} variables={variables ?? []} prefix="input." testid="code-source" />
      <p className="fd-hint">input = {'{payload, vars, steps, record, item?, index?, now}'}; return a JSON value. No I/O, no timers. Ctrl+Space lists what this step can read.</p>
    </>
  );
}

export function SetForm({ node, onChange, variables }: FormProps<Extract<FlowNode, { type: 'set' }>>) {
  const mode = node.jsonata !== undefined ? 'jsonata' : 'fields';
  const { fields: _f, jsonata: _j, ...rest } = node;
  return (
    <>
      <Select label="Build with" value={mode} options={['fields', 'jsonata']} onChange={(v) => onChange(v === 'jsonata' ? { ...rest, jsonata: '$' } : { ...rest, fields: {} })} testid="set-mode" />
      {mode === 'fields' ? (
        <JsonField label='Fields ("a.b" → value; {{placeholders}} and {"$logic": rule} allowed)' value={node.fields} onChange={(v) => onChange({ ...rest, fields: (v ?? {}) as Record<string, unknown> })} rows={8} testid="set-fields" />
      ) : (
        <CodeEditor label="JSONata expression" language="jsonata" value={node.jsonata ?? ''} onChange={(v) => onChange({ ...rest, jsonata: v })} variables={variables ?? []} testid="set-jsonata" />
      )}
    </>
  );
}

export function ForeachForm({ node, onChange }: FormProps<Extract<FlowNode, { type: 'foreach' }>>) {
  const set = (k: string, v: unknown) => onChange(withKey(node, k, v) as FlowNode);
  return (
    <>
      <RuleText label="Items (a list)" value={node.items} onChange={(v) => onChange({ ...node, items: v ?? null })} testid="foreach-items" hint="a path such as payload.items, or JSON-Logic giving a list; the body (item port) runs once per item, with item and index" />
      <NumberInput label="Concurrency (items at once)" value={node.concurrency} min={1} onChange={(v) => set('concurrency', v)} testid="foreach-concurrency" />
      <NumberInput label="Max items" value={node.maxItems} min={1} onChange={(v) => set('maxItems', v)} testid="foreach-max" />
      <Select label="When an item fails" value={node.onItemError} options={['stop', 'continue']} allowEmpty onChange={(v) => set('onItemError', v)} testid="foreach-on-error" />
    </>
  );
}

export function RouteForm({ node, onChange, onRenamePort, fields }: FormProps<Extract<FlowNode, { type: 'route' }>>) {
  const rules = node.rules ?? [];
  const setRules = (r: typeof rules) => onChange({ ...node, rules: r });
  return (
    <div data-testid="route-form">
      <p className="fd-hint">Rules are checked in order; the first that matches picks the way out.</p>
      {rules.map((r, i) => (
        <div className="fd-rule-card" key={i} data-testid={`rule-${i}`}>
          <div className="fd-row">
            <Field label="Way out (port)">
              <input
                value={r.port}
                data-testid={`rule-port-${i}`}
                onChange={(e) => {
                  const port = e.target.value;
                  if (port && !rules.some((x, j) => j !== i && x.port === r.port) && r.port !== node.default) onRenamePort?.(r.port, port);
                  setRules(rules.map((x, j) => (j === i ? { ...x, port } : x)));
                }}
              />
            </Field>
            <Field label="Label">
              <input value={r.label ?? ''} onChange={(e) => setRules(rules.map((x, j) => (j === i ? (withKey(x, 'label', e.target.value || undefined) as typeof x) : x)))} />
            </Field>
            <div className="fd-rule-actions">
              <button type="button" className="fd-icon-btn" title="Move up" disabled={i === 0} onClick={() => setRules(rules.map((x, j) => (j === i - 1 ? rules[i]! : j === i ? rules[i - 1]! : x)))}>
                ↑
              </button>
              <button type="button" className="fd-icon-btn" title="Remove rule" data-testid={`rule-remove-${i}`} onClick={() => setRules(rules.filter((_, j) => j !== i))}>
                ×
              </button>
            </div>
          </div>
          <Suspense fallback={<div className="fd-hint">Loading the rule builder…</div>}>
            <RuleBuilder value={r.when} fields={fields} testid={`rule-when-${i}`} onChange={(when) => setRules(rules.map((x, j) => (j === i ? { ...x, when } : x)))} />
          </Suspense>
        </div>
      ))}
      <button type="button" className="fd-btn" data-testid="rule-add" onClick={() => setRules([...rules, { port: `branch${rules.length + 1}`, when: { '==': [{ var: 'payload.type' }, 'x'] } }])}>
        + rule
      </button>
      <Field label="Otherwise (default port)">
        <input
          value={node.default}
          data-testid="route-default"
          onChange={(e) => {
            if (e.target.value && !rules.some((x) => x.port === node.default)) onRenamePort?.(node.default, e.target.value);
            onChange({ ...node, default: e.target.value });
          }}
        />
      </Field>
    </div>
  );
}

const RETRY_ON: RetryOn[] = ['5xx', '429', 'timeout', 'network', '4xx'];

export function ActionForm({ node, onChange }: FormProps<ActionNode>) {
  const spec = actionSpec(node.action);
  const params = (node.params ?? {}) as Record<string, unknown>;
  const setParam = (k: string, v: unknown) => onChange({ ...node, params: withKey(params, k, v) });
  const retry = node.retry ?? {};
  return (
    <div data-testid="action-form">
      <Select
        label="Action"
        value={node.action}
        options={[...ACTION_TYPES]}
        onChange={(a) => a && a !== node.action && onChange({ ...node, action: a as ActionType, params: structuredClone(actionSpec(a)?.defaults ?? {}) as Record<string, unknown> })}
        testid="action-type"
      />
      {spec && <p className="fd-hint">{spec.help} Use {'{{payload.x}}'}, {'{{vars.x}}'}, {'{{config.NAME}}'}, {'{{secrets.NAME}}'}.</p>}
      {spec?.fields.map((f) =>
        f.kind === 'connection' ? (
          <ConnectionPicker key={f.key} label={f.label} value={params[f.key] as string | undefined} apps={spec.apps} onChange={(v) => setParam(f.key, v)} testid={`param-${f.key}`} />
        ) : f.kind === 'json' ? (
          <JsonField key={f.key} label={f.label} value={params[f.key]} onChange={(v) => setParam(f.key, v)} allowEmpty rows={4} testid={`param-${f.key}`} picker />
        ) : f.kind === 'select' ? (
          <Select key={f.key} label={f.label} value={params[f.key] as string | undefined} options={f.options ?? []} onChange={(v) => setParam(f.key, v)} testid={`param-${f.key}`} />
        ) : (
          <Text key={f.key} label={f.label} value={params[f.key] as string | undefined} onChange={(v) => setParam(f.key, v)} multiline={f.kind === 'textarea'} placeholder={f.placeholder} testid={`param-${f.key}`} picker />
        ),
      )}
      <details className="fd-subsection">
        <summary>All parameters (JSON)</summary>
        <JsonField label="params" value={node.params} onChange={(v) => onChange(withKey(node, 'params', v) as ActionNode)} allowEmpty rows={6} testid="params-json" />
      </details>
      <div className="fd-subsection" data-testid="retry-form">
        <h4>Retry policy</h4>
        <Text
          label="Delays between attempts"
          hint="e.g. 30s, 2m, 10m — empty: the default for the action"
          value={retry.delays?.join(', ')}
          onChange={(v) => {
            const delays = v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
            const r = withKey(retry, 'delays', delays);
            onChange(withKey(node, 'retry', Object.keys(r).length ? r : undefined) as ActionNode);
          }}
          testid="retry-delays"
        />
        <Field label="Retry on">
          <div className="fd-checks">
            {RETRY_ON.map((c) => (
              <label key={c}>
                <input
                  type="checkbox"
                  checked={(retry.retryOn ?? []).includes(c)}
                  onChange={(e) => {
                    const set = new Set(retry.retryOn ?? []);
                    if (e.target.checked) set.add(c);
                    else set.delete(c);
                    const r = withKey(retry, 'retryOn', set.size ? RETRY_ON.filter((x) => set.has(x)) : undefined);
                    onChange(withKey(node, 'retry', Object.keys(r).length ? r : undefined) as ActionNode);
                  }}
                />{' '}
                {c}
              </label>
            ))}
          </div>
        </Field>
        <Text label="Timeout" value={node.timeout} placeholder="30s" onChange={(v) => onChange(withKey(node, 'timeout', v) as ActionNode)} />
        <label className="fd-check">
          <input type="checkbox" checked={node.alert ?? false} onChange={(e) => onChange(withKey(node, 'alert', e.target.checked || undefined) as ActionNode)} /> alert even when the error port is taken
        </label>
      </div>
    </div>
  );
}

export function WaitForm({ node, onChange }: FormProps<Extract<FlowNode, { type: 'wait' }>>) {
  return (
    <>
      <Text label="Wait for" value={node.for} placeholder="3d" onChange={(v) => onChange(withKey(node, 'for', v) as FlowNode)} testid="wait-for" />
      <JsonField label="…or until (JSON-Logic giving an ISO time)" value={node.until} onChange={(v) => onChange(withKey(node, 'until', v) as FlowNode)} allowEmpty rows={3} />
    </>
  );
}

export function ReviewForm({ node, onChange }: FormProps<Extract<FlowNode, { type: 'review' }>>) {
  return (
    <>
      <Text label="Queue" value={node.queue} onChange={(v) => onChange({ ...node, queue: v ?? '' })} testid="review-queue" />
      <Text label="Title" value={node.title} onChange={(v) => onChange(withKey(node, 'title', v) as FlowNode)} testid="review-title" picker />
      <Text
        label="Decisions (ways out)"
        hint="comma separated"
        value={node.decisions.join(', ')}
        onChange={(v) => onChange({ ...node, decisions: (v ?? '').split(',').map((s) => s.trim()).filter(Boolean) })}
        testid="review-decisions"
      />
    </>
  );
}

export function QaForm({ node, onChange }: FormProps<Extract<FlowNode, { type: 'qa' }>>) {
  return (
    <>
      <JsonField label="Input (JSON-Logic)" value={node.input} onChange={(v) => onChange({ ...node, input: v })} rows={2} />
      <Lines label="Banned terms" value={node.checks.bannedTerms} onChange={(v) => onChange({ ...node, checks: withKey(node.checks, 'bannedTerms', v) })} />
      <JsonField label="All checks (JSON)" value={node.checks} onChange={(v) => onChange({ ...node, checks: (v ?? {}) as typeof node.checks })} rows={6} />
    </>
  );
}

export function EndForm({ node, onChange }: FormProps<Extract<FlowNode, { type: 'end' }>>) {
  return (
    <>
      <RuleText label="Output (optional)" value={node.output} onChange={(v) => onChange(withKey(node, 'output', v) as FlowNode)} testid="end-output" hint="inside a loop body: the item's result; in a called flow: what the caller gets (a path such as steps.call.output.body, or JSON-Logic)" />
      <ExitStateForm value={node.exitState} onChange={(v) => onChange(withKey(node, 'exitState', v) as FlowNode)} />
    </>
  );
}

export function CommonForm({ node, onChange }: FormProps) {
  const set = (k: string, v: unknown) => onChange(withKey(node, k, v) as FlowNode);
  return (
    <div className="fd-subsection" data-testid="common-form">
      <h4>Operations</h4>
      <Select label="Severity when it fails" value={node.severity} options={['P0', 'P1', 'P2']} allowEmpty onChange={(v) => set('severity', v)} testid="node-severity" />
      <Lines label="Fallback SOP checklist" value={node.sop} onChange={(v) => set('sop', v)} testid="node-sop" />
      <NumberInput label="Minutes saved per run" value={node.minutesSaved} min={0} onChange={(v) => set('minutesSaved', v)} testid="node-minutes" />
      <label className="fd-check">
        <input type="checkbox" checked={node.firstResponse ?? false} onChange={(e) => set('firstResponse', e.target.checked || undefined)} /> counts as the first response (KPI)
      </label>
      <Text label="SLA: done within" value={node.sla?.within || undefined} placeholder="4h" hint="a duration: 30m, 4h, 2d — empty: no SLA" onChange={(v) => set('sla', v ? { ...node.sla, within: v } : undefined)} testid="node-sla-within" />
      {node.sla && <Select label="SLA severity when missed" value={node.sla.severity} options={['P0', 'P1', 'P2']} allowEmpty onChange={(v) => set('sla', withKey(node.sla!, 'severity', v))} testid="node-sla-severity" />}
    </div>
  );
}
