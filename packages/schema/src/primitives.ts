// The DSL's small shared schemas (ids, durations, JSON-Logic, severities, retry policies), used by the
// node, action and trigger specs and by the flow document itself.
import { Type, type Static } from '@sinclair/typebox';

export const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'lower-case id: letters, digits, - and _' });
export const Duration = Type.String({ pattern: '^[0-9]+(s|m|h|d)$', description: 'a duration: 30s, 2m, 24h, 3d' });
/** A JSON-Logic rule (json-logic-js); checked for known operators by validateFlow. */
export const Logic = Type.Unknown({ description: 'a JSON-Logic rule' });
export const Severity = Type.Union([Type.Literal('P0'), Type.Literal('P1'), Type.Literal('P2')]);
export const Sop = Type.Array(Type.String({ minLength: 1 }), { description: 'fallback SOP checklist' });
export const SecretName = Type.String({ pattern: '^[A-Z][A-Z0-9_]*$', description: 'the name of a secret (FLOWDESK_SECRET_<NAME>)' });
export const PayloadSchema = Type.Unknown({ description: 'JSON Schema (draft 2020-12) of the payload' });

export const Sla = Type.Object(
  {
    within: Duration,
    state: Type.Optional(Type.String({ description: 'the record must reach this state within the SLA (flow-level)' })),
    severity: Type.Optional(Severity),
  },
  { additionalProperties: false },
);

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

export type Duration = Static<typeof Duration>;
export type Severity = Static<typeof Severity>;
export type Sla = Static<typeof Sla>;
export type RetryPolicy = Static<typeof Retry>;
export type Backoff = Static<typeof Backoff>;
export type RetryOn = Static<typeof RetryOn>;

/** The policy of calls to the outside world unless a node says otherwise: 3 retries at 30s, 2m, 10m on transient failures. */
export const DEFAULT_RETRY = { delays: ['30s', '2m', '10m'], retryOn: ['5xx', '429', 'timeout', 'network'] as RetryOn[] } satisfies RetryPolicy;
/** Internal actions fail at once unless the node asks for retries. */
export const NO_RETRY = { delays: [] as string[] } satisfies RetryPolicy;
