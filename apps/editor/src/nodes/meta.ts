// Look and words of each node type (palette and canvas).
export const NODE_META: Record<string, { label: string; icon: string; color: string; help: string }> = {
  trigger: { label: 'Trigger', icon: '⚡', color: '#7c3aed', help: 'Where a run starts' },
  compute: { label: 'Compute', icon: 'ƒ', color: '#0891b2', help: 'Work out values (vars)' },
  route: { label: 'Route', icon: '◆', color: '#d97706', help: 'Branch on rules, first match wins' },
  action: { label: 'Action', icon: '▶', color: '#2563eb', help: 'Do something: e-mail, API call, …' },
  wait: { label: 'Wait', icon: '◴', color: '#64748b', help: 'Pause for a while or until a time' },
  review: { label: 'Review', icon: '◉', color: '#db2777', help: 'Ask a human to decide' },
  qa: { label: 'QA check', icon: '✓', color: '#059669', help: 'Check generated text before it goes out' },
  end: { label: 'End', icon: '■', color: '#475569', help: 'Finish, optionally setting a record state' },
};
