import { describe, expect, it } from 'vitest';
import { takePinData } from './pinned.ts';

describe('takePinData', () => {
  it('splits an exported document into the flow and its pinned data', () => {
    expect(takePinData({ id: 'f', nodes: [], pinData: { a: { x: 1 } } })).toEqual({ doc: { id: 'f', nodes: [] }, pinned: { a: { x: 1 } } });
  });
  it('leaves a document without pins as it is, and drops pins that are not an object', () => {
    const doc = { id: 'f' };
    expect(takePinData(doc)).toEqual({ doc });
    expect(takePinData({ id: 'f', pinData: [1] })).toEqual({ doc: { id: 'f' } });
    expect(takePinData(null)).toEqual({ doc: null });
  });
});
