// The checkpoint's two files, rewritten in place: whichever holds the highest generation with a good CRC
// wins at load, also after a rewrite shorter than the text it replaced, and a torn one loses to the other.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint } from './checkpoint.ts';
import { nodeFiles } from './file-layer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'flowdesk-checkpoint-'));
  dirs.push(d);
  return d;
};
const warn = () => {};
/** How many of this process's descriptors are open on a file in `dir` (Linux: /proc/self/fd). */
const openIn = (dir: string): number =>
  readdirSync('/proc/self/fd').filter((n) => {
    try {
      return readlinkSync(`/proc/self/fd/${n}`).startsWith(`${dir}/`);
    } catch {
      return false;
    }
  }).length;

describe('Checkpoint', () => {
  it('alternates the two files in place; after claims shrink, a fresh load reads the newest generation', async () => {
    const dir = tempDir();
    const cp = new Checkpoint(dir, nodeFiles, true, warn);
    await cp.load();
    for (let i = 0; i < 6; i++) cp.set(`journal/runs-${String(i).padStart(6, '0')}.jsonl`, { bytes: 1000 * (i + 1), hi: i + 1 });
    await cp.write(false); // gen 1 → b
    await cp.write(false); // gen 2 → a
    for (let i = 0; i < 5; i++) cp.forget(`journal/runs-${String(i).padStart(6, '0')}.jsonl`);
    cp.setSnapshot('db/settings.json', { gen: 4, items: 2 });
    await cp.write(true); // gen 3 → b, shorter than what b held
    if (process.platform === 'linux') expect(openIn(dir)).toBe(2); // both files kept open between writes
    const b = readFileSync(join(dir, 'checkpoint-b.json'), 'utf8');
    expect(b.endsWith(' \n')).toBe(true); // padded over the longer generation 1, not truncated
    await cp.close();
    if (process.platform === 'linux') expect(openIn(dir)).toBe(0);

    const again = new Checkpoint(dir, nodeFiles, true, warn);
    const { doc, present } = await again.load();
    expect(present).toEqual(['checkpoint-a.json', 'checkpoint-b.json']);
    expect(doc).toMatchObject({ gen: 3, files: { 'journal/runs-000005.jsonl': { bytes: 6000, hi: 6 } }, snapshots: { 'db/settings.json': { gen: 4, items: 2 } } });
    expect(Object.keys(doc!.files)).toEqual(['journal/runs-000005.jsonl']);
    // the next write goes over the older file (a), never over the newest good one
    await again.write(false);
    await again.close();
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint-a.json'), 'utf8')).doc.gen).toBe(4);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint-b.json'), 'utf8')).doc.gen).toBe(3);
  });

  it('a torn newest file loses to the other one, and is the one written next', async () => {
    const dir = tempDir();
    const cp = new Checkpoint(dir, nodeFiles, false, warn);
    await cp.load();
    cp.set('journal/runs-000001.jsonl', { bytes: 10, hi: 1 });
    await cp.write(false); // gen 1 → b
    cp.set('journal/runs-000001.jsonl', { bytes: 20, hi: 2 });
    await cp.write(false); // gen 2 → a
    await cp.close();
    const a = join(dir, 'checkpoint-a.json');
    writeFileSync(a, readFileSync(a, 'utf8').replace('"bytes":20', '"bytes":90')); // torn: its CRC no longer matches
    const again = new Checkpoint(dir, nodeFiles, false, warn);
    expect((await again.load()).doc).toMatchObject({ gen: 1, files: { 'journal/runs-000001.jsonl': { bytes: 10, hi: 1 } } });
    again.set('journal/runs-000001.jsonl', { bytes: 10, hi: 1 });
    await again.write(false);
    await again.close();
    // written over the torn file (its stale text fully covered), which now loads as the newest
    const third = new Checkpoint(dir, nodeFiles, false, warn);
    expect((await third.load()).doc).toMatchObject({ gen: 2, files: { 'journal/runs-000001.jsonl': { bytes: 10, hi: 1 } } });
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint-b.json'), 'utf8')).doc.gen).toBe(1);
    await third.close();
  });
});
