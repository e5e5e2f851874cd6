// Node ports: which outputs a node has and which must be wired. Types only from dsl.ts, so the editor
// can import this without loading the schema builders or the validator (`@flowdesk/schema/ports`).
import type { FlowNode } from './dsl.ts';

const named = (ports: unknown[]): string[] => [...new Set(ports.filter((p): p is string => typeof p === 'string' && p !== ''))];

/**
 * Output ports of a node, derived from its fields (the trigger has the single port `out`). Tolerates a
 * node still being edited (missing rules, empty port names), so the editor draws the same ports.
 */
export function outputPorts(node: FlowNode): string[] {
  switch (node.type) {
    case 'route':
      return named([...(node.rules ?? []).map((r) => r?.port), node.default]);
    case 'action':
      return ['ok', 'error'];
    case 'review':
      return named(node.decisions ?? []);
    case 'qa':
      return ['pass', 'fail'];
    case 'end':
      return [];
    default:
      return ['out'];
  }
}

/** Ports that must be wired for the flow to be valid (optional ones: action `error`). */
export function requiredPorts(node: FlowNode): string[] {
  if (node.type === 'action') return ['ok'];
  return outputPorts(node);
}
