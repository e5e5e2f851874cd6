import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanFileName, createFileStore, FileTooLargeError } from './file-store.ts';
import { attachmentHeader } from '../http/api-files.ts';
import { fileStoreContract } from './file-store.contract.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-files-'));
  dirs.push(dir);
  return dir;
};

fileStoreContract('a folder', async (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-files-'));
  return { store: createFileStore({ dir, fsync: true, now }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('file store in a folder', () => {
  it('keeps each owner in a folder only its user can read; a refused file leaves no part behind', async () => {
    const dir = folder();
    const s = createFileStore({ dir, fsync: true, now: () => Date.parse('2026-03-02T09:00:00Z') });
    await s.put(Buffer.from('x'), { owner: 'run-1', name: 'x', type: 'a/b' });
    expect(statSync(join(dir, 'run-1')).mode & 0o777).toBe(0o700);
    await expect(s.put(Buffer.alloc(11), { owner: 'r', name: 'x', type: 'a/b', maxBytes: 10 })).rejects.toBeInstanceOf(FileTooLargeError);
    expect(readdirSync(join(dir, 'r'))).toEqual([]);
  });

  it('a folder a crash left without any description is pruned by its age on the wall clock', async () => {
    const dir = folder();
    const now = Date.parse('2026-03-02T09:00:00Z');
    const s = createFileStore({ dir, fsync: true, now: () => now });
    mkdirSync(join(dir, 'crashed'));
    writeFileSync(join(dir, 'crashed', 'x.part'), 'partial');
    expect(await s.prune(async () => false, { nowMs: now, graceMs: 3_600_000 })).toBe(0); // young on the wall clock
    expect(await s.prune(async () => false, { nowMs: now, graceMs: 0 })).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('file names lose paths, quotes and control characters; downloads carry an ASCII and a UTF-8 name', () => {
    expect(cleanFileName('..\\..\\Windows\\a.txt')).toBe('a.txt');
    expect(cleanFileName('x"\u0000\n.pdf')).toBe('x.pdf');
    expect(cleanFileName('..')).toBe('file');
    expect(cleanFileName(undefined)).toBe('file');
    expect(attachmentHeader('Résumé (1).pdf')).toBe(`attachment; filename="R_sum_ (1).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%281%29.pdf`);
  });
});
