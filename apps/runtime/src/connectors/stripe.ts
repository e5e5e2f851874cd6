// Stripe's API (https://docs.stripe.com/api): form-encoded bodies with bracketed keys (`metadata[plan]`,
// `line_items[0][price]`), `Authorization: Bearer sk_…`, JSON answers. Errors are
// `{error: {type, code?, decline_code?, message, param?}}` with 400 (invalid_request_error,
// idempotency_error), 401, 402 (card_error), 403, 404, 409 (a concurrent request with the same
// Idempotency-Key), 429 (rate and concurrency limiters; Stripe documents no Retry-After, so the step's
// own backoff applies) and 5xx (api_error). `Stripe-Should-Retry: true|false` overrides the status.
// Stripe v1 saves the first answer per Idempotency-Key once the endpoint began executing (a 500
// included) and replays it; a key reused with other parameters is a 400 `idempotency_error`.
import { ActionFailure, type ExecutionContext } from '../actions/define.ts';
import { connectionFor } from './credentials.ts';
import { defineConnectorApp, retryAfterOf, sendAs, type ConnectorRequest, type VendorAnswer, type Verdict } from './define.ts';

interface StripeError {
  type?: string;
  code?: string;
  decline_code?: string;
  message?: string;
  param?: string;
}

const errorOf = (res: VendorAnswer): StripeError => {
  const e = (res.json as { error?: unknown } | undefined)?.error;
  return e && typeof e === 'object' ? (e as StripeError) : {};
};

export function stripeVerdict(res: VendorAnswer, nowMs: number): Verdict {
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const e = errorOf(res);
  const kind = [e.type, e.code, e.decline_code].filter((s) => typeof s === 'string' && s).join('/');
  const said = `${kind ? `${kind}: ` : ''}${e.message ?? res.text.trim().slice(0, 300)}${e.param ? ` (param ${e.param})` : ''}`;
  if (e.type === 'idempotency_error') {
    return { ok: false, errorClass: '4xx', message: `the request was replayed with its Idempotency-Key but other parameters (did the flow or its input change since the first attempt?) — ${said}` };
  }
  const should = String(res.headers['stripe-should-retry'] ?? '');
  if (should === 'false') return { ok: false, errorClass: '4xx', message: said };
  if (res.status === 429) return { ok: false, errorClass: '429', message: said, retryAfterMs: retryAfterOf(res, nowMs) };
  if (res.status >= 500 || should === 'true') return { ok: false, errorClass: '5xx', message: said };
  return { ok: false, errorClass: '4xx', message: said, auth: res.status === 401 };
}

/** Stripe's form encoding: nested objects and arrays as bracketed keys; undefined left out. */
export function stripeForm(value: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, v: unknown) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(`${prefix}[${i}]`, x));
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}[${k}]` : k, x);
    else out[prefix] = String(v);
  };
  walk('', value);
  return out;
}

const stripe = defineConnectorApp({
  app: 'stripe',
  verdict: stripeVerdict,
  test: {
    request: { method: 'GET', path: '/v1/customers', query: { limit: 1 } },
    describe: () => 'the key can read customers',
  },
  failureModes: [
    {
      name: 'card_declined',
      description: 'HTTP 402 card_error/card_declined (insufficient_funds)',
      status: 402,
      body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' } },
      expect: 'final',
    },
    { name: 'rate_limited', description: 'HTTP 429 from the rate limiter', status: 429, body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded.' } }, expect: 'retried' },
    {
      name: 'idempotency_error',
      description: 'HTTP 400 idempotency_error (the key reused with other parameters)',
      status: 400,
      body: { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } },
      expect: 'final',
    },
    { name: 'api_error', description: 'HTTP 500 api_error', status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred' } }, expect: 'retried' },
  ],
  drillSuccess: { status: 200, body: { id: 'cus_DRILL', object: 'customer', email: 'drill@example.com', name: 'Drill', url: 'https://buy.stripe.com/test_drill' } },
});
export default stripe;

/**
 * The Stripe calls of one step, each with its own Idempotency-Key `<runId>:<nodeId>:<operation>`, so a
 * retried step replays what already happened (Stripe answers with the saved object) instead of doing
 * it twice.
 */
export async function stripeSession(connection: string, x: ExecutionContext) {
  const { cmd, deps } = x;
  const c = await connectionFor(deps.connections, connection, ['stripe'], cmd.action);
  return async (operation: string, req: Omit<ConnectorRequest, 'form'> & { form?: Record<string, unknown> }): Promise<Record<string, unknown>> => {
    const res = await sendAs(stripe, c, { ...req, form: req.form ? stripeForm(req.form) : undefined, headers: req.method === 'POST' ? { 'Idempotency-Key': `${cmd.idempotencyKey}:${operation}` } : {} }, {
      vault: deps.connections!,
      nowMs: () => deps.clock.now(),
      cause: { flowId: deps.run.flowId, runId: deps.run.id, nodeId: cmd.nodeId },
      timeoutMs: cmd.timeoutMs,
    });
    if (!res.json || typeof res.json !== 'object') throw new ActionFailure('5xx', `Stripe: ${operation} answered HTTP ${res.status} without a JSON object`, { status: res.status });
    return res.json as Record<string, unknown>;
  };
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
