// Node ports, from the node specs: which outputs a node has, which must be wired, and which one an edge
// without `port` leaves by — the one rule the engine, the validator and the editor share. Light enough
// for the editor's first render (`@flowdesk/schema/ports`): no validator, no AJV.
import { nodeSpec, type FlowNode } from './nodes/index.ts';

/** The id edges use for the trigger; no node may take it. Its one output port is `out`. */
export const TRIGGER_NODE_ID = 'trigger';
export const TRIGGER_PORT = 'out';

/**
 * Output ports of a node, derived from its fields. Tolerates a node still being edited (missing rules,
 * empty port names), so the editor draws the same ports.
 */
export function outputPorts(node: FlowNode): string[] {
  return nodeSpec(node.type)?.ports(node) ?? [];
}

/** Ports that must be wired for the flow to be valid (optional ones: action `error`). */
export function requiredPorts(node: FlowNode): string[] {
  return nodeSpec(node.type)?.requiredPorts(node) ?? [];
}

/**
 * The port an edge without `port` leaves the node by: its spec's default port (an action's `ok`, a
 * compute's `out`), else `out` when that is its only port; undefined: its edges must name their port.
 */
export function defaultPortOf(node: FlowNode | undefined): string | undefined {
  if (!node) return undefined;
  const spec = nodeSpec(node.type);
  if (spec?.defaultPort !== undefined) return spec.defaultPort;
  const ports = outputPorts(node);
  return ports.length === 1 && ports[0] === TRIGGER_PORT ? TRIGGER_PORT : undefined;
}

/** Whether the editor writes edges from the node without a port: its spec's default port is its only output. */
export function portIsImplicit(node: FlowNode): boolean {
  const dflt = nodeSpec(node.type)?.defaultPort;
  return dflt !== undefined && outputPorts(node).length === 1;
}
