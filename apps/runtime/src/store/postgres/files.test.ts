// PostgreSQL's file store meets the same contract as the embedded store's folder, and a file put through
// one instance is read through another.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { fileStoreContract } from '../../files/file-store.contract.ts';
import { FILE_CHUNK_BYTES } from './files.ts';
import { pgHarness } from './harness.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

fileStoreContract('PostgreSQL', async (now) => {
  const h = await pgHarness(server);
  return { store: h.store.fileStore(now), cleanup: () => h.cleanup() };
});

describe('files on PostgreSQL, several instances', () => {
  it('a file put through one store instance is described, listed, read and removed through another', async () => {
    const h = await pgHarness(server);
    try {
      const a = h.store.fileStore(() => Date.parse('2026-03-02T09:00:00Z'));
      const b = (await h.another()).fileStore(() => Date.parse('2026-03-02T09:00:00Z'));
      const f = await a.put(Buffer.from('signed contract'), { owner: 'run-9', name: 'contract.pdf', type: 'application/pdf' });
      expect(await b.get(f.id)).toEqual(f);
      expect(await b.list('run-9')).toEqual([f]);
      let text = '';
      for await (const c of (await b.open(f.id))!.stream) text += String(c);
      expect(text).toBe('signed contract');
      expect(await b.removeOwner('run-9')).toBe(1);
      expect(await a.get(f.id)).toBeUndefined();
    } finally {
      await h.cleanup();
    }
  });

  it('a file handed over as one large Buffer (an e-mail attachment) is kept in rows of at most one chunk each', async () => {
    const h = await pgHarness(server);
    const db = new pg.Client({ connectionString: h.url });
    try {
      const store = h.store.fileStore(() => Date.parse('2026-03-02T09:00:00Z'));
      const bytes = Buffer.alloc(Math.floor(2.5 * FILE_CHUNK_BYTES));
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) % 251;
      const f = await store.put(bytes, { owner: 'run-3', name: 'scan.tiff', type: 'image/tiff' });
      await db.connect();
      const { rows } = await db.query<{ seq: number; size: number }>('SELECT seq, octet_length(data) AS size FROM file_chunks WHERE file_id = $1 ORDER BY seq', [f.id]);
      expect(rows).toEqual([
        { seq: 0, size: FILE_CHUNK_BYTES },
        { seq: 1, size: FILE_CHUNK_BYTES },
        { seq: 2, size: bytes.length - 2 * FILE_CHUNK_BYTES },
      ]);
      const back: Buffer[] = [];
      for await (const c of (await store.open(f.id))!.stream) back.push(c as Buffer);
      expect(Buffer.concat(back).equals(bytes)).toBe(true);
    } finally {
      await db.end().catch(() => {});
      await h.cleanup();
    }
  });
});
