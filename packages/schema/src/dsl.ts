// The flow DSL v1: this TypeBox source is the one source of both the JSON Schema
// (written to flow.schema.json by scripts/build-schema.ts) and the TypeScript types.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const FLOW_SCHEMA_ID = 'https://flowdesk.dev/schema/flow/v1.json';
export const DSL_VERSION = 1;

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'lower-case id: letters, digits, - and _' });
export const Duration = Type.String({ pattern: '^[0-9]+(s|m|h|d)$', description: 'a duration: 30s, 2m, 24h, 3d' });
/** A JSON-Logic rule (json-logic-js); checked for known operators by validateFlow. */
export const Logic = Type.Unknown({ description: 'a JSON-Logic rule' });
export const Severity = Type.Union([Type.Literal('P0'), Type.Literal('P1'), Type.Literal('P2')]);
const Sop = Type.Array(Type.String({ minLength: 1 }), { description: 'fallback SOP checklist' });
const SecretName = Type.String({ pattern: '^[A-Z][A-Z0-9_]*$', description: 'the name of a secret (FLOWDESK_SECRET_<NAME>)' });

export const Sla = Type.Object(
  {
    within: Duration,
    state: Type.Optional(Type.String({ description: 'the record must reach this state within the SLA (flow-level)' })),
    severity: Type.Optional(Severity),
  },
  { additionalProperties: false },
);

export const Auth = Type.Union([
  Type.Object({ type: Type.Literal('none') }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('token'), secret: SecretName, header: Type.Optional(Type.String({ minLength: 1 })) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('hmac'), secret: SecretName }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('stripe'), secret: SecretName }, { additionalProperties: false }),
]);

const PayloadSchema = Type.Unknown({ description: 'JSON Schema (draft 2020-12) of the payload' });

export const WebhookTrigger = Type.Object(
  {
    type: Type.Literal('webhook'),
    path: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9/_-]{0,127}$' }),
    auth: Auth,
    payloadSchema: Type.Optional(PayloadSchema),
    idempotencyKey: Type.Optional(Logic),
    dedupeWindow: Type.Optional(Duration),
    filter: Type.Optional(Logic),
  },
  { additionalProperties: false },
);
export const ScheduleTrigger = Type.Object(
  {
    type: Type.Literal('schedule'),
    cron: Type.String({ minLength: 1 }),
    timezone: Type.Optional(Type.String({ minLength: 1 })),
    payload: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export const RecordTrigger = Type.Object(
  {
    type: Type.Literal('record'),
    entity: Type.String({ minLength: 1 }),
    state: Type.String({ minLength: 1 }),
    filter: Type.Optional(Logic),
  },
  { additionalProperties: false },
);
export const ManualTrigger = Type.Object(
  {
    type: Type.Literal('manual'),
    payloadSchema: Type.Optional(PayloadSchema),
    idempotencyKey: Type.Optional(Logic),
    dedupeWindow: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
export const Trigger = Type.Union([WebhookTrigger, ScheduleTrigger, RecordTrigger, ManualTrigger]);

/** Fields any node may carry. */
const common = {
  id: Id,
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  severity: Type.Optional(Severity),
  sop: Type.Optional(Sop),
  minutesSaved: Type.Optional(Type.Number({ minimum: 0 })),
  firstResponse: Type.Optional(Type.Boolean()),
  sla: Type.Optional(Sla),
};

export const RetryOn = Type.Union([Type.Literal('5xx'), Type.Literal('429'), Type.Literal('timeout'), Type.Literal('network'), Type.Literal('4xx')]);
export const Backoff = Type.Object(
  {
    initial: Duration,
    factor: Type.Optional(Type.Number({ minimum: 1 })),
    max: Type.Optional(Duration),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 50, description: 'total attempts, the first included' }),
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
export const Retry = Type.Object(
  {
    delays: Type.Optional(Type.Array(Duration, { maxItems: 50 })),
    backoff: Type.Optional(Backoff),
    retryOn: Type.Optional(Type.Array(RetryOn)),
  },
  { additionalProperties: false },
);

export const ACTION_TYPES = [
  'http.request',
  'email.send',
  'record.setState',
  'task.create',
  'text.generate',
  'alert.raise',
  'flow.emit',
  'report.weekly',
] as const;
export const ActionType = Type.Union(ACTION_TYPES.map((a) => Type.Literal(a)));

export const ComputeNode = Type.Object({ ...common, type: Type.Literal('compute'), set: Type.Record(Type.String(), Logic) }, { additionalProperties: false });
export const RouteRule = Type.Object(
  { port: Type.String({ minLength: 1 }), when: Logic, label: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export const RouteNode = Type.Object(
  { ...common, type: Type.Literal('route'), rules: Type.Array(RouteRule), default: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
export const ActionNode = Type.Object(
  {
    ...common,
    type: Type.Literal('action'),
    action: ActionType,
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    retry: Type.Optional(Retry),
    timeout: Type.Optional(Duration),
    alert: Type.Optional(Type.Boolean({ description: 'raise an alert even when the error port is taken' })),
  },
  { additionalProperties: false },
);
export const WaitNode = Type.Object(
  { ...common, type: Type.Literal('wait'), for: Type.Optional(Duration), until: Type.Optional(Logic) },
  { additionalProperties: false },
);
export const ReviewNode = Type.Object(
  {
    ...common,
    type: Type.Literal('review'),
    queue: Type.String({ minLength: 1 }),
    decisions: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    title: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export const QaChecks = Type.Object(
  {
    schema: Type.Optional(Type.Unknown({ description: 'JSON Schema the generated JSON must satisfy' })),
    bannedTerms: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    context: Type.Optional(
      Type.Object(
        {
          account: Type.Optional(Logic),
          stage: Type.Optional(Logic),
          otherAccounts: Type.Optional(Logic),
        },
        { additionalProperties: false },
      ),
    ),
    maxLength: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 1 }))),
    destination: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export const QaNode = Type.Object(
  { ...common, type: Type.Literal('qa'), input: Logic, checks: QaChecks },
  { additionalProperties: false },
);
export const ExitState = Type.Object(
  { entity: Type.String({ minLength: 1 }), key: Logic, state: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
export const EndNode = Type.Object({ ...common, type: Type.Literal('end'), exitState: Type.Optional(ExitState) }, { additionalProperties: false });

export const FlowNode = Type.Union([ComputeNode, RouteNode, ActionNode, WaitNode, ReviewNode, QaNode, EndNode]);
export const NODE_TYPES = ['compute', 'route', 'action', 'wait', 'review', 'qa', 'end'] as const;

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
    layout: Type.Optional(Type.Record(Type.String(), Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false }))),
    samples: Type.Optional(Type.Array(Sample)),
  },
  { additionalProperties: false, $id: FLOW_SCHEMA_ID, title: 'Flowdesk flow (DSL v1)' },
);

export type Duration = Static<typeof Duration>;
export type Severity = Static<typeof Severity>;
export type Sla = Static<typeof Sla>;
export type Auth = Static<typeof Auth>;
export type WebhookTrigger = Static<typeof WebhookTrigger>;
export type ScheduleTrigger = Static<typeof ScheduleTrigger>;
export type RecordTrigger = Static<typeof RecordTrigger>;
export type ManualTrigger = Static<typeof ManualTrigger>;
export type Trigger = Static<typeof Trigger>;
export type RetryPolicy = Static<typeof Retry>;
export type Backoff = Static<typeof Backoff>;
export type RetryOn = Static<typeof RetryOn>;
export type ActionType = (typeof ACTION_TYPES)[number];
export type ComputeNode = Static<typeof ComputeNode>;
export type RouteRule = Static<typeof RouteRule>;
export type RouteNode = Static<typeof RouteNode>;
export type ActionNode = Static<typeof ActionNode>;
export type WaitNode = Static<typeof WaitNode>;
export type ReviewNode = Static<typeof ReviewNode>;
export type QaChecks = Static<typeof QaChecks>;
export type QaNode = Static<typeof QaNode>;
export type ExitState = Static<typeof ExitState>;
export type EndNode = Static<typeof EndNode>;
export type FlowNode = Static<typeof FlowNode>;
export type NodeType = FlowNode['type'];
export type Edge = Static<typeof Edge>;
export type Sample = Static<typeof Sample>;
export type Flow = Static<typeof Flow>;

export { outputPorts, requiredPorts } from './ports.ts';

export type { TSchema };
