// One runtime per data dir. On Linux the lock is held by the process itself, not by a file: it binds
// an abstract Unix socket named after the data dir's device and inode. The kernel frees the name when
// the process dies (SIGKILL included) and nothing on disk can take it away — deleting files does not
// unlock anything. A second opener finds the name taken, connects, and the holder answers who it is
// (pid, start time), so the refusal names it. `flowdesk.lock` still holds the owner's pid, for people.
// Elsewhere (no abstract sockets) the pid file alone is the lock, created with O_EXCL.
import { connect, createServer, type Server } from 'node:net';
import { open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreLockedError } from '../types.ts';
import { nodeFiles } from './file-layer.ts';

interface HolderInfo {
  app: 'flowdesk';
  pid: number;
  startedAt: string;
  dataDir: string;
}

const ASK_TIMEOUT_MS = 2000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function pidInFile(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim().split(/\s+/)[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the holder of `name` who it is; undefined when it does not answer as a Flowdesk runtime. */
function askHolder(name: string): Promise<HolderInfo | undefined> {
  return new Promise((resolve) => {
    const sock = connect(name);
    let text = '';
    const done = (v: HolderInfo | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), ASK_TIMEOUT_MS);
    sock.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      try {
        const info = JSON.parse(text.slice(0, nl)) as HolderInfo;
        done(info.app === 'flowdesk' && Number.isInteger(info.pid) ? info : undefined);
      } catch {
        done(undefined);
      }
    });
    sock.on('error', () => done(undefined));
    sock.on('end', () => done(undefined));
  });
}

export class DirLock {
  readonly file: string;
  private server: Server | undefined;
  private pidFileHeld = false;

  constructor(readonly dir: string) {
    this.file = join(dir, 'flowdesk.lock');
  }

  async acquire(fsync: boolean, warn: (msg: string) => void): Promise<void> {
    if (process.platform === 'linux') return this.acquireSocket(warn);
    return this.acquirePidFile(fsync, warn);
  }

  private async acquireSocket(warn: (msg: string) => void): Promise<void> {
    const st = await stat(this.dir);
    const name = `\0flowdesk-lock:${st.dev}:${st.ino}`;
    const info: HolderInfo = { app: 'flowdesk', pid: process.pid, startedAt: new Date().toISOString(), dataDir: this.dir };
    const server = createServer((sock) => {
      sock.on('error', () => {});
      sock.end(`${JSON.stringify(info)}\n`);
    });
    const err = await new Promise<NodeJS.ErrnoException | undefined>((ok) => {
      server.once('error', (e) => ok(e as NodeJS.ErrnoException));
      server.listen(name, () => ok(undefined));
    });
    if (err) {
      if (err.code !== 'EADDRINUSE') throw err;
      const holder = await askHolder(name);
      throw new StoreLockedError(
        this.dir,
        holder
          ? `another Flowdesk runtime (pid ${holder.pid}${holder.pid === process.pid ? ', this process' : ''}, running since ${holder.startedAt})`
          : 'a process that holds its lock but does not answer as a Flowdesk runtime',
      );
    }
    server.unref();
    this.server = server;
    // the pid file is for people; whatever it says, the socket decides
    const previous = await pidInFile(this.file);
    if (previous !== undefined && previous !== process.pid) {
      warn(
        `store: taking over the stale lock file ${this.file}: pid ${previous} ${alive(previous) ? 'is alive but is not a Flowdesk runtime holding this data dir' : 'is gone'}`,
      );
    }
    // informational: a full disk must not stop the start over it
    await writeFile(this.file, `${process.pid}\n`, { mode: 0o644 }).catch((e: Error) => warn(`store: could not write ${this.file}: ${e.message}`));
  }

  /** Without abstract sockets: the pid file, created with O_EXCL; a dead owner's file is taken over. */
  private async acquirePidFile(fsync: boolean, warn: (msg: string) => void): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(this.file, 'wx', 0o644);
        try {
          await fh.writeFile(`${process.pid}\n`);
          if (fsync) await fh.sync();
        } finally {
          await fh.close();
        }
        if (fsync) await nodeFiles.fsyncDir(this.dir);
        this.pidFileHeld = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const pid = await pidInFile(this.file);
      if (pid !== undefined && alive(pid)) throw new StoreLockedError(this.dir, `process ${pid} (named in ${this.file})`);
      warn(`store: taking over the stale lock ${this.file} (its process is gone)`);
      await unlink(this.file).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    throw new StoreLockedError(this.dir);
  }

  async release(): Promise<void> {
    const server = this.server;
    if (!server && !this.pidFileHeld) return;
    this.server = undefined;
    this.pidFileHeld = false;
    if ((await pidInFile(this.file)) === process.pid) await unlink(this.file).catch(() => {});
    if (server) await new Promise<void>((ok) => server.close(() => ok()));
  }
}
