// Deploy checks of the foreach node and its loop body.
import { describe, expect, it } from 'vitest';
import { validateFlow } from './validate.ts';
import { loopBody } from './loop-body.ts';

const flow = (body: unknown[], bodyEdges: unknown[], extra: { nodes?: unknown[]; edges?: unknown[]; foreach?: Record<string, unknown> } = {}) => ({
  dsl: 1, id: 'f', name: 'F', trigger: { type: 'manual' },
  nodes: [{ id: 'each', type: 'foreach', items: { var: 'payload.items' }, ...extra.foreach }, ...body, { id: 'end', type: 'end' }, ...(extra.nodes ?? [])],
  edges: [{ from: 'trigger', to: 'each' }, { from: 'each', port: 'done', to: 'end' }, ...bodyEdges, ...(extra.edges ?? [])],
});
const messages = (doc: unknown) => validateFlow(doc).errors.map((e) => e.message);

describe('foreach deploy checks', () => {
  it('a body of steps that finish within the item deploys', () => {
    const doc = flow(
      [{ id: 'calc', type: 'code', source: 'return input.item;' }, { id: 'call', type: 'action', action: 'http.request', params: { url: 'http://x.test/{{index}}' } }, { id: 'item-end', type: 'end', output: { var: 'steps.call.output' } }],
      [{ from: 'each', port: 'item', to: 'calc' }, { from: 'calc', to: 'call' }, { from: 'call', to: 'item-end' }],
      { foreach: { concurrency: 4, maxItems: 50, onItemError: 'continue' } },
    );
    expect(validateFlow(doc).errors).toEqual([]);
    expect(loopBody(doc, 'each').nodes.map((n) => n.node.id)).toEqual(['calc', 'call', 'item-end']);
  });

  it('both ports must be wired', () => {
    const doc = flow([], []);
    expect(JSON.stringify(validateFlow(doc).errors)).toMatch(/item/);
  });

  it('refuses a wait, a review or a loop inside the body, and an exit state on a body end', () => {
    const waits = flow([{ id: 'pause', type: 'wait', for: '1h' }, { id: 'item-end', type: 'end' }], [{ from: 'each', port: 'item', to: 'pause' }, { from: 'pause', to: 'item-end' }]);
    expect(messages(waits)).toContain('a wait node ("pause") cannot be inside the loop body of "each" (allowed: compute, set, code, route, qa, action, end)');
    const exit = flow([{ id: 'item-end', type: 'end', exitState: { entity: 'account', key: { var: 'item.email' }, state: 'won' } }], [{ from: 'each', port: 'item', to: 'item-end' }]);
    expect(messages(exit)).toContain('the end node "item-end" inside the loop body of "each" cannot set an exitState');
  });

  it('refuses a body node also on the path outside the body', () => {
    const shared = flow([{ id: 'calc', type: 'compute', set: {} }], [{ from: 'each', port: 'item', to: 'calc' }, { from: 'calc', to: 'end' }]);
    expect(messages(shared)).toContain('node "end" is both inside the loop body of "each" and on a path outside it');
  });

  it('refuses a body that leads back to its foreach', () => {
    const back = flow([{ id: 'calc', type: 'compute', set: {} }], [{ from: 'each', port: 'item', to: 'calc' }, { from: 'calc', to: 'each' }]);
    expect(messages(back)).toContain('the loop body of "each" leads back to "each"');
  });

  it('concurrency, maxItems and onItemError are checked by the schema', () => {
    const bad = flow([{ id: 'item-end', type: 'end' }], [{ from: 'each', port: 'item', to: 'item-end' }], { foreach: { concurrency: 0, maxItems: 0, onItemError: 'ignore' } });
    const paths = validateFlow(bad).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/nodes/0/concurrency', '/nodes/0/maxItems', '/nodes/0/onItemError']));
  });
});
