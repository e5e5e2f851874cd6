import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { cleanFileName, createFileStore, FileTooLargeError } from './file-store.ts';
import { attachmentHeader } from '../http/api-files.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const store = (now = () => Date.parse('2026-03-02T09:00:00Z')) => {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-files-'));
  dirs.push(dir);
  return createFileStore({ dir, fsync: true, now });
};

describe('file store', () => {
  it('stores a stream durably with its description; reads it back by id', async () => {
    const s = store();
    const f = await s.put(Readable.from([Buffer.from('hello '), Buffer.from('world')]), { owner: 'run-1', name: 'a/b/hi.txt', type: 'text/plain' });
    expect(f).toMatchObject({ owner: 'run-1', name: 'hi.txt', type: 'text/plain', size: 11, url: `/api/files/${f.id}` });
    expect(f.sha256).toBe('b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9');
    expect(await s.get(f.id)).toEqual(f);
    const opened = await s.open(f.id);
    let text = '';
    for await (const c of opened!.stream) text += c;
    expect(text).toBe('hello world');
    expect(statSync(join(s.dir, 'run-1')).mode & 0o777).toBe(0o700);
    expect(await s.list('run-1')).toEqual([f]);
  });

  it('refuses over maxBytes and keeps nothing; refuses owners that are paths', async () => {
    const s = store();
    await expect(s.put(Buffer.alloc(11), { owner: 'r', name: 'x', type: 'a/b', maxBytes: 10 })).rejects.toBeInstanceOf(FileTooLargeError);
    expect(readdirSync(join(s.dir, 'r'))).toEqual([]);
    await expect(s.put(Buffer.alloc(1), { owner: '../etc', name: 'x', type: 'a/b' })).rejects.toThrow(/invalid file owner/);
    expect(await s.get('../x.00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('prunes owners that no longer exist once past the grace, on the runtime clock; keeps the rest', async () => {
    let now = Date.parse('2026-03-02T09:00:00Z');
    const s = store(() => now);
    await s.put(Buffer.from('a'), { owner: 'gone', name: 'a', type: 'a/b' });
    await s.put(Buffer.from('b'), { owner: 'kept', name: 'b', type: 'a/b' });
    mkdirSync(join(s.dir, 'crashed')); // a directory a crash left before any description
    writeFileSync(join(s.dir, 'crashed', 'x.part'), 'partial');
    const keep = async (o: string) => o === 'kept';
    expect(await s.prune(keep, { nowMs: now, graceMs: 3_600_000 })).toBe(0); // too young
    now += 3_600_001;
    expect(await s.prune(keep, { nowMs: now, graceMs: 3_600_000 })).toBe(1); // 'gone'; 'crashed' is young on the wall clock
    expect(readdirSync(s.dir).sort()).toEqual(['crashed', 'kept']);
    expect(await s.prune(keep, { nowMs: now, graceMs: 0 })).toBe(1);
    expect(readdirSync(s.dir)).toEqual(['kept']);
    expect(await s.removeOwner('kept')).toBe(1);
    expect(readdirSync(s.dir)).toEqual([]);
  });

  it('file names lose paths, quotes and control characters; downloads carry an ASCII and a UTF-8 name', () => {
    expect(cleanFileName('..\\..\\Windows\\a.txt')).toBe('a.txt');
    expect(cleanFileName('x"\u0000\n.pdf')).toBe('x.pdf');
    expect(cleanFileName('..')).toBe('file');
    expect(cleanFileName(undefined)).toBe('file');
    expect(attachmentHeader('Résumé (1).pdf')).toBe(`attachment; filename="R_sum_ (1).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%281%29.pdf`);
  });
});
