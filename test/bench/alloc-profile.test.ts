import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceLocator, summariseAllocations, type AllocNode, type CallFrame } from '../../bench/alloc-profile.ts';

const frame = (functionName: string, url = 'node:a', lineNumber = 0): CallFrame => ({ functionName, url, lineNumber, columnNumber: 0 });
const node = (f: CallFrame, selfSize: number, children: AllocNode[] = []): AllocNode => ({ callFrame: f, selfSize, children });

describe('summariseAllocations', () => {
  // root → handle (100) → [ write (300), parse (50) → write (200) ], and a recursive walk (40 → walk 60)
  const write = frame('write', 'node:w', 9);
  const walk = frame('walk', 'node:k', 1);
  const head = node(frame('(root)', ''), 0, [
    node(frame('handle'), 100, [node(write, 300), node(frame('parse'), 50, [node(write, 200)])]),
    node(walk, 40, [node(walk, 60)]),
  ]);

  it('divides by the events: total, own and everything-under per function', () => {
    const s = summariseAllocations(head, 10);
    expect(s.bytesPerEvent).toBe(75);
    expect(s.self[0]).toEqual({ name: 'write', where: 'node:w:10', bytesPerEvent: 50 });
    expect(s.inclusive.find((r) => r.name === 'handle')?.bytesPerEvent).toBe(65);
    expect(s.inclusive.find((r) => r.name === 'parse')?.bytesPerEvent).toBe(25);
  });

  it('counts a recursive function once per stack, and leaves the root out', () => {
    const s = summariseAllocations(head, 1);
    expect(s.inclusive.find((r) => r.name === 'walk')?.bytesPerEvent).toBe(100);
    expect(s.self.find((r) => r.name === 'walk')?.bytesPerEvent).toBe(100);
    expect(s.inclusive.some((r) => r.name === '(root)')).toBe(false);
  });

  it('keeps the top N, largest first', () => {
    const s = summariseAllocations(head, 1, 2);
    expect(s.self.map((r) => r.name)).toEqual(['write', 'handle']);
  });
});

describe('sourceLocator', () => {
  it('maps a bundle frame to its source file and line through the bundle source map', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alloc-map-'));
    const bundle = join(dir, 'main.mjs');
    writeFileSync(bundle, 'a\nb\n');
    // one segment: generated line 2, column 0 → source 0 ("../src/x.ts"), line 41, column 0
    writeFileSync(`${bundle}.map`, JSON.stringify({ version: 3, sources: ['../src/x.ts'], names: [], mappings: ';AAyCA' }));
    const where = sourceLocator()({ functionName: 'f', url: pathToFileURL(bundle).href, lineNumber: 1, columnNumber: 0 });
    expect(where.endsWith(`${join('src', 'x.ts')}:42`)).toBe(true);
  });

  it('leaves a frame without a map as it is', () => {
    expect(sourceLocator()(frame('g', 'node:buffer', 769))).toBe('node:buffer:770');
  });
});
