// The node specs as one typed table. A node type is added here (its spec file + one entry); the
// compiler then asks for its engine step (packages/engine/src/steps.ts) and its editor view and form
// (apps/editor/src/nodes/registry.ts). Everything else is derived from the spec.
import type { Static } from '@sinclair/typebox';
import action from './action.ts';
import code from './code.ts';
import compute from './compute.ts';
import end from './end.ts';
import foreach from './foreach.ts';
import qa from './qa.ts';
import review from './review.ts';
import route from './route.ts';
import set from './set.ts';
import wait from './wait.ts';

/** In palette order. */
export const NODE_SPEC_LIST = [compute, set, code, route, foreach, action, wait, review, qa, end] as const;

type AnyListed = (typeof NODE_SPEC_LIST)[number];
export type NodeType = AnyListed['type'];
export type FlowNode = Static<AnyListed['schema']>;
export type NodeOf<K extends NodeType> = Extract<FlowNode, { type: K }>;
export type NodeSpecOf<K extends NodeType> = Extract<AnyListed, { type: K }>;

export const NODE_SPECS = Object.fromEntries(NODE_SPEC_LIST.map((s) => [s.type, s])) as { readonly [K in NodeType]: NodeSpecOf<K> };

/**
 * The spec of a node type, typed loosely for code that handles any node (the graph checks, the
 * canvas); undefined for a type no spec defines.
 */
export function nodeSpec(type: unknown): AnyNodeSpec | undefined {
  return typeof type === 'string' && Object.hasOwn(NODE_SPECS, type) ? (NODE_SPECS[type as NodeType] as unknown as AnyNodeSpec) : undefined;
}

/** A node spec seen through the operations every spec has, on any node. */
export interface AnyNodeSpec {
  readonly type: NodeType;
  readonly label: string;
  readonly help: string;
  readonly icon: string;
  readonly color: string;
  ports(node: FlowNode): string[];
  requiredPorts(node: FlowNode): string[];
  readonly defaultPort?: string;
  readonly cycleMayPass: boolean;
  portsKnown?(node: Record<string, unknown>): boolean;
  missingPort?(node: FlowNode, port: string): { path: (string | number)[]; message: string };
  check?(node: Record<string, unknown>, c: import('../spec/check.ts').CheckContext): void;
  summary(node: FlowNode): string;
  create(id: string): FlowNode;
  readonly docs: { fields: string; ports: string };
}
