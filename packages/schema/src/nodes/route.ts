import { Type, type Static } from '@sinclair/typebox';
import { Logic } from '../primitives.ts';
import { defineNode, nodeSchema, portNames } from '../spec/index.ts';

export const RouteRule = Type.Object({ port: Type.String({ minLength: 1 }), when: Logic, label: Type.Optional(Type.String()) }, { additionalProperties: false });
export type RouteRule = Static<typeof RouteRule>;

export default defineNode({
  type: 'route',
  schema: nodeSchema('route', { rules: Type.Array(RouteRule), default: Type.String({ minLength: 1 }) }),
  label: 'Route',
  help: 'Branch on rules, first match wins',
  icon: '◆',
  color: '#d97706',
  ports: (n) => portNames([...(n.rules ?? []).map((r) => r?.port), n.default]),
  cycleMayPass: false,
  portsKnown: (n) => Array.isArray(n.rules) && n.rules.every((x) => x !== null && typeof x === 'object' && typeof (x as { port?: unknown }).port === 'string') && typeof n.default === 'string',
  missingPort(n, port) {
    if (n.default === port) return { path: ['default'], message: `default port "${port}" is not wired` };
    return { path: ['rules', n.rules.findIndex((x) => x.port === port), 'port'], message: `rule port "${port}" is not wired` };
  },
  check(node, c) {
    if (!Array.isArray(node.rules)) return;
    const firstRuleWith = new Map<string, number>();
    node.rules.forEach((rule: unknown, k) => {
      if (!rule || typeof rule !== 'object') return;
      const r = rule as Record<string, unknown>;
      c.logic(r.when, 'rules', k, 'when');
      if (typeof r.port !== 'string') return;
      const first = firstRuleWith.get(r.port);
      if (first === undefined) firstRuleWith.set(r.port, k);
      else c.error(`duplicate rule port "${r.port}" (rule ${first} has it too): combine the conditions with "or"`, 'rules', k, 'port');
    });
  },
  summary: (n) => `${(n.rules ?? []).length} rule(s), else “${n.default}”`,
  create: (id) => ({ id, type: 'route' as const, rules: [{ port: 'yes', when: { '>=': [{ var: 'vars.score' }, ''] } }], default: 'no' }),
  docs: { fields: '`rules: [{port, when, label?}]` (ordered, first match wins), `default` (required)', ports: "each rule's port and the default" },
});
