// The contract every file store meets (the folder of the embedded store, PostgreSQL's tables), run
// against each: file-store.test.ts and store/postgres/files.test.ts.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTooLargeError, type FileStore } from './file-store.ts';

export interface FileStoreUnderTest {
  store: FileStore;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-03-02T09:00:00Z');

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

export function fileStoreContract(name: string, make: (now: () => number) => Promise<FileStoreUnderTest>): void {
  describe(`file store contract: ${name}`, () => {
    const open: FileStoreUnderTest[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.cleanup();
    });
    const start = async (now: () => number = () => T0) => {
      const s = await make(now);
      open.push(s);
      return s.store;
    };

    it('stores a stream with its description; reads it back by id, as a description and as bytes', async () => {
      const s = await start();
      const f = await s.put(Readable.from([Buffer.from('hello '), Buffer.from('world')]), { owner: 'run-1', name: 'a/b/hi.txt', type: 'text/plain' });
      expect(f).toMatchObject({ owner: 'run-1', name: 'hi.txt', type: 'text/plain', size: 11, url: `/api/files/${f.id}`, createdAt: new Date(T0).toISOString() });
      expect(f.sha256).toBe('b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9');
      expect(await s.get(f.id)).toEqual(f);
      const opened = await s.open(f.id);
      expect(opened!.file).toEqual(f);
      expect((await bytesOf(opened!.stream)).toString()).toBe('hello world');
      expect(await s.list('run-1')).toEqual([f]);
      expect(await s.list('run-2')).toEqual([]);
      const other = await s.put(Buffer.from('x'), { owner: 'run-0', name: 'x', type: 'text/plain' });
      expect(await s.owners()).toEqual(['run-0', 'run-1']);
      expect(await s.removeOwner(other.owner)).toBe(1);
      expect(await s.owners()).toEqual(['run-1']);
    });

    it('a file of several megabytes and an empty one come back byte for byte', async () => {
      const s = await start();
      const big = randomBytes(2.5 * 1024 * 1024 + 7);
      const pieces = Array.from({ length: Math.ceil(big.length / 65_536) }, (_, i) => big.subarray(i * 65_536, (i + 1) * 65_536));
      const f = await s.put(Readable.from(pieces), { owner: 'run-big', name: 'scan.pdf', type: 'application/pdf' });
      expect(f.size).toBe(big.length);
      expect(f.sha256).toBe(createHash('sha256').update(big).digest('hex'));
      expect((await bytesOf((await s.open(f.id))!.stream)).equals(big)).toBe(true);
      const empty = await s.put(Buffer.alloc(0), { owner: 'run-big', name: 'empty.txt', type: 'text/plain' });
      expect(empty.size).toBe(0);
      expect((await bytesOf((await s.open(empty.id))!.stream)).length).toBe(0);
      expect((await s.list('run-big')).map((x) => x.id).sort()).toEqual([f.id, empty.id].sort());
    });

    it('refuses over maxBytes, and a stream that breaks, keeping nothing of either', async () => {
      const s = await start();
      await expect(s.put(Buffer.alloc(11), { owner: 'r', name: 'x', type: 'a/b', maxBytes: 10 })).rejects.toBeInstanceOf(FileTooLargeError);
      // a first part arrives, then the connection drops
      let reads = 0;
      const broken = new Readable({
        read() {
          if (reads++ === 0) this.push(Buffer.alloc(2048, 1));
          else this.destroy(new Error('connection reset'));
        },
      });
      await expect(s.put(broken, { owner: 'r', name: 'y', type: 'a/b' })).rejects.toThrow(/connection reset/);
      expect(await s.list('r')).toEqual([]);
      expect(await s.owners()).toEqual([]);
      expect(await s.removeOwner('r')).toBe(0);
    });

    it('refuses owners that are paths; unknown and malformed ids are not found', async () => {
      const s = await start();
      await expect(s.put(Buffer.alloc(1), { owner: '../etc', name: 'x', type: 'a/b' })).rejects.toThrow(/invalid file owner/);
      expect(await s.get('../x.00000000-0000-0000-0000-000000000000')).toBeUndefined();
      expect(await s.get('run-1.00000000-0000-0000-0000-000000000000')).toBeUndefined();
      expect(await s.open('run-1.00000000-0000-0000-0000-000000000000')).toBeUndefined();
      expect(await s.get('not an id')).toBeUndefined();
    });

    it('prunes owners that no longer exist once past the grace, on the runtime clock; keeps the rest', async () => {
      let now = T0;
      const s = await start(() => now);
      const gone = await s.put(Buffer.from('a'), { owner: 'gone', name: 'a', type: 'a/b' });
      const kept = await s.put(Buffer.from('b'), { owner: 'kept', name: 'b', type: 'a/b' });
      const keep = async (o: string) => o === 'kept';
      expect(await s.prune(keep, { nowMs: now, graceMs: 3_600_000 })).toBe(0); // too young
      now += 3_600_000;
      expect(await s.prune(keep, { nowMs: now, graceMs: 3_600_000 })).toBe(1);
      expect(await s.get(gone.id)).toBeUndefined();
      expect(await s.get(kept.id)).toEqual(kept);
      expect(await s.removeOwner('kept')).toBe(1);
      expect(await s.get(kept.id)).toBeUndefined();
      expect(await s.list('kept')).toEqual([]);
    });
  });
}
