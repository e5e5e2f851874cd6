// Look and words of each node type (palette and canvas). Typed against the DSL: a node type added to
// the schema fails to compile here until it has an entry.
import type { NodeType } from '@flowdesk/schema';

export const NODE_META: Record<NodeType | 'trigger', { label: string; icon: string; color: string; help: string }> = {
  trigger: { label: 'Trigger', icon: '⚡', color: '#7c3aed', help: 'Where a run starts' },
  compute: { label: 'Compute', icon: 'ƒ', color: '#0891b2', help: 'Work out values (vars)' },
  route: { label: 'Route', icon: '◆', color: '#d97706', help: 'Branch on rules, first match wins' },
  action: { label: 'Action', icon: '▶', color: '#2563eb', help: 'Do something: e-mail, API call, …' },
  wait: { label: 'Wait', icon: '◴', color: '#64748b', help: 'Pause for a while or until a time' },
  review: { label: 'Review', icon: '◉', color: '#db2777', help: 'Ask a human to decide' },
  qa: { label: 'QA check', icon: '✓', color: '#059669', help: 'Check generated text before it goes out' },
  end: { label: 'End', icon: '■', color: '#475569', help: 'Finish, optionally setting a record state' },
};

/** The DSL's node types (the keys above, in palette order). */
export const STEP_TYPES = (Object.keys(NODE_META) as (NodeType | 'trigger')[]).filter((t): t is NodeType => t !== 'trigger');

export type NodeMeta = (typeof NODE_META)[NodeType];
/** Meta for any type string (unknown types look like compute). */
export const metaOf = (t: string | undefined): NodeMeta => (NODE_META as Record<string, NodeMeta>)[t ?? ''] ?? NODE_META.compute;
