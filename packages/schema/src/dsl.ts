// The flow DSL v1: one TypeBox source for both the JSON Schema (written to flow.schema.json by
// scripts/build-schema.ts) and the TypeScript types. Nodes, actions and triggers each come from their
// spec table (nodes/, actions/, triggers/); this file puts the flow document together.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { NODE_SPECS, NODE_SPEC_LIST } from './nodes/index.ts';
import { Id, Logic, Severity, Sla, Sop } from './primitives.ts';
import { TRIGGER_SPECS, TRIGGER_SPEC_LIST } from './triggers/index.ts';
import { unionOf } from './spec/union.ts';

export const FLOW_SCHEMA_ID = 'https://flowdesk.dev/schema/flow/v1.json';

export * from './primitives.ts';
export { Auth, AUTH_LABELS, AUTH_TYPE_NAMES, FILE_LIMITS, type AuthType } from './triggers/webhook.ts';
export { authDedupe } from './triggers/webhook-auth.ts';
export { ATTACHMENT_LIMITS, LOOPBACK_HOSTS, MIN_POLL_INTERVAL_MS } from './triggers/email.ts';
export { DEFAULT_ITEM_KEYS } from './triggers/poll.ts';
export { RouteRule } from './nodes/route.ts';
export { QaChecks } from './nodes/qa.ts';
export { ExitState } from './nodes/end.ts';

export const WebhookTrigger = TRIGGER_SPECS.webhook.schema;
export const ScheduleTrigger = TRIGGER_SPECS.schedule.schema;
export const RecordTrigger = TRIGGER_SPECS.record.schema;
export const ManualTrigger = TRIGGER_SPECS.manual.schema;
export const Trigger = unionOf(TRIGGER_SPEC_LIST);

export const ComputeNode = NODE_SPECS.compute.schema;
export const RouteNode = NODE_SPECS.route.schema;
export const ActionNode = NODE_SPECS.action.schema;
export const WaitNode = NODE_SPECS.wait.schema;
export const ReviewNode = NODE_SPECS.review.schema;
export const QaNode = NODE_SPECS.qa.schema;
export const EndNode = NODE_SPECS.end.schema;
export const FlowNode = unionOf(NODE_SPEC_LIST);

export const Edge = Type.Object(
  { from: Type.String({ minLength: 1 }), port: Type.Optional(Type.String({ minLength: 1 })), to: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
export const Sample = Type.Object(
  { name: Type.String({ minLength: 1 }), payload: Type.Unknown(), headers: Type.Optional(Type.Record(Type.String(), Type.String())) },
  { additionalProperties: false },
);

export const Flow = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    dsl: Type.Literal(1),
    id: Id,
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'assigned by the runtime on deploy; read-only' })),
    active: Type.Optional(Type.Boolean()),
    critical: Type.Optional(Type.Boolean()),
    severity: Type.Optional(Severity),
    owner: Type.Optional(Type.String()),
    sop: Type.Optional(Sop),
    sla: Type.Optional(Sla),
    /** the record this run concerns: runs on one record key run one at a time; `record` in the context */
    record: Type.Optional(Type.Object({ entity: Type.String({ minLength: 1 }), key: Logic }, { additionalProperties: false })),
    cancelOn: Type.Optional(
      Type.Array(Type.Object({ entity: Type.String({ minLength: 1 }), state: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    ),
    trigger: Trigger,
    nodes: Type.Array(FlowNode),
    edges: Type.Array(Edge),
    layout: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object(
          {
            x: Type.Number(),
            y: Type.Number(),
            note: Type.Optional(Type.String({ maxLength: 5000, description: 'a sticky note on the canvas (its key is "note:<n>"); the runtime ignores it' })),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    samples: Type.Optional(Type.Array(Sample)),
  },
  { additionalProperties: false, $id: FLOW_SCHEMA_ID, title: 'Flowdesk flow (DSL v1)' },
);

export type { TriggerType, TriggerOf } from './triggers/index.ts';
export type { NodeType, NodeOf } from './nodes/index.ts';
export type Trigger = Static<typeof Trigger>;
export type FlowNode = Static<typeof FlowNode>;
export type WebhookTrigger = Static<typeof WebhookTrigger>;
export type ScheduleTrigger = Static<typeof ScheduleTrigger>;
export type RecordTrigger = Static<typeof RecordTrigger>;
export type ManualTrigger = Static<typeof ManualTrigger>;
export type ComputeNode = Static<typeof ComputeNode>;
export type RouteNode = Static<typeof RouteNode>;
export type ActionNode = Static<typeof ActionNode>;
export type WaitNode = Static<typeof WaitNode>;
export type ReviewNode = Static<typeof ReviewNode>;
export type QaNode = Static<typeof QaNode>;
export type EndNode = Static<typeof EndNode>;
export type Edge = Static<typeof Edge>;
export type Sample = Static<typeof Sample>;
export type Flow = Static<typeof Flow>;

export { outputPorts, requiredPorts, defaultPortOf, portIsImplicit, TRIGGER_NODE_ID, TRIGGER_PORT } from './ports.ts';

export type { TSchema };
