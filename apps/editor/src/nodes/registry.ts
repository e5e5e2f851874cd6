// One registry for node types: canvas component, palette entry and side-panel form per DSL type;
// action types map to their param forms (core/templates.ts ACTIONS + NodeForms ActionForm).
import type { NodeTypes } from '@xyflow/react';
import type { ActionType, FlowNode } from '@flowdesk/schema';
import { ACTION_KINDS, ACTIONS } from '../core/templates.ts';
import { NODE_META, STEP_TYPES } from './meta.ts';
import { NODE_FORMS } from './NodeForms.tsx';
import { StepNodeView, TriggerNodeView } from './NodeViews.tsx';

/** At module scope, so React Flow never sees a new object. */
export const nodeTypes: NodeTypes = {
  trigger: TriggerNodeView,
  ...Object.fromEntries(STEP_TYPES.map((t) => [t, StepNodeView])),
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
    entries: (['compute', 'route', 'wait', 'review', 'qa', 'end'] as const).map((t) => ({ key: t, type: t, label: NODE_META[t]!.label, help: NODE_META[t]!.help, icon: NODE_META[t]!.icon, color: NODE_META[t]!.color })),
  },
  {
    group: 'Actions',
    entries: ACTION_KINDS.map((a) => ({ key: `action:${a}`, type: 'action' as const, action: a, label: ACTIONS[a].label, help: ACTIONS[a].help, icon: NODE_META.action!.icon, color: NODE_META.action!.color })),
  },
];

export const paletteEntry = (key: string): PaletteEntry | undefined => PALETTE.flatMap((g) => g.entries).find((e) => e.key === key);

export const formFor = (type: FlowNode['type']) => NODE_FORMS[type] as (p: import('./NodeForms.tsx').FormProps) => React.ReactNode;
