// PostgreSQL's file store meets the same contract as the embedded store's folder, and a file put through
// one instance is read through another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { fileStoreContract } from '../../files/file-store.contract.ts';
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
});
