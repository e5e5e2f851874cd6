// The spec tables: what each extension point derives from them (deploy checks of action params, param
// roles, ports and the cycle rule, the generated index and docs tables).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { actionIndexText } from '../scripts/action-index.ts';
import { withGeneratedTables } from './docs.ts';
import { flowJsonSchema } from './json-schema.ts';
import {
  ACTION_SPECS,
  ACTION_TYPES,
  actionSpec,
  defaultPortOf,
  NODE_SPEC_LIST,
  NODE_SPECS,
  nodeSpec,
  outputPorts,
  paramPathsByRole,
  paramsWithRole,
  pointerMatches,
  TRIGGER_SPEC_LIST,
} from './specs.ts';
import { validateFlow, type FlowError } from './validate.ts';
import type { Flow, FlowNode } from './dsl.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** trigger → act → end, with the action node given. */
function withAction(node: Record<string, unknown>): Flow {
  return {
    dsl: 1,
    id: 'act',
    name: 'Act',
    trigger: { type: 'manual' },
    nodes: [{ id: 'act', type: 'action', ...node } as FlowNode, { id: 'end', type: 'end' }],
    edges: [{ from: 'trigger', to: 'act' }, { from: 'act', to: 'end' }],
  };
}
const errorsOf = (doc: unknown): FlowError[] => validateFlow(doc).errors;

describe('action params at deploy', () => {
  it('checks literal values against the action spec, naming the node and the param', () => {
    expect(errorsOf(withAction({ action: 'http.request', params: { method: 'FETCH', url: 'ftp://example.com/x' } }))).toEqual([
      { path: '/nodes/0/params/method', message: 'must be one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"', nodeId: 'act' },
      { path: '/nodes/0/params/url', message: 'must match pattern "^https?://"', nodeId: 'act' },
    ]);
    expect(errorsOf(withAction({ action: 'text.generate', params: { template: 'x', json: 'yes', maxTokens: 0 } }))).toEqual([
      { path: '/nodes/0/params/json', message: 'must be boolean', nodeId: 'act' },
      { path: '/nodes/0/params/maxTokens', message: 'must be >= 1', nodeId: 'act' },
    ]);
    expect(errorsOf(withAction({ action: 'task.create', params: { title: 'x', record: { entity: 'account' } } }))).toEqual([
      { path: '/nodes/0/params/record/key', message: "must have required property 'key'", nodeId: 'act' },
    ]);
  });

  it('lets a {{placeholder}} or a {"$logic"} value stand wherever a value goes (checked once resolved)', () => {
    const ok = [
      { action: 'http.request', params: { method: '{{vars.method}}', url: '{{config.CRM_URL}}/leads', headers: { $logic: { var: 'vars.h' } } } },
      { action: 'text.generate', params: { template: 'x', json: { $logic: { '==': [1, 1] } }, maxTokens: '{{vars.n}}' } },
      { action: 'task.create', params: { title: 'x', record: '{{vars.record}}' } },
      { action: 'task.create', params: { title: 'x', record: { entity: 'invoice', key: { $logic: { var: 'payload.id' } } } } },
      { action: 'record.setState', params: { state: 'qualified', note: 'unknown params are kept and ignored' } },
    ];
    for (const node of ok) expect(errorsOf(withAction(node)), JSON.stringify(node)).toEqual([]);
  });

  it('a $logic value with an unknown operator is still reported', () => {
    expect(errorsOf(withAction({ action: 'http.request', params: { url: { $logic: { nope: [] } } } }))).toEqual([
      { path: '/nodes/0/params/url/$logic', message: 'unknown JSON-Logic operator "nope"', nodeId: 'act' },
    ]);
  });

  it('the published JSON Schema carries every action spec’s params, selected by the action', () => {
    const node = (flowJsonSchema as { properties: { nodes: { items: { anyOf: { properties: { type: { const: string } }; allOf?: unknown[] }[] } } } }).properties.nodes.items.anyOf.find(
      (b) => b.properties.type.const === 'action',
    )!;
    const selected = (node.allOf as { if: { properties: { action: { const: string } } }; then: { properties: { params: { properties: Record<string, unknown> } } } }[]).map((c) => [
      c.if.properties.action.const,
      Object.keys(c.then.properties.params.properties),
    ]);
    expect(Object.fromEntries(selected)).toEqual(Object.fromEntries(ACTION_SPECS.map((s) => [s.type, Object.keys(s.params.properties)])));
  });
});

describe('param roles (for the security rules)', () => {
  it('lists a node’s param paths by role, from the specs', () => {
    expect(paramPathsByRole('http.request', 'url')).toEqual(['/url']);
    expect(paramPathsByRole('http.request', 'secrets').sort()).toEqual(['/body', '/headers', '/query', '/url']);
    expect(paramPathsByRole('email.send', 'email').sort()).toEqual(['/cc', '/from', '/replyTo', '/to']);
    expect(paramPathsByRole('email.send', 'secrets')).toEqual([]);
    expect(paramPathsByRole('task.create', 'secrets')).toEqual([]);
    expect(paramPathsByRole('no.such', 'url')).toEqual([]);
  });

  it('gives the values a node holds where a role applies, and matches pointers inside them', () => {
    const node = { action: 'email.send', params: { to: ['a@example.com', '{{payload.email}}'], subject: 's', cc: 'c@example.com' } };
    expect(paramsWithRole(node, 'email')).toEqual([
      { pointer: '/to', value: ['a@example.com', '{{payload.email}}'] },
      { pointer: '/cc', value: 'c@example.com' },
    ]);
    const secrets = paramPathsByRole('http.request', 'secrets');
    expect(pointerMatches('/headers/authorization', secrets)).toBe(true);
    expect(pointerMatches('/method', secrets)).toBe(false);
  });
});

describe('node specs', () => {
  it('every node type of the schema has a spec, and the table is keyed by type', () => {
    for (const spec of NODE_SPEC_LIST) expect(NODE_SPECS[spec.type]).toBe(spec);
    expect(nodeSpec('nope')).toBeUndefined();
  });

  it('one rule for the port of an edge without one: the spec’s default, else a lone "out"', () => {
    expect(defaultPortOf({ id: 'a', type: 'action', action: 'http.request' })).toBe('ok');
    expect(defaultPortOf({ id: 'c', type: 'compute', set: {} })).toBe('out');
    expect(defaultPortOf({ id: 'r', type: 'route', rules: [], default: 'out' })).toBe('out');
    expect(defaultPortOf({ id: 'r', type: 'route', rules: [{ port: 'a', when: true }], default: 'b' })).toBeUndefined();
    expect(outputPorts({ id: 'q', type: 'review', queue: 'x', decisions: ['yes', 'no'] })).toEqual(['yes', 'no']);
  });

  it('the cycle rule names the node types that park a run', () => {
    const doc = {
      dsl: 1, id: 'loop', name: 'Loop', trigger: { type: 'manual' },
      nodes: [{ id: 'a', type: 'compute', set: {} }, { id: 'b', type: 'compute', set: {} }],
      edges: [{ from: 'trigger', to: 'a' }, { from: 'a', to: 'b' }, { from: 'b', to: 'a' }],
    };
    expect(errorsOf(doc)).toContainEqual({ path: '/nodes/0', message: 'cycle "a" → "b" → "a" does not pass through a wait or review node', nodeId: 'a' });
  });

  it('each spec’s template is a node its own schema accepts', () => {
    for (const spec of NODE_SPEC_LIST) {
      const node = spec.create('n');
      const doc = { dsl: 1, id: 'x', name: 'x', trigger: { type: 'manual' }, nodes: [node], edges: [{ from: 'trigger', to: 'n' }] };
      const schemaErrors = errorsOf(doc).filter((e) => !/wired|no outputs/.test(e.message));
      expect(schemaErrors, spec.type).toEqual([]);
    }
  });
});

describe('action specs', () => {
  it('every action has a spec whose defaults deploy, with retries by whether it calls outside', () => {
    expect(ACTION_TYPES).toEqual(ACTION_SPECS.map((s) => s.type));
    for (const spec of ACTION_SPECS) {
      expect(actionSpec(spec.type)).toBe(spec);
      expect(errorsOf(withAction({ action: spec.type, params: structuredClone(spec.defaults) })), spec.type).toEqual([]);
      expect(spec.retryDefault.delays?.length ?? 0, spec.type).toBe(spec.outside ? 3 : 0);
    }
  });
});

describe('generated files', () => {
  it('src/actions/index.ts lists every action spec file (npm run schema:build)', () => {
    expect(readFileSync(path.join(repoRoot, 'packages/schema/src/actions/index.ts'), 'utf8'), 'stale: run npm run schema:build').toBe(actionIndexText());
  });

  it('docs/dsl.md’s trigger, node and action tables are the specs’ (npm run schema:build)', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/dsl.md'), 'utf8');
    expect(doc, 'stale: run npm run schema:build').toBe(withGeneratedTables(doc));
    for (const t of TRIGGER_SPEC_LIST) expect(doc).toContain(`| \`${t.type}\` |`);
    for (const n of NODE_SPEC_LIST) expect(doc).toContain(`| \`${n.type}\` |`);
    for (const a of ACTION_SPECS) expect(doc).toContain(`| \`${a.type}\` |`);
  });
});
