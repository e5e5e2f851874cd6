// Backups of an embedded data dir, taken while the runtime runs (`npm run backup`), and restores into
// an empty data dir (`npm run restore`). See ./README.md, "Backups".
//
// A backup is a crash-consistent cut: the store is frozen (compaction paused, no file below its durable
// length changes) and answers every file's durable length at one instant; the files are copied up to
// those lengths while appends go on past them, with a checkpoint claiming exactly what was copied. So
// every event acknowledged before the backup began is in it, with its dedupe claim. A running runtime
// is reached through its lock's socket (lock.ts), authenticated by the token in `flowdesk.control`;
// with no runtime on the data dir, the store is opened here. The other files of the data dir (the
// master key, secrets, uploaded files, the instance id) are copied as they are. `manifest.json`,
// written last, lists every file with its size and sha256, and carries a sha256 of itself.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { StoreLockedError } from '../types.ts';
import { CHECKPOINT_FILES } from './checkpoint.ts';
import { fsyncDir, writeAll } from './fsutil.ts';
import { CONTROL_FILE, lockSocketName, type HolderInfo } from './lock.ts';
import { createLowdbStore, type StoreFreeze } from './index.ts';

export const MANIFEST_FILE = 'manifest.json';
/** the data dir's files sit under this folder of a backup, beside the manifest */
export const BACKUP_DATA_DIR = 'data';
const FORMAT = 'flowdesk-backup';
const CHUNK = 1 << 20;

/** A backup or restore that cannot go on: the message says what and why, for the person running it. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface ManifestFile {
  /** relative to the backup's data folder, '/'-separated */
  path: string;
  bytes: number;
  sha256: string;
  /** permission bits (0600 for secrets and keys) */
  mode: number;
}

export interface Manifest {
  format: typeof FORMAT;
  version: 1;
  createdAt: string;
  store: 'embedded';
  /** the data dir it was taken from */
  source: string;
  /** the runtime that held the data dir while it was taken (null: none, the store was opened by the backup) */
  runtimePid: number | null;
  files: ManifestFile[];
  /** sha256 of this document's JSON without this field */
  sha256: string;
}

export interface BackupResult {
  dir: string;
  manifest: Manifest;
  bytes: number;
  /** how long compaction was paused, ms */
  frozenMs: number;
}

export interface RestoreResult {
  dataDir: string;
  files: number;
  bytes: number;
  manifest: Manifest;
}

const manifestHash = (m: Omit<Manifest, 'sha256'>): string => createHash('sha256').update(JSON.stringify(m)).digest('hex');

/** Files of a data dir that are not copied as they are: the store's (copied by the freeze), the lock, in-flight temporaries. */
function skipExtra(name: string): boolean {
  return (
    name === 'db' ||
    name === 'journal' ||
    name === 'flowdesk.lock' ||
    name === CONTROL_FILE ||
    (CHECKPOINT_FILES as readonly string[]).includes(name) ||
    name.endsWith('.tmp') ||
    name.endsWith('.part')
  );
}

/** An empty or absent directory: true if absent. Throws a BackupError for anything else. */
async function requireEmptyDir(dir: string, what: string): Promise<boolean> {
  let st;
  try {
    st = await stat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw new BackupError(`cannot use ${dir} as ${what}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new BackupError(`${dir} exists and is not a directory: ${what} must be a new or empty directory`);
  const entries = await readdir(dir);
  if (entries.length > 0) {
    const shown = entries.slice(0, 5).join(', ');
    throw new BackupError(`${dir} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}: ${shown}${entries.length > 5 ? ', …' : ''}): ${what} must be a new or empty directory, so nothing in it is overwritten or mixed in`);
  }
  return false;
}

/** Copies `src` to the new file `dst`, up to `limit` bytes (all of it when undefined), hashing what it writes. */
async function copyHashed(src: string, dst: string, limit: number | undefined, mode?: number): Promise<{ bytes: number; sha256: string; mode: number }> {
  const inp = await open(src, 'r');
  try {
    const st = await inp.stat();
    const want = limit ?? st.size;
    if (st.size < want) throw new BackupError(`${src} holds ${st.size} bytes, fewer than the ${want} it had acknowledged`);
    const fileMode = mode ?? st.mode & 0o777;
    const out = await open(dst, 'wx', fileMode);
    const hash = createHash('sha256');
    try {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(want, 1)));
      let pos = 0;
      while (pos < want) {
        const { bytesRead } = await inp.read(buf, 0, Math.min(buf.length, want - pos), pos);
        if (bytesRead <= 0) throw new BackupError(`${src} ended at byte ${pos} while ${want} were to be copied`);
        const part = buf.subarray(0, bytesRead);
        hash.update(part);
        await writeAll(out, part);
        pos += bytesRead;
      }
      await out.sync();
    } finally {
      await out.close();
    }
    await chmod(dst, fileMode);
    return { bytes: want, sha256: hash.digest('hex'), mode: fileMode };
  } finally {
    await inp.close();
  }
}

/** A freeze held by the runtime that owns the data dir, over its lock socket; undefined when no process holds it. */
async function freezeRemote(dataDir: string): Promise<(Omit<StoreFreeze, 'release'> & { pid: number; release(): void }) | undefined> {
  if (process.platform !== 'linux') return undefined;
  const name = await lockSocketName(dataDir);
  return new Promise((ok, fail) => {
    const sock = connect(name);
    let text = '';
    let info: HolderInfo | undefined;
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
    };
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') settle(() => ok(undefined));
      else settle(() => fail(new BackupError(`cannot reach the runtime holding ${dataDir}: ${e.message}`)));
    });
    sock.on('close', () => settle(() => fail(new BackupError(`the runtime holding ${dataDir} closed the connection before answering${text ? `: ${text.trim()}` : ''}`))));
    sock.on('data', (d: Buffer) => {
      text += d.toString();
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return settle(() => {
            sock.destroy();
            fail(new BackupError(`the process holding ${dataDir} does not answer as a Flowdesk runtime`));
          });
        }
        if (!info) {
          info = msg as unknown as HolderInfo;
          if (info.app !== 'flowdesk' || !info.control) {
            return settle(() => {
              sock.destroy();
              fail(new BackupError(`the process holding ${dataDir} (pid ${String(info?.pid)}) cannot take an online backup (an older release?): stop it and run the backup again`));
            });
          }
          readFile(join(dataDir, CONTROL_FILE), 'utf8').then(
            (token) => sock.write(`${JSON.stringify({ op: 'freeze', token: token.trim() })}\n`),
            (e: Error) =>
              settle(() => {
                sock.destroy();
                fail(new BackupError(`a runtime (pid ${info!.pid}) holds ${dataDir}, and its control token ${join(dataDir, CONTROL_FILE)} cannot be read (${e.message}): run the backup as the user that runs Flowdesk`));
              }),
          );
          continue;
        }
        if (typeof msg.error === 'string') {
          const error = msg.error;
          return settle(() => {
            sock.destroy();
            fail(new BackupError(`the runtime (pid ${info!.pid}) refused the backup: ${error}`));
          });
        }
        const frozen = msg as unknown as Omit<StoreFreeze, 'release'>;
        const pid = info.pid;
        return settle(() => ok({ ...frozen, pid, release: () => sock.end() }));
      }
    });
  });
}

/** Freezes the data dir: through the runtime holding it, or by opening the store here. */
async function freezeDataDir(dataDir: string, log: (m: string) => void): Promise<{ frozen: Omit<StoreFreeze, 'release'>; pid: number | null; release(): Promise<void> }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const remote = await freezeRemote(dataDir);
    if (remote) {
      log(`a runtime (pid ${remote.pid}) holds ${dataDir}: it pauses compaction while the files are copied`);
      return { frozen: remote, pid: remote.pid, release: async () => remote.release() };
    }
    const store = createLowdbStore({ dataDir, fsync: true, log: { warn: (m) => log(m) } });
    try {
      await store.open();
    } catch (e) {
      // a runtime started meanwhile: ask it instead
      if (e instanceof StoreLockedError && attempt === 0) continue;
      throw e;
    }
    log(`no runtime holds ${dataDir}: the store was opened for the backup`);
    const frozen = await store.freeze();
    return {
      frozen,
      pid: null,
      release: async () => {
        frozen.release();
        await store.close();
      },
    };
  }
  throw new BackupError(`could not take hold of ${dataDir}`);
}

async function looksLikeDataDir(dataDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BackupError(code === 'ENOENT' ? `there is no data dir at ${dataDir} (set FLOWDESK_DATA_DIR or pass --data <dir>)` : `cannot read the data dir ${dataDir}: ${(e as Error).message}`);
  }
  if (!entries.includes('db') && !entries.includes('journal')) throw new BackupError(`${dataDir} is not a Flowdesk data dir (it has no db/ or journal/ folder)`);
}

/** Every regular file under `dir` (recursively), skipping what `skip` names at the top. */
async function listExtras(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, top: boolean) => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return; // removed meanwhile
    }
    for (const n of names.sort()) {
      if (top ? skipExtra(n) : n.endsWith('.tmp') || n.endsWith('.part')) continue;
      const p = join(dir, n);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) await walk(p, false);
      else if (st.isFile()) out.push(relative(dataDir, p));
    }
  };
  await walk(dataDir, true);
  return out;
}

const toPosix = (rel: string) => rel.split(sep).join('/');

/** Takes a backup of the embedded data dir `dataDir` into `target` (new or empty). */
export async function takeBackup(opts: { dataDir: string; target: string; log?: (m: string) => void }): Promise<BackupResult> {
  const dataDir = resolve(opts.dataDir);
  const target = resolve(opts.target);
  const log = opts.log ?? (() => {});
  await looksLikeDataDir(dataDir);
  if (target === dataDir || target.startsWith(dataDir + sep)) throw new BackupError(`the backup directory ${target} is inside the data dir ${dataDir}: put it elsewhere (another disk, ideally)`);
  const created = await requireEmptyDir(target, 'the backup directory');
  const dataOut = join(target, BACKUP_DATA_DIR);
  const made = new Set<string>();
  const mkdirs = async (d: string) => {
    if (made.has(d)) return;
    await mkdir(d, { recursive: true, mode: 0o700 });
    made.add(d);
  };
  try {
    await mkdirs(dataOut);
    const files: ManifestFile[] = [];
    const { frozen, pid, release } = await freezeDataDir(dataDir, log);
    const started = Date.now();
    let frozenMs = 0;
    try {
      for (const f of frozen.files) {
        const dst = join(dataOut, f.rel);
        await mkdirs(dirname(dst));
        try {
          const c = await copyHashed(join(dataDir, f.rel), dst, f.bytes);
          files.push({ path: toPosix(f.rel), ...c });
        } catch (e) {
          // a log just created may not have its file yet: nothing in it was acknowledged
          if ((e as NodeJS.ErrnoException).code === 'ENOENT' && f.bytes === 0) continue;
          throw e;
        }
      }
      const cp = join(dataOut, CHECKPOINT_FILES[0]);
      await writeFile(cp, frozen.checkpoint, { mode: 0o644, flag: 'wx' });
      const cpText = Buffer.from(frozen.checkpoint);
      files.push({ path: CHECKPOINT_FILES[0], bytes: cpText.length, sha256: createHash('sha256').update(cpText).digest('hex'), mode: 0o644 });
      // the rest of the data dir as it is: keys, secrets, uploaded files (written before their runs)
      for (const rel of await listExtras(dataDir)) {
        const dst = join(dataOut, rel);
        await mkdirs(dirname(dst));
        try {
          files.push({ path: toPosix(rel), ...(await copyHashed(join(dataDir, rel), dst, undefined)) });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile (retention)
          throw e;
        }
      }
    } finally {
      frozenMs = Date.now() - started;
      await release();
    }
    for (const d of [...made].sort((a, b) => b.length - a.length)) await fsyncDir(d);
    const body: Omit<Manifest, 'sha256'> = { format: FORMAT, version: 1, createdAt: new Date().toISOString(), store: 'embedded', source: dataDir, runtimePid: pid, files };
    const manifest: Manifest = { ...body, sha256: manifestHash(body) };
    // last, and atomically: a backup with a manifest is complete
    const tmp = join(target, `${MANIFEST_FILE}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await writeAll(fh, Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(target, MANIFEST_FILE));
    await fsyncDir(target);
    return { dir: target, manifest, bytes: files.reduce((a, f) => a + f.bytes, 0), frozenMs };
  } catch (e) {
    // nothing half-written stays behind as if it were a backup
    if (created) await rm(target, { recursive: true, force: true }).catch(() => {});
    else
      for (const n of await readdir(target).catch(() => [] as string[])) await rm(join(target, n), { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

/** Reads and checks a backup's manifest (format, self-checksum, file paths). */
export async function readManifest(backupDir: string): Promise<Manifest> {
  const dir = resolve(backupDir);
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new BackupError(`there is no backup at ${dir}: the directory does not exist`);
  }
  if (!st.isDirectory()) throw new BackupError(`${dir} is not a directory: give the backup's directory`);
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new BackupError(`${dir} is not a complete Flowdesk backup: it has no ${MANIFEST_FILE} (an interrupted backup leaves none)`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new BackupError(`${file} is corrupt: not valid JSON (${(e as Error).message})`);
  }
  if (!m || typeof m !== 'object' || m.format !== FORMAT) throw new BackupError(`${file} is not a Flowdesk backup manifest (format is not "${FORMAT}")`);
  if (m.version !== 1) throw new BackupError(`${file} has version ${JSON.stringify(m.version)}; this release reads version 1`);
  const { sha256, ...body } = m;
  if (typeof sha256 !== 'string' || manifestHash(body) !== sha256) throw new BackupError(`${file} is corrupt: its checksum does not match its content`);
  if (!Array.isArray(m.files)) throw new BackupError(`${file} is corrupt: files is not a list`);
  for (const f of m.files) {
    const ok =
      f &&
      typeof f.path === 'string' &&
      f.path.length > 0 &&
      !f.path.startsWith('/') &&
      !f.path.split('/').some((p) => p === '..' || p === '.' || p === '') &&
      Number.isInteger(f.bytes) &&
      f.bytes >= 0 &&
      typeof f.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(f.sha256) &&
      Number.isInteger(f.mode);
    if (!ok) throw new BackupError(`${file} is corrupt: a file entry is malformed (${JSON.stringify(f)?.slice(0, 200)})`);
  }
  return m;
}

/** Restores the backup in `backupDir` into `dataDir`, which must be new or empty. Checks every file first. */
export async function restoreBackup(opts: { backupDir: string; dataDir: string }): Promise<RestoreResult> {
  const backupDir = resolve(opts.backupDir);
  const dataDir = resolve(opts.dataDir);
  const manifest = await readManifest(backupDir);
  const absent = await requireEmptyDir(dataDir, 'the data dir to restore into');
  // everything is copied into a sibling folder, checked as it is copied, and renamed into place at the
  // end: a bad backup or a crash part-way leaves the target as it was
  const staging = join(dirname(dataDir), `.${basename(dataDir)}.restoring-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  const made = new Set<string>();
  let bytes = 0;
  try {
    await mkdir(staging, { recursive: true, mode: 0o700 });
    made.add(staging);
    for (const f of manifest.files) {
      const src = join(backupDir, BACKUP_DATA_DIR, ...f.path.split('/'));
      const dst = join(staging, ...f.path.split('/'));
      if (!made.has(dirname(dst))) {
        await mkdir(dirname(dst), { recursive: true, mode: 0o700 });
        made.add(dirname(dst));
      }
      let got;
      try {
        got = await copyHashed(src, dst, undefined, f.mode & 0o777);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupError(`the backup is incomplete: ${f.path} is listed in the manifest but missing`);
        throw e;
      }
      if (got.bytes !== f.bytes || got.sha256 !== f.sha256) {
        throw new BackupError(`the backup is damaged: ${f.path} does not match the manifest (${got.bytes} bytes, sha256 ${got.sha256.slice(0, 12)}…; expected ${f.bytes} bytes, ${f.sha256.slice(0, 12)}…)`);
      }
      bytes += got.bytes;
    }
    for (const d of [...made].sort((a, b) => b.length - a.length)) await fsyncDir(d);
    // the target must still be empty (nothing started there meanwhile)
    await requireEmptyDir(dataDir, 'the data dir to restore into');
    if (!absent) await rmdir(dataDir);
    await rename(staging, dataDir);
    await fsyncDir(dirname(dataDir));
  } catch (e) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
  return { dataDir, files: manifest.files.length, bytes, manifest };
}
