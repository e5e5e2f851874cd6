// One registry for node types: canvas component, palette entry and side-panel form per DSL type;
// action types map to their param forms (core/templates.ts ACTIONS + NodeForms ActionForm).
import type { ComponentType } from 'react';
import type { NodeProps, NodeTypes } from '@xyflow/react';
import type { ActionType, FlowNode, NodeType } from '@flowdesk/schema';
import { ACTION_KINDS, ACTIONS } from '../core/templates.ts';
import { NODE_META, type NodeMeta } from './meta.ts';
import { NODE_FORMS, type FormProps } from './NodeForms.tsx';
import { ActionNodeView, ComputeNodeView, EndNodeView, QaNodeView, ReviewNodeView, RouteNodeView, TriggerNodeView, WaitNodeView } from './NodeViews.tsx';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type View = ComponentType<NodeProps<any>>;

/** Every DSL node type: its canvas component, its look (palette) and its side-panel form. */
export const NODE_REGISTRY: { [K in NodeType]: { view: View; meta: NodeMeta; form: (p: FormProps<Extract<FlowNode, { type: K }>>) => React.ReactNode } } = {
  compute: { view: ComputeNodeView, meta: NODE_META.compute, form: NODE_FORMS.compute },
  route: { view: RouteNodeView, meta: NODE_META.route, form: NODE_FORMS.route },
  action: { view: ActionNodeView, meta: NODE_META.action, form: NODE_FORMS.action },
  wait: { view: WaitNodeView, meta: NODE_META.wait, form: NODE_FORMS.wait },
  review: { view: ReviewNodeView, meta: NODE_META.review, form: NODE_FORMS.review },
  qa: { view: QaNodeView, meta: NODE_META.qa, form: NODE_FORMS.qa },
  end: { view: EndNodeView, meta: NODE_META.end, form: NODE_FORMS.end },
};

/** At module scope, so React Flow never sees a new object. The trigger is the node "trigger". */
export const nodeTypes: NodeTypes = {
  trigger: TriggerNodeView,
  ...Object.fromEntries(Object.entries(NODE_REGISTRY).map(([type, r]) => [type, r.view])),
};

export interface PaletteEntry {
  key: string; // 'route', 'action:email.send'
  type: FlowNode['type'];
  action?: ActionType;
  label: string;
  help: string;
  icon: string;
  color: string;
}

export const PALETTE: { group: string; entries: PaletteEntry[] }[] = [
  {
    group: 'Logic',
    entries: (['compute', 'route', 'wait', 'review', 'qa', 'end'] as const).map((t) => {
      const m = NODE_REGISTRY[t].meta;
      return { key: t, type: t, label: m.label, help: m.help, icon: m.icon, color: m.color };
    }),
  },
  {
    group: 'Actions',
    entries: ACTION_KINDS.map((a) => ({ key: `action:${a}`, type: 'action' as const, action: a, label: ACTIONS[a].label, help: ACTIONS[a].help, icon: NODE_META.action!.icon, color: NODE_META.action!.color })),
  },
];

export const paletteEntry = (key: string): PaletteEntry | undefined => PALETTE.flatMap((g) => g.entries).find((e) => e.key === key);

export const formFor = (type: FlowNode['type']) => NODE_REGISTRY[type].form as (p: FormProps) => React.ReactNode;
