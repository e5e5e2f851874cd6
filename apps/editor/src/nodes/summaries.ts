// One-line descriptions of nodes for the canvas.
import type { FlowNode, Trigger } from '@flowdesk/schema';

export function short(v: unknown, max = 48): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (s === undefined) return '';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function logicText(l: unknown): string {
  if (l && typeof l === 'object' && !Array.isArray(l)) {
    const [op] = Object.keys(l);
    const args = (l as Record<string, unknown>)[op!];
    if (op === 'var') return String(Array.isArray(args) ? args[0] : args);
    if ((op === 'and' || op === 'or') && Array.isArray(args)) return args.map(logicText).join(` ${op.toUpperCase()} `);
    if (Array.isArray(args) && args.length === 2) return `${logicText(args[0])} ${op} ${logicText(args[1])}`;
  }
  return short(l, 30);
}

export function ruleText(when: unknown): string {
  return short(logicText(when), 40);
}

export function triggerSummary(t: Trigger): string {
  switch (t.type) {
    case 'webhook':
      return `POST /hooks/${t.path} · auth ${t.auth?.type ?? '?'}`;
    case 'schedule':
      return `cron ${t.cron}${t.timezone ? ` (${t.timezone})` : ''}`;
    case 'record':
      return `${t.entity} enters “${t.state}”`;
    case 'manual':
      return 'started by hand or by another flow';
    default:
      return '';
  }
}

export function nodeSummary(n: FlowNode): string {
  switch (n.type) {
    case 'compute':
      return `set ${Object.keys(n.set ?? {}).join(', ') || '—'}`;
    case 'route':
      return `${(n.rules ?? []).length} rule(s), else “${n.default}”`;
    case 'action': {
      const p = (n.params ?? {}) as Record<string, unknown>;
      const hint = p.url ?? p.to ?? p.state ?? p.title ?? p.message ?? p.flowId ?? '';
      return short(`${n.action}${hint ? ` · ${String(hint)}` : ''}`, 44);
    }
    case 'wait':
      return n.for ? `wait ${n.for}` : 'wait until a time';
    case 'review':
      return `queue “${n.queue}”`;
    case 'qa':
      return `checks: ${Object.keys(n.checks ?? {}).join(', ') || '—'}`;
    case 'end':
      return n.exitState ? `${n.exitState.entity} → ${n.exitState.state}` : 'done';
    default:
      return '';
  }
}
