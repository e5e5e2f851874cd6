// The README's backup for PostgreSQL, as written there: `pg_dump --format=custom` of the live database
// while webhooks stream in, `pg_restore --dbname=<empty db>`, and a runtime started on the restored
// database — it holds every run acknowledged before the dump began and each event's dedupe claim
// (re-sent, it is still a duplicate). Files that came with events are rows too (test/cluster/files.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rmSync } from 'node:fs';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { findPostgresBin, startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const exec = promisify(execFile);
let pgServer: PostgresInstance | undefined;
const runtimes: TestRuntime[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.dispose().catch(() => {});
  await pgServer?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flow = {
  dsl: 1,
  id: 'leads',
  name: 'Leads',
  trigger: { type: 'webhook', path: 'leads', auth: { type: 'none' }, idempotencyKey: { var: 'payload.email' }, dedupeWindow: '30d' },
  nodes: [{ id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'end' }],
};

describe('PostgreSQL backup with pg_dump / pg_restore, as the README says', () => {
  it('a dump taken while events stream in restores into an empty database that holds every run acknowledged before it began, with its dedupe claim', { timeout: 120_000 }, async () => {
    pgServer = await startPostgres();
    const live = await createDatabase(pgServer);
    const rt = await startTestRuntime({ databaseUrl: live.url });
    runtimes.push(rt);
    expect((await rt.put('/api/flows/leads', flow)).status).toBe(200);
    const before: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await rt.post('/hooks/leads', { email: `before${i}@example.com` });
      expect(res.status).toBe(202);
      before.push(res.body.runId as string);
    }

    // events keep arriving while the dump runs
    let streaming = true;
    let during = 0;
    const stream = (async () => {
      for (let i = 0; streaming; i++) if ((await rt.post('/hooks/leads', { email: `during${i}@example.com` })).status === 202) during++;
    })();
    const dir = tempDir('flowdesk-pgdump-');
    dirs.push(dir);
    const bin = findPostgresBin()!;
    const dump = join(dir, 'flowdesk.dump');
    try {
      await exec(join(bin, 'pg_dump'), ['--format=custom', `--file=${dump}`, live.url]);
    } finally {
      streaming = false;
      await stream;
    }
    expect(during).toBeGreaterThan(0);

    const restored = await createDatabase(pgServer);
    await exec(join(bin, 'pg_restore'), [`--dbname=${restored.url}`, dump]);
    await rt.dispose();
    runtimes.pop();

    const back = await startTestRuntime({ databaseUrl: restored.url });
    runtimes.push(back);
    for (const id of before) expect((await back.get(`/api/runs/${id}`)).status).toBe(200);
    expect((await back.get('/api/flows/leads')).status).toBe(200);
    // an event acknowledged before the dump, sent again: still a duplicate of its first run
    const again = await back.post('/hooks/leads', { email: 'before7@example.com' });
    expect(again.status).toBe(200);
    expect(again.body.runId).toBe(before[7]);
    expect(again.body.duplicate).toBe(true);
    // and a new one is taken
    expect((await back.post('/hooks/leads', { email: 'after@example.com' })).status).toBe(202);
  });
});
