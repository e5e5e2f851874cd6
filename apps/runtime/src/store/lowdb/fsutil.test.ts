import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanLines } from './fsutil.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function file(lines: string[]): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'flowdesk-fsutil-'));
  dirs.push(d);
  const f = join(d, 'lines.jsonl');
  await writeFile(f, lines.map((l) => `${l}\n`).join(''));
  return f;
}

async function scan(f: string, readBytes?: number): Promise<{ lines: [number, string][]; chunks: number }> {
  const lines: [number, string][] = [];
  let chunks = 0;
  await scanLines(
    f,
    (buf, start, end, offset) => {
      lines.push([offset, buf.toString('utf8', start, end)]);
      return true;
    },
    async () => {
      chunks++;
    },
    0,
    readBytes,
  );
  return { lines, chunks };
}

describe('scanLines', () => {
  it('a background scan in small reads sees the same lines at the same offsets, in more, smaller turns', async () => {
    // lines of varied length, one longer than the small read size (the buffer grows for it)
    const lines = Array.from({ length: 3000 }, (_, i) => `{"i":${i},"pad":"${'x'.repeat((i * 37) % 700)}"}`);
    lines[1234] = `{"long":"${'y'.repeat(100_000)}"}`;
    const f = await file(lines);
    const whole = await scan(f);
    const small = await scan(f, 16 * 1024);
    expect(whole.lines.map(([, l]) => l)).toEqual(lines);
    expect(small.lines).toEqual(whole.lines);
    expect(whole.chunks).toBe(1);
    expect(small.chunks).toBeGreaterThan(60); // ~1.2 MB in 16 KB reads
  });
});
