// One runtime per data dir: `<dataDir>/flowdesk.lock` holds the owner's pid, created with O_EXCL.
// A lock whose pid is not alive (the owner was SIGKILLed) is stale and taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreLockedError } from '../types.ts';
import { fsyncDir } from './fsutil.ts';

/** Data dirs locked by this process (a pid reused after a restart must not lock us out). */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerIsLive(file: string, dir: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  const pid = Number.parseInt(text.trim().split(/\s+/)[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return false; // empty or torn lock file: its creator died mid-write
  if (pid === process.pid) return heldHere.has(dir); // our pid, but not our lock: a previous incarnation
  return alive(pid);
}

export class DirLock {
  readonly file: string;
  private held = false;

  constructor(readonly dir: string) {
    this.file = join(dir, 'flowdesk.lock');
  }

  async acquire(fsync: boolean, warn: (msg: string) => void): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(this.file, 'wx', 0o644);
        try {
          await fh.writeFile(`${process.pid}\n`);
          if (fsync) await fh.sync();
        } finally {
          await fh.close();
        }
        if (fsync) await fsyncDir(this.dir);
        this.held = true;
        heldHere.add(this.dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (await ownerIsLive(this.file, this.dir)) throw new StoreLockedError(this.dir);
      warn(`store: taking over the stale lock ${this.file} (its process is gone)`);
      await unlink(this.file).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    throw new StoreLockedError(this.dir);
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    heldHere.delete(this.dir);
    try {
      const text = await readFile(this.file, 'utf8');
      if (Number.parseInt(text, 10) === process.pid) await unlink(this.file);
    } catch {
      // already gone
    }
  }
}
