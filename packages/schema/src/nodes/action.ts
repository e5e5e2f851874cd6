import { Type } from '@sinclair/typebox';
import { ACTION_SPECS, actionSpec, type ActionType } from '../action-specs.ts';
import { Duration, Retry } from '../primitives.ts';
import { defineNode, nodeSchema, short } from '../spec/index.ts';
import { deployParamsSchema } from '../spec/placeholders.ts';

const json = (s: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(s)) as Record<string, unknown>;

/**
 * Each action's params schema, selected by `action` (if/then): what is literal is checked at deploy, a
 * `{{placeholder}}` or `{"$logic"}` value is checked once resolved, at run time.
 */
const paramsByAction = ACTION_SPECS.map((spec) => ({
  if: { properties: { action: { const: spec.type } }, required: ['action'] },
  then: { properties: { params: deployParamsSchema(json(spec.params)) } },
}));

export default defineNode({
  type: 'action',
  schema: nodeSchema(
    'action',
    {
      action: Type.Union(ACTION_SPECS.map((s) => Type.Literal(s.type as ActionType))),
      params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      retry: Type.Optional(Retry),
      timeout: Type.Optional(Duration),
      alert: Type.Optional(Type.Boolean({ description: 'raise an alert even when the error port is taken' })),
    },
    { allOf: paramsByAction },
  ),
  label: 'Action',
  help: 'Do something: e-mail, API call, …',
  icon: '▶',
  color: '#2563eb',
  ports: () => ['ok', 'error'],
  requiredPorts: () => ['ok'],
  defaultPort: 'ok',
  cycleMayPass: false,
  check(node, c) {
    c.duration(node.timeout, 'timeout');
    const action = typeof node.action === 'string' ? node.action : undefined;
    const spec = action ? actionSpec(action) : undefined;
    if (spec && c.implementedActions && !c.implementedActions.includes(spec.type)) c.error(`${spec.type} is not implemented yet`, 'action');
    if (node.params !== undefined) c.paramsLogic(node.params, 'params');
    const retry = node.retry as Record<string, unknown> | undefined;
    if (retry && typeof retry === 'object') {
      if (Array.isArray(retry.delays)) retry.delays.forEach((d, k) => c.duration(d, 'retry', 'delays', k));
      const b = retry.backoff as Record<string, unknown> | undefined;
      if (b && typeof b === 'object') {
        c.duration(b.initial, 'retry', 'backoff', 'initial');
        c.duration(b.max, 'retry', 'backoff', 'max');
      }
    }
    if (spec?.check && node.params && typeof node.params === 'object' && !Array.isArray(node.params)) spec.check(node.params as Record<string, unknown>, c.at('params'));
  },
  summary(n) {
    const key = actionSpec(n.action)?.summary;
    const hint = key ? (n.params ?? {})[key] : undefined;
    return short(`${n.action}${hint ? ` · ${typeof hint === 'string' ? hint : JSON.stringify(hint)}` : ''}`, 44);
  },
  create: (id) => ({ id, type: 'action' as const, action: 'http.request' as const, params: structuredClone(actionSpec('http.request')!.defaults) as Record<string, unknown> }),
  docs: { fields: '`action`, `params` (see Actions), `retry`, `timeout` (default `10s`), `alert`', ports: '`ok`, optional `error`' },
});
