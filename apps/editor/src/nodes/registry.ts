// The editor's part of each node type: its canvas component and its side-panel form, in a table the
// compiler checks against the node specs (a new node type does not compile until it has both). Its
// look, palette entry and summary come from the spec (core/look.ts).
import type { ComponentType, ReactNode } from 'react';
import type { NodeProps, NodeTypes } from '@xyflow/react';
import type { FlowNode, NodeOf, NodeType } from '@flowdesk/schema';
import { ActionForm, CodeForm, ComputeForm, ForeachForm, SetForm, EndForm, QaForm, ReviewForm, RouteForm, WaitForm, type FormProps } from './NodeForms.tsx';
import { NoteView, ActionNodeView, CodeNodeView, ComputeNodeView, ForeachNodeView, SetNodeView, EndNodeView, QaNodeView, ReviewNodeView, RouteNodeView, TriggerNodeView, WaitNodeView, type StepNodeProps } from './NodeViews.tsx';

export const NODE_VIEWS: { [K in NodeType]: { view: ComponentType<StepNodeProps>; form: (p: FormProps<NodeOf<K>>) => ReactNode } } = {
  compute: { view: ComputeNodeView, form: ComputeForm },
  set: { view: SetNodeView, form: SetForm },
  code: { view: CodeNodeView, form: CodeForm },
  foreach: { view: ForeachNodeView, form: ForeachForm },
  route: { view: RouteNodeView, form: RouteForm },
  action: { view: ActionNodeView, form: ActionForm },
  wait: { view: WaitNodeView, form: WaitForm },
  review: { view: ReviewNodeView, form: ReviewForm },
  qa: { view: QaNodeView, form: QaForm },
  end: { view: EndNodeView, form: EndForm },
};

/** At module scope, so React Flow never sees a new object. The trigger is the node "trigger". */
export const nodeTypes: NodeTypes = {
  trigger: TriggerNodeView,
  note: NoteView,
  ...Object.fromEntries(Object.entries(NODE_VIEWS).map(([type, r]) => [type, r.view])),
};

export const formFor = (type: FlowNode['type']) => NODE_VIEWS[type].form as (p: FormProps) => ReactNode;

export type { NodeProps };
