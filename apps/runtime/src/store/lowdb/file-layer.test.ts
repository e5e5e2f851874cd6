// The real file layer (node:fs) under the append log: its fdatasync reaches the kernel on the log's own
// descriptor (a datasync that resolved without a system call would pass every test built on the
// recording layer), and its appends land at the end of the file.
import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
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
