import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { IdTable } from './id-table.ts';

/** A seeded generator, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const kinds = [
  () => randomUUID(),
  () => `run:${randomUUID()}`,
  () => `${randomUUID()}:review`,
  () => `mail-${Math.random().toString(36).slice(2)}`,
  () => `account:zoë+${Math.random().toString(36).slice(2)}@example.com`,
  () => randomUUID().toUpperCase(), // not packed: upper case
  () => `${'ü'.repeat(100)}${randomUUID()}`, // a prefix too long in UTF-8 to pack
  () => '',
  () => '😀'.repeat(3),
];

describe('IdTable', () => {
  it('finds, holds, decodes and removes ids exactly as a Map would, through growth, reuse and arena compaction', () => {
    const r = rng(7);
    const t = new IdTable();
    const model = new Map<string, number>();
    const present: string[] = [];
    const free: number[] = [];
    let top = 0;
    for (let step = 0; step < 60_000; step++) {
      if (model.size > 0 && r() < 0.45) {
        // remove a random present id
        const i = Math.floor(r() * present.length);
        const id = present[i]!;
        present[i] = present[present.length - 1]!;
        present.pop();
        const slot = model.get(id)!;
        expect(t.find(id)).toBe(slot);
        t.remove(slot);
        model.delete(id);
        free.push(slot);
        expect(t.find(id)).toBe(-1);
        expect(t.has(slot)).toBe(false);
      } else {
        const id = kinds[Math.floor(r() * kinds.length)]!();
        if (model.has(id)) continue;
        const slot = free.pop() ?? top++;
        t.ensure(top);
        t.add(slot, id);
        model.set(id, slot);
        present.push(id);
      }
      if (step % 5000 === 0) {
        expect(t.size).toBe(model.size);
        for (const [id, slot] of model) {
          expect(t.find(id)).toBe(slot);
          expect(t.holds(slot, id)).toBe(true);
          expect(t.id(slot)).toBe(id);
        }
      }
    }
    expect(t.size).toBe(model.size);
    for (const [id, slot] of model) expect(t.id(slot)).toBe(id);
  });

  it('packs a UUID into 16 bytes and still tells it from the same text unpacked', () => {
    const t = new IdTable();
    t.ensure(4);
    const u = '0f8fad5b-d9cb-469f-a165-70867728950e';
    t.add(0, u);
    t.add(1, u.toUpperCase());
    t.add(2, `run:${u}`);
    expect(t.find(u)).toBe(0);
    expect(t.find(u.toUpperCase())).toBe(1);
    expect(t.find(`run:${u}`)).toBe(2);
    expect(t.find(`run:${u}x`)).toBe(-1);
    expect(t.find(u.slice(0, 35))).toBe(-1);
    expect(t.id(2)).toBe(`run:${u}`);
    // packed ids take 17 bytes + prefix, not 36
    expect(t.bytes()).toBeLessThan(70_000);
  });

  it('orders ids totally and consistently: compare agrees with compareTo, and plain UUIDs sort as their text', () => {
    const t = new IdTable();
    const ids = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? randomUUID() : i % 3 === 1 ? `id-${i}` : `x:${randomUUID()}`));
    t.ensure(ids.length);
    ids.forEach((id, i) => t.add(i, id));
    for (let a = 0; a < ids.length; a += 7) {
      for (let b = 0; b < ids.length; b += 5) {
        const c = t.compare(a, b);
        expect(Math.sign(t.compareTo(a, ids[b]!))).toBe(Math.sign(c));
        expect(Math.sign(t.compare(b, a)) + Math.sign(c)).toBe(0);
        if (a === b) expect(c).toBe(0);
        else expect(c).not.toBe(0);
      }
    }
    const uuids = ids.map((id, i) => [id, i] as const).filter(([id]) => /^[0-9a-f-]{36}$/.test(id));
    const byTable = [...uuids].sort((x, y) => t.compare(x[1], y[1])).map(([id]) => id);
    expect(byTable).toEqual(uuids.map(([id]) => id).sort());
  });
});
