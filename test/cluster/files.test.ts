// Files that come with events, with two instances on one PostgreSQL database: a form's upload taken by
// one instance is downloaded through the other (the files live in the database, not in the data dir of
// whichever instance took the event); a refused upload leaves nothing there; a file an earlier release
// kept in the data dir's folder is still served after the upgrade; FLOWDESK_FILES_DIR keeps them in a
// shared folder instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createFileStore } from '../../apps/runtime/src/files/file-store.ts';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { hookFlow, send } from '../inbound/support.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { flowsDirWithDocs, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const apply = hookFlow('apply', {
  payloadSchema: { type: 'object', required: ['email'], properties: { email: { type: 'string' }, cv: { type: 'object' } } },
  files: { maxBytes: 2000, maxFiles: 1, types: ['application/pdf', 'text/*'] },
});
const upload = (email: string, content: string, type = 'application/pdf') => {
  const fd = new FormData();
  fd.append('email', email);
  fd.append('cv', new Blob([content], { type }), 'cv.pdf');
  return fd;
};

let pgServer: PostgresInstance;
let url: string;
let a: TestRuntime;
let b: TestRuntime;
beforeAll(async () => {
  pgServer = await startPostgres();
  url = (await createDatabase(pgServer)).url;
  a = await startTestRuntime({ databaseUrl: url, flowsDir: flowsDirWithDocs([apply]) });
  b = await startTestRuntime({ databaseUrl: url, flowsDir: flowsDirWithDocs([apply]) });
}, 120_000);
afterAll(async () => {
  await a?.dispose();
  await b?.dispose();
  await pgServer?.stop();
});

const fileRows = async (): Promise<number> => {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM files')).rows[0]!.n);
  } finally {
    await c.end();
  }
};

describe('files with two instances on PostgreSQL', { timeout: 60_000 }, () => {
  it('an upload taken by A is downloaded through B, byte for byte; nothing of it is in either data dir', async () => {
    const content = '%PDF-1.7 a signed proposal';
    const res = await send(a, '/hooks/apply', upload('ivy@example.com', content));
    expect(res.status, res.text).toBe(202);
    const run = (await b.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.payload.cv).toMatchObject({ name: 'cv.pdf', size: content.length });
    const dl = await fetch(b.url + run.payload.cv.url);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-disposition')).toMatch(/^attachment; filename="cv.pdf"/);
    expect(await dl.text()).toBe(content);
    for (const rt of [a, b]) expect(existsSync(join(rt.dataDir, 'files')) ? readdirSync(join(rt.dataDir, 'files')) : []).toEqual([]);
  });

  it('an upload refused (over its size limit, a type not allowed) leaves no file in the database', async () => {
    const before = await fileRows();
    expect((await send(a, '/hooks/apply', upload('big@example.com', 'x'.repeat(2001)))).status).toBe(413);
    expect((await send(b, '/hooks/apply', upload('html@example.com', '<html></html>', 'image/svg+xml'))).status).toBe(415);
    expect(await fileRows()).toBe(before);
  });

  it('a file an earlier release kept in the data dir is still served after the upgrade', async () => {
    // what the previous release wrote on PostgreSQL: the folder store under <data dir>/files
    const legacy = createFileStore({ dir: join(b.dataDir, 'files'), fsync: false, now: () => b.clock.now() });
    const old = await legacy.put(Buffer.from('kept from before'), { owner: 'old-run', name: 'old.txt', type: 'text/plain' });
    const dl = await fetch(b.url + old.url);
    expect(dl.status).toBe(200);
    expect(await dl.text()).toBe('kept from before');
    expect((await fetch(`${b.url}/api/files/old-run.00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });

  it('with FLOWDESK_FILES_DIR, files go to that shared folder and are served from it', async () => {
    const shared = tempDir('flowdesk-shared-files-');
    const c = await startTestRuntime({ databaseUrl: url, flowsDir: flowsDirWithDocs([apply]), env: { FLOWDESK_FILES_DIR: shared } });
    try {
      const before = await fileRows();
      const res = await send(c, '/hooks/apply', upload('sam@example.com', '%PDF shared'));
      expect(res.status, res.text).toBe(202);
      expect(readdirSync(shared)).toEqual([res.body.runId]);
      expect(await fileRows()).toBe(before);
      const run = (await c.get(`/api/runs/${res.body.runId}`)).body;
      expect(await (await fetch(c.url + run.payload.cv.url)).text()).toBe('%PDF shared');
    } finally {
      await c.dispose();
    }
  });
});
