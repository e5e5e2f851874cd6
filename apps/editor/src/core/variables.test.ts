import { describe, expect, it } from 'vitest';
import type { Flow } from '@flowdesk/schema';
import { upstreamOf, variablesFor } from './variables.ts';

const flow: Flow = {
  dsl: 1, id: 'f', name: 'F',
  trigger: { type: 'webhook', path: 'f', auth: { type: 'none' }, payloadSchema: { type: 'object', properties: { email: { type: 'string' }, lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } } } } },
  samples: [{ name: 'one', payload: { email: 'a@x.io', lines: [{ sku: 'a', qty: 1 }], extra: { deep: true } } }],
  nodes: [
    { id: 'score', type: 'compute', set: { fit: 1 } },
    { id: 'each', type: 'foreach', items: { var: 'payload.lines' } },
    { id: 'call', type: 'action', action: 'http.request', params: { url: 'https://x.io' } },
    { id: 'item-end', type: 'end' },
    { id: 'after', type: 'end' },
  ],
  edges: [{ from: 'trigger', to: 'score' }, { from: 'score', to: 'each' }, { from: 'each', port: 'item', to: 'call' }, { from: 'call', to: 'item-end' }, { from: 'each', port: 'done', to: 'after' }],
};
const paths = (id?: string) => variablesFor(flow, id).map((v) => v.path);

describe('variablesFor', () => {
  it('offers the contract and the samples, each once, with where it comes from', () => {
    const vars = variablesFor(flow);
    expect(vars.find((v) => v.path === 'payload.email')).toEqual({ path: 'payload.email', from: 'contract' });
    expect(vars.find((v) => v.path === 'payload.extra.deep')).toEqual({ path: 'payload.extra.deep', from: 'sample “one”' });
    expect(paths().filter((p) => p === 'payload.email')).toHaveLength(1);
    expect(paths()).not.toContain('vars.fit');
  });

  it('inside a loop body: item (with its fields), index, upstream vars — not the loop’s own results', () => {
    const p = paths('item-end');
    expect(p).toEqual(expect.arrayContaining(['item', 'index', 'item.sku', 'item.qty', 'vars.fit', 'steps.call.output', 'steps.call.output.body']));
    expect(p).not.toContain('steps.each.output.items');
  });

  it('after the loop: its results, no item', () => {
    const p = paths('after');
    expect(p).toContain('steps.each.output.items');
    expect(p).not.toContain('item');
    expect(p).not.toContain('steps.call.output');
  });

  it('upstreamOf lists the nodes before, nearest first, and names the loop', () => {
    const up = upstreamOf(flow, 'call');
    expect(up.nodes.map((n) => n.id)).toEqual(['each', 'score']);
    expect(up.loop?.id).toBe('each');
  });
});
