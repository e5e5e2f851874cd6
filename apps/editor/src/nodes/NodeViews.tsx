// Canvas node components: one per DSL type family, memoised; handles = the node's output ports.
import { memo, useEffect, useRef, type ReactNode } from 'react';
import { Handle, Position, useUpdateNodeInternals, type NodeProps, type Node } from '@xyflow/react';
import type { FlowNode, NodeType } from '@flowdesk/schema';
import { portsOf, type GraphNodeData, type StepData, type TriggerData } from '../core/mapping.ts';
import { useNodeDecoration } from '../decorations.ts';
import { actionSpec, ruleText } from '@flowdesk/schema/specs';
import { lookOf, nodeSummary, triggerSummary } from '../core/look.ts';

type FDNode = Node<GraphNodeData>;
/** The props React Flow gives every node component of the canvas. */
export type StepNodeProps = NodeProps<FDNode>;

/**
 * The views draw only from these props: React Flow also passes the measured size and the position,
 * which change when the nodes are first measured and on every drag frame, and would re-render every
 * node for nothing (301 nodes once more on opening a big flow).
 */
const sameView = (a: StepNodeProps, b: StepNodeProps): boolean => a.id === b.id && a.data === b.data && a.selected === b.selected && a.type === b.type;

function portLabel(node: FlowNode | null, port: string): string {
  if (node?.type === 'route') {
    const r = node.rules.find((x) => x.port === port);
    if (r) return `${r.label ?? port}: ${ruleText(r.when)}`;
    if (port === node.default) return `${port} (otherwise)`;
  }
  return port;
}

function Frame(props: { id: string; kind: string; title: string; summary: string; ports: string[]; node: FlowNode | null; selected: boolean; target: boolean; children?: ReactNode }) {
  const { id, kind, title, summary, ports, node, selected, target } = props;
  const deco = useNodeDecoration(id);
  const meta = lookOf(kind);
  // React Flow measures handles once: when ports are renamed, added or removed it must measure again,
  // or a drag from a renamed port connects nothing until a reload
  const updateInternals = useUpdateNodeInternals();
  const portsKey = ports.join('\u0000');
  const measured = useRef(portsKey);
  useEffect(() => {
    if (measured.current === portsKey) return;
    measured.current = portsKey;
    updateInternals(id);
  }, [portsKey, id, updateInternals]);
  const cls = ['fd-node', `fd-node-${kind}`, selected ? 'is-selected' : '', deco.onPath ? 'on-path' : '', deco.errors.length ? 'has-errors' : '', deco.warnings.length ? 'has-warnings' : '', deco.status ? `st-${deco.status}` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={cls} data-testid={`node-${id}`} data-onpath={deco.onPath ? 'true' : 'false'} data-status={deco.status ?? ''} style={{ ['--accent' as string]: meta.color }}>
      {target && <Handle type="target" position={Position.Left} id="in" className="fd-handle-in" data-testid={`handle-${id}-in`} />}
      <div className="fd-node-head">
        <span className="fd-node-icon" aria-hidden>
          {meta.icon}
        </span>
        <span className="fd-node-kind">{node?.type === 'action' ? node.action : meta.label}</span>
        {deco.errors.length > 0 && (
          <span className="fd-badge" data-testid={`node-error-${id}`} title={deco.errors.join('\n')}>
            {deco.errors.length}
          </span>
        )}
        {deco.warnings.length > 0 && (
          <span className="fd-badge warn" data-testid={`node-warning-${id}`} title={deco.warnings.join('\n')}>
            !
          </span>
        )}
        {deco.status && <span className={`fd-pill st-${deco.status}`}>{deco.status}</span>}
      </div>
      <div className="fd-node-title">{title}</div>
      <div className="fd-node-summary">{summary}</div>
      {props.children}
      {deco.errors.length > 0 && (
        <div className="fd-node-error" data-testid={`node-error-msg-${id}`}>
          {deco.errors[0]}
        </div>
      )}
      {ports.length > 0 && (
        <div className="fd-ports">
          {ports.map((p) => (
            <div className="fd-port" key={p}>
              <span className="fd-port-label">{ports.length > 1 || p !== 'out' ? portLabel(node, p) : ''}</span>
              <Handle type="source" position={Position.Right} id={p} className={`fd-handle-out port-${p}`} data-testid={`handle-${id}-${p}`} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

export const TriggerNodeView = memo(function TriggerNodeView({ id, data, selected }: NodeProps<FDNode>) {
  const t = (data as TriggerData).trigger;
  // it has an input handle only so that a connection dropped on it is refused with a reason
  return <Frame id={id} kind="trigger" title={`${t.type} trigger`} summary={triggerSummary(t)} ports={['out']} node={null} selected={!!selected} target />;
}, sameView);

type Of<K extends NodeType> = Extract<FlowNode, { type: K }>;

/** A canvas component for one DSL node type: the common frame plus the type's own body. */
function stepView<K extends NodeType>(type: K, Body?: (p: { node: Of<K> }) => ReactNode) {
  const View = memo(function StepView({ id, data, selected }: NodeProps<FDNode>) {
    const n = (data as StepData).node as Of<K>;
    return (
      <Frame id={id} kind={n.type} title={n.name || n.id} summary={nodeSummary(n)} ports={portsOf(data)} node={n} selected={!!selected} target>
        {Body && <Body node={n} />}
      </Frame>
    );
  }, sameView);
  View.displayName = `${type}NodeView`;
  return View;
}

function retryText(n: Of<'action'>): string {
  const r = n.retry;
  if (!r) return actionSpec(n.action)?.outside ? 'default retries' : '';
  if (r.delays) return r.delays.length ? `retries ${r.delays.join(', ')}` : 'no retries';
  if (r.backoff) return `up to ${r.backoff.maxAttempts} attempts`;
  return '';
}

export const ComputeNodeView = stepView('compute');
export const SetNodeView = stepView('set');
export const CodeNodeView = stepView('code');
export const ForeachNodeView = stepView('foreach');
export const RouteNodeView = stepView('route'); // its rules are its output handles
export const ActionNodeView = stepView('action', ({ node }) => {
  const t = retryText(node);
  return t ? <div className="fd-node-meta">{t}</div> : null;
});
export const WaitNodeView = stepView('wait');
export const ReviewNodeView = stepView('review', ({ node }) => (node.title ? <div className="fd-node-meta">{node.title}</div> : null));
export const QaNodeView = stepView('qa', ({ node }) => (node.checks.bannedTerms?.length ? <div className="fd-node-meta">{node.checks.bannedTerms.length} banned term(s)</div> : null));
export const EndNodeView = stepView('end');

/** A sticky note: text on the canvas, no ports; edited in the side panel (or by double-click there). */
export const NoteView = memo(function NoteView({ id, data, selected }: StepNodeProps) {
  const text = data.kind === 'note' ? data.text : '';
  return (
    <div className={`fd-note${selected ? ' is-selected' : ''}`} data-testid={`note-${id}`} title="A note (not part of the run)">
      {text || <span className="fd-hint">Empty note: write it in the side panel</span>}
    </div>
  );
}, sameView);
