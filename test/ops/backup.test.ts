// `npm run backup` / `npm run restore` (issue 18 item 6), over the real CLIs and a real runtime process:
// a backup taken while a client streams events over HTTP, restored into a new data dir where a runtime
// starts holding every run acknowledged before the backup began, with its dedupe claim (the same event
// again answers duplicate with the same run); and each refusal with its message.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { flowsDirWithDocs, REPO, tempDir } from '../support/runtime.ts';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';

const dirs: string[] = [];
const children: ChildRuntime[] = [];
afterAll(async () => {
  for (const c of children) await c.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const dir = (prefix: string) => {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
};

/** Runs `npm run backup|restore -- …` as npm would (node + tsx), without npm's own start-up cost. */
function cli(which: 'backup' | 'restore', args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(REPO, `apps/runtime/src/cli/${which}.ts`), ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('exit', (code) => ok({ code, out, err }));
  });
}

const ORDER_FLOW = {
  dsl: 1,
  id: 'orders',
  name: 'Orders',
  trigger: { type: 'webhook', path: 'order', auth: { type: 'none' }, payloadSchema: { type: 'object', required: ['id'] }, idempotencyKey: { var: 'payload.id' } },
  nodes: [
    { id: 'score', type: 'compute', set: { big: { '>': [{ var: 'payload.amount' }, 100] } } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'score' },
    { from: 'score', to: 'end' },
  ],
};

const post = (url: string, body: unknown) =>
  fetch(`${url}/hooks/order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('backup and restore of the embedded store', () => {
  let backupDir = '';
  let dataDir = '';
  let flowsDir = '';

  it('a backup taken while events stream in restores into a runtime holding every run acknowledged before it began, with its dedupe claim', { timeout: 240_000 }, async () => {
    dataDir = dir('flowdesk-live-');
    flowsDir = flowsDirWithDocs([ORDER_FLOW]);
    dirs.push(flowsDir);
    // what a founder's data dir holds besides the store: the master key (made at first start, 0600) and an uploaded file
    mkdirSync(join(dataDir, 'files', 'form-x'), { recursive: true });
    writeFileSync(join(dataDir, 'files', 'form-x', 'a.bin'), Buffer.alloc(3000, 7));

    const live = await startChildRuntime({ FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_FSYNC: '1' });
    children.push(live);
    const masterKey = readFileSync(join(dataDir, 'master.key'));

    const acked: { id: string; runId: string; at: number }[] = [];
    let n = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const id = `o${n++}`;
        const res = await post(live.url, { id, amount: n % 300 });
        if (res.status !== 202) throw new Error(`event ${id}: ${res.status} ${await res.text()}`);
        const { runId } = (await res.json()) as { runId: string };
        acked.push({ id, runId, at: performance.now() });
      }
    };
    const workers = Array.from({ length: 6 }, () => worker());
    while (acked.length < 300) await new Promise((r) => setTimeout(r, 20));

    backupDir = join(dir('flowdesk-backups-'), 'nightly');
    const began = performance.now();
    const backup = await cli('backup', [backupDir, '--data', dataDir]);
    const ended = performance.now();
    // the stream goes on a little after the backup, then stops
    const countAtEnd = acked.length;
    while (acked.length < countAtEnd + 50) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await Promise.all(workers);

    expect(backup.code, backup.err).toBe(0);
    expect(backup.err).toMatch(/a runtime \(pid \d+\) holds/);
    expect(backup.out).toMatch(/backed up .* files, \d+ bytes/);
    const before = acked.filter((a) => a.at < began);
    const during = acked.filter((a) => a.at >= began && a.at < ended);
    expect(before.length).toBeGreaterThanOrEqual(300);
    // events were acknowledged while the copy ran: the runtime was not stopped or blocked
    expect(during.length).toBeGreaterThan(0);

    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as { files: { path: string; mode: number }[]; runtimePid: number };
    expect(manifest.runtimePid).toBe(live.proc.pid);
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toContain('master.key');
    expect(paths).toContain('files/form-x/a.bin');
    expect(paths).toContain('checkpoint-a.json');
    expect(paths.some((p) => p.startsWith('journal/runs-'))).toBe(true);
    expect(paths).not.toContain('flowdesk.lock');
    expect(paths).not.toContain('flowdesk.control');
    expect(manifest.files.find((f) => f.path === 'master.key')?.mode).toBe(0o600);
    await live.kill('SIGTERM');

    const restored = join(dir('flowdesk-restored-parent-'), 'data');
    const restore = await cli('restore', [backupDir, '--data', restored]);
    expect(restore.code, restore.err).toBe(0);
    expect(restore.out).toMatch(/every checksum verified/);
    expect(statSync(join(restored, 'master.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(restored, 'master.key'))).toEqual(masterKey);
    expect(readFileSync(join(restored, 'files', 'form-x', 'a.bin'))).toEqual(Buffer.alloc(3000, 7));

    const back = await startChildRuntime({ FLOWDESK_DATA_DIR: restored, FLOWDESK_FLOWS_DIR: flowsDir, FLOWDESK_FSYNC: '1' });
    children.push(back);
    let missing = 0;
    let notDuplicate = 0;
    for (let i = 0; i < before.length; i += 20) {
      await Promise.all(
        before.slice(i, i + 20).map(async (a) => {
          const run = await fetch(`${back.url}/api/runs/${a.runId}`);
          if (run.status !== 200) missing++;
          const again = await post(back.url, { id: a.id, amount: 1 });
          const body = (await again.json()) as { runId?: string; duplicate?: boolean };
          if (again.status !== 200 || body.duplicate !== true || body.runId !== a.runId) notDuplicate++;
        }),
      );
    }
    expect({ missing, notDuplicate }).toEqual({ missing: 0, notDuplicate: 0 });
    // the restored runtime takes new events
    const fresh = await post(back.url, { id: 'after-restore', amount: 5 });
    expect(fresh.status).toBe(202);
    await back.kill('SIGTERM');
  });

  it('with no runtime on the data dir, the backup opens the store itself', { timeout: 60_000 }, async () => {
    const target = join(dir('flowdesk-backups-'), 'offline');
    const r = await cli('backup', [target, '--data', dataDir]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/no runtime holds/);
    const restored = join(dir('flowdesk-restored-parent-'), 'data');
    expect((await cli('restore', [target, '--data', restored])).code).toBe(0);
    const count = async (d: string) => {
      const s = createLowdbStore({ dataDir: d, fsync: false, log: { warn: () => {} } });
      await s.open();
      try {
        return await s.countRuns();
      } finally {
        await s.close();
      }
    };
    expect(await count(restored)).toBe(await count(dataDir));
  });

  it('refuses a non-empty data dir, leaving it as it was', { timeout: 60_000 }, async () => {
    const target = dir('flowdesk-busy-');
    writeFileSync(join(target, 'notes.txt'), 'mine');
    const r = await cli('restore', [backupDir, '--data', target]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`restore failed: ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not empty \\(1 entry: notes.txt\\)`));
    expect(readdirSync(target)).toEqual(['notes.txt']);
  });

  it('refuses a backup whose manifest is corrupt or whose file does not match its checksum, writing nothing', { timeout: 60_000 }, async () => {
    const copy = (name: string) => {
      const d = join(dir('flowdesk-bad-backup-'), name);
      cpSync(backupDir, d, { recursive: true });
      return d;
    };
    // a manifest edited by hand: its own checksum no longer matches
    const edited = copy('edited');
    const m = JSON.parse(readFileSync(join(edited, 'manifest.json'), 'utf8')) as { createdAt: string };
    m.createdAt = '2020-01-01T00:00:00.000Z';
    writeFileSync(join(edited, 'manifest.json'), JSON.stringify(m));
    // a manifest that is not JSON (a torn write)
    const torn = copy('torn');
    writeFileSync(join(torn, 'manifest.json'), readFileSync(join(torn, 'manifest.json'), 'utf8').slice(0, 100));
    // one byte of the runs journal flipped (bit rot on the backup disk)
    const rotten = copy('rotten');
    const runsFile = readdirSync(join(rotten, 'data', 'journal')).find((f) => f.startsWith('runs-'))!;
    const buf = readFileSync(join(rotten, 'data', 'journal', runsFile));
    buf[Math.floor(buf.length / 2)] ^= 0x20;
    writeFileSync(join(rotten, 'data', 'journal', runsFile), buf);
    // a file the manifest lists is gone
    const partial = copy('partial');
    rmSync(join(partial, 'data', 'master.key'));
    // an interrupted backup (no manifest at all)
    const unfinished = copy('unfinished');
    rmSync(join(unfinished, 'manifest.json'));

    const cases: [string, RegExp][] = [
      [edited, /manifest\.json is corrupt: its checksum does not match its content/],
      [torn, /manifest\.json is corrupt: not valid JSON/],
      [rotten, new RegExp(`the backup is damaged: journal/${runsFile.replace('.', '\\.')} does not match the manifest`)],
      [partial, /the backup is incomplete: master\.key is listed in the manifest but missing/],
      [unfinished, /is not a complete Flowdesk backup: it has no manifest\.json/],
    ];
    for (const [source, message] of cases) {
      const parent = dir('flowdesk-target-');
      const target = join(parent, 'data');
      const r = await cli('restore', [source, '--data', target]);
      expect(r.code, source).toBe(1);
      expect(r.err).toMatch(message);
      // nothing written: no target, no staging folder left beside it
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(parent)).toEqual([]);
    }
  });

  it('refuses a missing backup dir, a missing data dir, a non-empty backup dir, and says pg_dump on PostgreSQL', { timeout: 60_000 }, async () => {
    const nowhere = join(dir('flowdesk-nothing-'), 'absent');
    const missingBackup = await cli('restore', [nowhere, '--data', join(dir('flowdesk-t-'), 'data')]);
    expect(missingBackup.code).toBe(1);
    expect(missingBackup.err).toMatch(/there is no backup at .*absent: the directory does not exist/);

    const missingData = await cli('backup', [join(dir('flowdesk-b-'), 'x'), '--data', nowhere]);
    expect(missingData.code).toBe(1);
    expect(missingData.err).toMatch(/there is no data dir at .*absent/);

    const busy = dir('flowdesk-busy-backup-');
    writeFileSync(join(busy, 'old.tar'), 'x');
    const busyBackup = await cli('backup', [busy, '--data', dataDir]);
    expect(busyBackup.code).toBe(1);
    expect(busyBackup.err).toMatch(/is not empty \(1 entry: old\.tar\): the backup directory must be a new or empty directory/);
    expect(readdirSync(busy)).toEqual(['old.tar']);

    const inside = await cli('backup', [join(dataDir, 'backups'), '--data', dataDir]);
    expect(inside.code).toBe(1);
    expect(inside.err).toMatch(/is inside the data dir/);

    const noArgs = await cli('backup', []);
    expect(noArgs.code).toBe(1);
    expect(noArgs.err).toMatch(/the backup dir is missing\nusage: npm run backup/);

    const pg = await cli('backup', [join(dir('flowdesk-b-'), 'x')], { FLOWDESK_DATABASE_URL: 'postgres://u@127.0.0.1:1/db' });
    expect(pg.code).toBe(2);
    expect(pg.err).toMatch(/pg_dump --format=custom/);
    const pgRestore = await cli('restore', [backupDir], { FLOWDESK_DATABASE_URL: 'postgres://u@127.0.0.1:1/db' });
    expect(pgRestore.code).toBe(2);
    expect(pgRestore.err).toMatch(/pg_restore/);
  });
});
