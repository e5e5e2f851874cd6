import { describe, expect, it } from 'vitest';
import { misplacedSecrets, secretParamsText } from './secret-placement.ts';

const doc = (nodes: unknown[], extra: Record<string, unknown> = {}) => ({ dsl: 1, id: 'f', name: 'f', trigger: { type: 'manual' }, nodes, edges: [], ...extra });
const places = (d: unknown) => misplacedSecrets(d).map((m) => [m.path, m.nodeId, m.secret]);

describe('misplacedSecrets', () => {
  it('allows secrets anywhere inside the secrets-role params of an outbound call, as a template or a $logic var', () => {
    expect(
      places(doc([{ id: 'a', type: 'action', action: 'http.request', params: {
        url: 'https://x.example/?k={{secrets.K}}',
        headers: { authorization: { $logic: { cat: ['Bearer ', { var: 'secrets.K' }] } } },
        query: { k: '{{secrets.K}}' },
        body: { nested: ['{{secrets.K}}'] },
      } }])),
    ).toEqual([]);
  });

  it('finds every other place, with its pointer and node', () => {
    expect(
      places(doc([
        { id: 'e', type: 'action', action: 'flow.emit', params: { flowId: 'c', payload: { all: '{{secrets}}', one: { $logic: { var: ['secrets.K', 'none'] } } } } },
        { id: 'r', type: 'route', rules: [{ when: { '==': [{ var: 'secrets.K' }, 'x'] }, port: 'a' }], default: 'b' },
        { id: 'q', type: 'review', queue: 'q', decisions: ['ok'], title: 'check {{secrets.K}}' },
      ], { record: { entity: 'account', key: { var: 'secrets.K' } } })),
    ).toEqual([
      ['/record/key', undefined, 'secrets.K'],
      ['/nodes/0/params/payload/all', 'e', 'secrets'],
      ['/nodes/0/params/payload/one/$logic', 'e', 'secrets.K'],
      ['/nodes/1/rules/0/when/==/0', 'r', 'secrets.K'],
      ['/nodes/2/title', 'q', 'secrets.K'],
    ]);
  });

  it('ignores prose and JSON Schemas, and names that only look alike', () => {
    expect(
      places(doc([
        { id: 'n', type: 'compute', name: 'uses {{secrets.K}}', description: '{{secrets.K}}', sop: ['{{secrets.K}}'], set: { a: { var: 'config.secretsUrl' }, b: { var: 'payload.secrets.K' } } },
      ], { trigger: { type: 'webhook', path: 'p', auth: { type: 'none' }, payloadSchema: { examples: ['{{secrets.K}}'] } } })),
    ).toEqual([]);
  });

  it('says where a secret may go, from the specs', () => {
    expect(secretParamsText()).toBe('http.request url, headers, query, body');
  });
});
