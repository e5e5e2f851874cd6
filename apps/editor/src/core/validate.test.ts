import { describe, expect, it } from 'vitest';
import { nodeIdForPath, validateDoc } from './validate.ts';
import { DESIGN_EXAMPLE } from './fixtures.ts';

describe('live validation', () => {
  it('pins JSON-pointer paths to nodes', () => {
    expect(nodeIdForPath(DESIGN_EXAMPLE, '/nodes/1/rules/0/when')).toBe('qualify');
    expect(nodeIdForPath(DESIGN_EXAMPLE, '/trigger/path')).toBe('trigger');
    expect(nodeIdForPath(DESIGN_EXAMPLE, '/edges/2')).toBe('qualify');
    expect(nodeIdForPath(DESIGN_EXAMPLE, '/name')).toBeUndefined();
  });

  it('accepts the design example and reports an unfinished rule on its node', async () => {
    expect(await validateDoc(DESIGN_EXAMPLE)).toEqual({ ok: true, errors: [], warnings: [] });
    const doc = structuredClone(DESIGN_EXAMPLE);
    (doc.nodes[1] as { rules: { when: unknown }[] }).rules[0]!.when = { '>=': [{ var: 'vars.fit' }, ''] };
    const r = await validateDoc(doc);
    expect(r.ok).toBe(false);
    expect(r.errors).toContainEqual({ path: '/nodes/1/rules/0/when', message: 'rule “fast”: the condition on vars.fit needs a number', nodeId: 'qualify' });
  });

  it('reports every structural error of a broken document, each with a node where it has one', async () => {
    const r = await validateDoc({ dsl: 1, id: 'Bad Id', trigger: { type: 'webhook' }, nodes: [{ id: 'x', type: 'teleport' }], edges: [] });
    expect(r.ok).toBe(false);
    expect(r.errors.length).toBeGreaterThanOrEqual(3);
  });
});
