// The real file layer (node:fs) under the append log: its fdatasync reaches the kernel on the log's own
// descriptor (a datasync that resolved without a system call would pass every test built on the
// recording layer), and its appends land at the end of the file.
import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFiles } from './file-layer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'flowdesk-file-layer-'));
  dirs.push(d);
  return join(d, 'a.jsonl');
};
/** This process's descriptor open on `file` (Linux: /proc/self/fd). */
const fdOf = (file: string): number => {
  const fds = readdirSync('/proc/self/fd').filter((n) => {
    try {
      return readlinkSync(`/proc/self/fd/${n}`) === file;
    } catch {
      return false;
    }
  });
  expect(fds).toHaveLength(1);
  return Number(fds[0]);
};

describe.runIf(process.platform === 'linux')('nodeFiles', () => {
  it('appends at the end and fdatasyncs the same descriptor: once that descriptor is gone, datasync fails with EBADF', async () => {
    const file = tempFile();
    const h = await nodeFiles.openAppend(file);
    await h.append(Buffer.from('one\n'));
    await h.append(Buffer.from('two\n'));
    await h.datasync();
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
    closeSync(fdOf(file));
    await expect(h.datasync()).rejects.toMatchObject({ code: 'EBADF', syscall: 'fdatasync' });
  });
});

describe.runIf(process.platform === 'linux')('nodeFiles.openSmall', () => {
  it('rewrites in place on one descriptor: a shorter text is padded with spaces before its newline, a longer one grows the file, mode 0600', async () => {
    const file = tempFile();
    const h = await nodeFiles.openSmall(file);
    const fd = fdOf(file);
    const long = `${JSON.stringify({ gen: 1, files: { 'journal/runs-000001.jsonl': { bytes: 123456789, hi: 987654 } } })}\n`;
    const short = `${JSON.stringify({ gen: 2, files: {} })}\n`;
    await h.rewrite(long, false);
    expect(readFileSync(file, 'utf8')).toBe(long);
    await h.rewrite(short, true);
    const text = readFileSync(file, 'utf8');
    expect(text.length).toBe(long.length); // no truncation: the old tail is overwritten by spaces
    expect(text.endsWith(' \n')).toBe(true);
    expect(JSON.parse(text)).toEqual({ gen: 2, files: {} });
    const longer = `${JSON.stringify({ gen: 3, pad: 'x'.repeat(200) })}\n`;
    await h.rewrite(longer, false);
    expect(readFileSync(file, 'utf8')).toBe(longer);
    expect(fdOf(file)).toBe(fd); // the same descriptor throughout: no open and close per write
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await h.close();
    // reopened, it knows the file's length: a shorter text still covers all of the old one
    const again = await nodeFiles.openSmall(file);
    await again.rewrite(short, false);
    expect(readFileSync(file, 'utf8').length).toBe(longer.length);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ gen: 2, files: {} });
    await again.close();
  });

  it('a failed write rejects with the system error (the descriptor gone: EBADF)', async () => {
    const file = tempFile();
    const h = await nodeFiles.openSmall(file);
    await h.rewrite('{"a":1}\n', false);
    closeSync(fdOf(file));
    await expect(h.rewrite(`{"a":"${'y'.repeat(50)}"}\n`, false)).rejects.toMatchObject({ code: 'EBADF' });
    await h.close().catch(() => {}); // marks the handle closed now, not at garbage collection
  });
});
