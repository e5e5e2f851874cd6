// `npm run migrate -- --to postgres`: a small lowdb data dir copied into PostgreSQL and read back.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresInstance } from '../../../../../test/support/postgres.ts';
import { parseArgs, runMigrate } from '../../cli/migrate.ts';
import { createStore } from '../index.ts';
import { createFileStore } from '../../files/file-store.ts';
import { at, makeRun } from '../store.contract.ts';
import { expectSameStores, fill } from './fixtures.ts';
import { pgHarness, type PgHarness } from './harness.ts';
import { createPostgresStore } from './index.ts';

const run = promisify(execFile);
const root = new URL('../../../../../', import.meta.url).pathname;

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe('npm run migrate -- --to postgres', () => {
  let h: PgHarness | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await h?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
    h = undefined;
    dir = undefined;
  });

  async function lowdbDir() {
    dir = mkdtempSync(join(tmpdir(), 'flowdesk-migrate-'));
    const src = await createStore({ dataDir: dir, fsync: false });
    const made = await fill(src);
    await src.close();
    return { dataDir: dir, ...made };
  }

  it('copies a lowdb data dir; everything reads back from PostgreSQL', async () => {
    const { dataDir, open, doneRun } = await lowdbDir();
    // an empty database, not yet migrated: the CLI creates the schema
    h = await pgHarness(server);
    await h.store.close();
    const lines: string[] = [];
    const counts = await runMigrate(['--to', 'postgres', '--from', dataDir, '--url', h.url], (l) => lines.push(l), {});
    expect(counts).toMatchObject({ flowIds: 2, flows: 4, runs: 3, openRuns: 1, records: 2, timers: 2, rejected: 1 });
    const printed = lines.join('\n');
    expect(printed).toMatch(/flows\s+2 \(4 versions\)/);
    expect(printed).toMatch(/runs\s+3 \(1 open\)/);
    expect(printed).toMatch(/dead letters\s+1/);

    const src = await createStore({ dataDir, fsync: false });
    const pgs = createPostgresStore({ url: h.url });
    await pgs.open();
    try {
      await expectSameStores(src, pgs);
      expect((await pgs.getRecord('account', 'ada'))?.history.map((t) => t.to)).toEqual(['captured', 'qualified']);
      expect((await pgs.listFlowVersions('lead')).map((f) => [f.version, f.active])).toEqual([
        [1, true],
        [2, true],
        [3, false],
      ]);
      // the open run's claim still answers duplicates (it is well within its window)
      const dup = await pgs.createRun(makeRun(40, { idempotencyKey: 'ada' }), { flowId: 'f1', key: 'ada', now: at(40), expiresAt: at(140) });
      expect(dup.duplicate).toBe(true);
      expect(dup.run).toEqual(open);
      expect(await pgs.getRun(doneRun.id)).toEqual(doneRun);
    } finally {
      await pgs.close();
      await src.close();
    }
  });

  it("copies the files of the copied runs into the database under their own ids; an orphan's are left", async () => {
    const { dataDir, open } = await lowdbDir();
    const folder = createFileStore({ dir: join(dataDir, 'files'), fsync: false, now: () => Date.parse(at(5)) });
    const cv = await folder.put(Buffer.from('%PDF the cv'), { owner: open.id, name: 'cv.pdf', type: 'application/pdf' });
    await folder.put(Buffer.from('nobody'), { owner: 'no-such-run', name: 'x.txt', type: 'text/plain' });
    h = await pgHarness(server);
    const lines: string[] = [];
    const counts = await runMigrate(['--to', 'postgres', '--from', dataDir, '--url', h.url], (l) => lines.push(l), {});
    expect(counts.files).toBe(1);
    expect(lines.join('\n')).toMatch(/files\s+1/);
    const files = h.store.fileStore(() => Date.now());
    expect(await files.get(cv.id)).toEqual(cv);
    let text = '';
    for await (const c of (await files.open(cv.id))!.stream) text += String(c);
    expect(text).toBe('%PDF the cv');
    expect(await files.owners()).toEqual([open.id]);
  });

  it('as a command: FLOWDESK_DATABASE_URL as the default url, counts printed; a non-empty target is refused without --force', async () => {
    const { dataDir } = await lowdbDir();
    h = await pgHarness(server);
    const env = { ...process.env, FLOWDESK_DATABASE_URL: h.url };
    const cmd = ['--import', 'tsx', join(root, 'apps/runtime/src/cli/migrate.ts'), '--to', 'postgres', '--from', dataDir];
    const first = await run(process.execPath, cmd, { cwd: root, env });
    expect(first.stdout).toMatch(/runs\s+3 \(1 open\)/);
    expect(await h.store.countRuns()).toBe(3);
    const again = await run(process.execPath, cmd, { cwd: root, env }).catch((e: { code: number; stderr: string }) => e);
    expect((again as { code: number }).code).toBe(1);
    expect((again as { stderr: string }).stderr).toMatch(/already holds Flowdesk data; pass --force/);
    const forced = await run(process.execPath, [...cmd, '--force'], { cwd: root, env });
    expect(forced.stdout).toMatch(/records\s+2/);
    expect(await h.store.countRuns()).toBe(3);
  });

  it('argument errors', () => {
    expect(() => parseArgs(['--to', 'mysql', '--url', 'x'], {})).toThrow(/--to postgres/);
    expect(() => parseArgs(['--to', 'postgres'], {})).toThrow(/FLOWDESK_DATABASE_URL/);
    expect(() => parseArgs(['--to', 'postgres', '--bogus'], {})).toThrow(/unknown argument/);
    expect(parseArgs(['--to=postgres', '--runs', 'open'], { FLOWDESK_DATABASE_URL: 'postgres://x/y', FLOWDESK_DATA_DIR: '/d' })).toEqual({
      to: 'postgres',
      from: '/d',
      url: 'postgres://x/y',
      runs: 'open',
      force: false,
    });
  });
});
