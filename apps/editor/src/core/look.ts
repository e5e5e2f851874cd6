// How each node type looks and reads on the palette and the canvas, from the node, action and trigger
// specs (packages/schema): label, help, icon, colour and one-line summaries. React-free.
import { ACTION_SPECS, actionSpec, NODE_SPEC_LIST, nodeSpec, triggerSpec, type ActionType } from '@flowdesk/schema/specs';
import type { FlowNode, NodeType, Trigger } from '@flowdesk/schema';

export interface Look {
  label: string;
  help: string;
  icon: string;
  color: string;
}

export const TRIGGER_LOOK: Look = { label: 'Trigger', icon: '⚡', color: '#7c3aed', help: 'Where a run starts' };

/** The look of a node type, or of the trigger (an unknown type looks like compute). */
export function lookOf(type: string | undefined): Look {
  if (type === 'trigger') return TRIGGER_LOOK;
  return nodeSpec(type) ?? nodeSpec('compute')!;
}

export const nodeSummary = (n: FlowNode): string => nodeSpec(n.type)?.summary(n) ?? '';
export const triggerSummary = (t: Trigger): string => triggerSpec(t.type)?.summary(t) ?? '';

export interface PaletteEntry {
  key: string; // 'route', 'action:email.send'
  type: NodeType;
  action?: ActionType;
  label: string;
  help: string;
  icon: string;
  color: string;
}

const actionLook = nodeSpec('action')!;

/** Every node type (actions one entry each), grouped as the palette shows them. */
export const PALETTE: { group: string; entries: PaletteEntry[] }[] = [
  {
    group: 'Logic',
    entries: NODE_SPEC_LIST.filter((s) => s.type !== 'action').map((s) => ({ key: s.type, type: s.type, label: s.label, help: s.help, icon: s.icon, color: s.color })),
  },
  {
    group: 'Actions',
    entries: ACTION_SPECS.map((a) => ({ key: `action:${a.type}`, type: 'action', action: a.type, label: a.label, help: a.help, icon: actionLook.icon, color: actionLook.color })),
  },
];

export const paletteEntry = (key: string): PaletteEntry | undefined => PALETTE.flatMap((g) => g.entries).find((e) => e.key === key);

/** A new node for a palette entry: the node spec's template, an action with its spec's default params. */
export function newNode(type: NodeType, id: string, action?: ActionType): FlowNode {
  if (type === 'action' && action) return { id, type, action, params: structuredClone(actionSpec(action)!.defaults) as Record<string, unknown> };
  return nodeSpec(type)!.create(id);
}
