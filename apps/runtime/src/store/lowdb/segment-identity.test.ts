// A segment is taken as untouched since its stamp only while the file system says nothing happened to
// it: every way of changing its bytes through the file system is noticed, on real files.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFile, copyFile, mkdtemp, open, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EDGE_BYTES, stampOf, untouchedSince } from './segment-identity.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A 300 KB segment-like file (more than both edges) and its stamp. */
async function stamped() {
  const d = await mkdtemp(join(tmpdir(), 'fd-ident-'));
  dirs.push(d);
  const file = join(d, 'runs-000001.jsonl');
  const line = (i: number) => `{"h":{"id":"r${i}"},"d":${JSON.stringify({ n: i, pad: 'x'.repeat(200) })}}\n`;
  await writeFile(file, Array.from({ length: 1400 }, (_, i) => line(i)).join(''));
  const bytes = (await stat(file)).size;
  expect(bytes).toBeGreaterThan(3 * EDGE_BYTES);
  const stamp = await stampOf(file, bytes);
  expect(stamp).toBeDefined();
  return { d, file, bytes, stamp: stamp! };
}

async function writeAt(file: string, pos: number, data: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.write(Buffer.from(data), 0, data.length, pos);
  } finally {
    await fh.close();
  }
}

describe('segment identity', () => {
  it('an untouched file is recognised without reading its middle', async () => {
    const { file, bytes, stamp } = await stamped();
    expect(await untouchedSince(file, bytes, stamp)).toBe(true);
  });

  it('a byte changed in the middle (in place, same length) is noticed, also with the mtime put back', async () => {
    const { file, bytes, stamp } = await stamped();
    const before = await stat(file, { bigint: true });
    await new Promise((r) => setTimeout(r, 20));
    await writeAt(file, bytes >> 1, 'Z');
    expect(await untouchedSince(file, bytes, stamp)).toBe(false);
    // mtime put back to the nanosecond (touch can); the ctime cannot be
    const ns = before.mtimeNs;
    execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, file]);
    const after = await stat(file, { bigint: true });
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.ino).toBe(before.ino);
    expect(after.size).toBe(before.size);
    expect(await untouchedSince(file, bytes, stamp)).toBe(false);
  });

  it('appended to, cut, or replaced by a copy or a rewrite under the same name: not untouched', async () => {
    const a = await stamped();
    await appendFile(a.file, '{"h":{"id":"more"},"d":{}}\n');
    expect(await untouchedSince(a.file, a.bytes, a.stamp)).toBe(false);

    const b = await stamped();
    await truncate(b.file, b.bytes - 10);
    expect(await untouchedSince(b.file, b.bytes, b.stamp)).toBe(false);

    // the same bytes under a new inode (what compaction's rename, a restore or a copy leaves)
    const c = await stamped();
    await copyFile(c.file, `${c.file}.tmp`);
    await rename(`${c.file}.tmp`, c.file);
    expect(await untouchedSince(c.file, c.bytes, c.stamp)).toBe(false);
  });

  it('a damaged or foreign stamp is never taken as proof', async () => {
    const { file, bytes, stamp } = await stamped();
    expect(await untouchedSince(file, bytes, { ...stamp, head: stamp.head ^ 1 })).toBe(false);
    expect(await untouchedSince(file, bytes, { ...stamp, tail: stamp.tail ^ 1 })).toBe(false);
    expect(await untouchedSince(file, bytes, { ...stamp, ino: '1' })).toBe(false);
    expect(await untouchedSince(file, bytes, { head: stamp.head, tail: stamp.tail })).toBe(false);
    expect(await untouchedSince(file, bytes - 1, stamp)).toBe(false);
    expect(await untouchedSince(`${file}.missing`, bytes, stamp)).toBe(false);
  });

  it('no stamp for a file that is not exactly the covered length', async () => {
    const { file, bytes } = await stamped();
    expect(await stampOf(file, bytes - 1)).toBeUndefined();
  });
});
