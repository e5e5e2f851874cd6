// The store side of online backups: a freeze holds compaction (nothing below the frozen lengths changes
// while writes go on) and lets it run again on release; the lock's control line refuses a caller
// without the data dir's token.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { existsSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLowdbStore, type LowdbStore } from './index.ts';
import { CONTROL_FILE, lockSocketName } from './lock.ts';
import { takeBackup, readManifest } from './backup.ts';

const dirs: string[] = [];
const stores: LowdbStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'flowdesk-freeze-'));
  dirs.push(d);
  return d;
};
const quiet = { warn: () => {}, info: () => {} };

/** sha256 of the first `bytes` of a file (all of it when undefined). */
const prefixHash = (file: string, bytes?: number) => createHash('sha256').update(readFileSync(file).subarray(0, bytes)).digest('hex');

async function writeLots(s: LowdbStore, tag: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await Promise.all([
      s.putTimer({ id: 'sla:one', kind: 'sla', dueAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), data: { tag, pad: 'x'.repeat(200) } }),
      s.putDoc('tasks', { id: 'task-1', tag, i, pad: 'y'.repeat(300) }),
    ]);
  }
}

describe('freeze', () => {
  it('holds compaction while frozen (no frozen byte changes, writes go on) and lets it run on release', async () => {
    const d = dir();
    const s = createLowdbStore({ dataDir: d, fsync: false, log: quiet, compactBytes: 4096 });
    stores.push(s);
    await s.open();
    await writeLots(s, 'before', 5);
    await s.idle();
    const frozen = await s.freeze();
    const rewritesAtFreeze = s.stats().rewrites;
    const hashes = frozen.files.map((f) => ({ ...f, hash: prefixHash(join(d, f.rel), f.bytes) }));
    expect(frozen.files.some((f) => f.rel === 'db/timers.json' && f.bytes === undefined)).toBe(true);
    expect(frozen.files.some((f) => f.rel.startsWith('journal/tasks-') && (f.bytes ?? 0) > 0)).toBe(true);

    // enough superseded versions for both the timers collection and the tasks journal to compact
    await writeLots(s, 'during', 120);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.stats().rewrites).toBe(rewritesAtFreeze);
    for (const h of hashes) {
      expect(existsSync(join(d, h.rel)), h.rel).toBe(true);
      expect(prefixHash(join(d, h.rel), h.bytes), h.rel).toBe(h.hash);
    }

    frozen.release();
    await writeLots(s, 'after', 1);
    await s.idle();
    expect(s.stats().rewrites).toBeGreaterThan(rewritesAtFreeze);
    expect((await s.getTimer('sla:one'))?.data?.tag).toBe('after');
  });

  it('a backup of an open store in this process is a copy that opens with every write acknowledged before it', async () => {
    const d = dir();
    const s = createLowdbStore({ dataDir: d, fsync: true, log: quiet, compactBytes: 4096 });
    stores.push(s);
    await s.open();
    await writeLots(s, 'kept', 40);
    const target = join(dir(), 'b');
    // a write in flight while the backup starts: not acknowledged before it, so either outcome is fine
    const late = writeLots(s, 'late', 3);
    const r = await takeBackup({ dataDir: d, target });
    await late;
    expect(r.manifest.runtimePid).toBe(process.pid);
    expect((await readManifest(target)).files.length).toBe(r.manifest.files.length);
    const copy = createLowdbStore({ dataDir: join(target, 'data'), fsync: false, log: quiet });
    stores.push(copy);
    await copy.open();
    expect(['kept', 'late']).toContain((await copy.getTimer('sla:one'))?.data?.tag);
    expect((await copy.getDoc('tasks', 'task-1'))?.tag).toMatch(/^(kept|late)$/);
  });

  it('the control line refuses a wrong token and an unknown op, naming why', async () => {
    const d = dir();
    const s = createLowdbStore({ dataDir: d, fsync: false, log: quiet });
    stores.push(s);
    await s.open();
    const name = await lockSocketName(d);
    const ask = (req: unknown) =>
      new Promise<string[]>((ok) => {
        const sock = connect(name);
        let text = '';
        sock.on('data', (b: Buffer) => (text += b.toString()));
        sock.on('close', () => ok(text.trim().split('\n')));
        sock.write(`${JSON.stringify(req)}\n`);
      });
    const bad = await ask({ op: 'freeze', token: '0'.repeat(64) });
    expect(JSON.parse(bad[0]!)).toMatchObject({ app: 'flowdesk', pid: process.pid, control: true });
    expect(JSON.parse(bad[1]!)).toEqual({ error: `the token does not match ${CONTROL_FILE} in the data dir` });
    const token = readFileSync(join(d, CONTROL_FILE), 'utf8').trim();
    const unknown = await ask({ op: 'delete-everything', token });
    expect(JSON.parse(unknown[1]!)).toEqual({ error: 'unknown op "delete-everything" (known: freeze)' });
    expect(JSON.parse((await ask('not an object'))[1]!).error).toMatch(/token does not match/);
  });
});
