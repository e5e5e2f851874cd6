// defineNode: everything Flowdesk knows about a node type, in one place. The flow's JSON Schema, the
// graph checks (ports, default port, cycles), the editor's palette and summaries and docs/dsl.md's
// table are derived from these specs; the engine keys its step functions by the same types.
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Id, Severity, Sla, Sop } from '../primitives.ts';
import type { CheckContext, PathToken } from './check.ts';

/** Fields any node may carry. */
export const commonNodeFields = {
  id: Id,
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  severity: Type.Optional(Severity),
  sop: Type.Optional(Sop),
  minutesSaved: Type.Optional(Type.Number({ minimum: 0 })),
  firstResponse: Type.Optional(Type.Boolean()),
  sla: Type.Optional(Sla),
};

/** The schema of a node type: its own fields plus the common ones, nothing else. */
export function nodeSchema<const T extends string, P extends TProperties>(type: T, fields: P, options: Record<string, unknown> = {}) {
  return Type.Object({ ...commonNodeFields, type: Type.Literal(type), ...fields }, { ...options, additionalProperties: false });
}

export interface NodeSpecInput<T extends string, S extends TObject> {
  type: T;
  schema: S;
  label: string;
  help: string;
  icon: string;
  color: string;
  /** output ports, from the node's fields; must tolerate a node being edited (fields missing) */
  ports(node: Static<S>): string[];
  /** ports that must be wired (default: every port) */
  requiredPorts?(node: Static<S>): string[];
  /** the port an edge without `port` leaves by; none: its edges must name their port */
  defaultPort?: string;
  /** a cycle may pass through it: it parks the run (a timer, a person), so a loop cannot spin */
  cycleMayPass: boolean;
  /** whether the fields that define its ports are well-formed (otherwise the schema's errors say why) */
  portsKnown?(node: Record<string, unknown>): boolean;
  /** where an unwired required port is best pointed at, and how to say it (default: the node) */
  missingPort?(node: Static<S>, port: string): { path: PathToken[]; message: string };
  /** deploy checks beyond the schema; paths relative to the node */
  check?(node: Record<string, unknown>, c: CheckContext): void;
  /** one line for the canvas; must tolerate a node being edited */
  summary(node: Static<S>): string;
  /** a new node from the palette */
  create(id: string): Static<S>;
  /** docs/dsl.md: its fields and ports, in words */
  docs: { fields: string; ports: string };
}

export type NodeSpec<T extends string = string, S extends TObject = TObject> = Readonly<Required<Pick<NodeSpecInput<T, S>, 'requiredPorts'>> & NodeSpecInput<T, S>>;

export function defineNode<const T extends string, S extends TObject>(spec: NodeSpecInput<T, S>): NodeSpec<T, S> {
  return Object.freeze({ requiredPorts: spec.ports, ...spec });
}
