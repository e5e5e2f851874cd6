// One runtime per data dir. On Linux the lock is held by the process itself, not by a file: it binds
// an abstract Unix socket named after the data dir's device and inode. The kernel frees the name when
// the process dies (SIGKILL included) and nothing on disk can take it away — deleting files does not
// unlock anything. A second opener finds the name taken, connects, and the holder answers who it is
// (pid, start time), so the refusal names it. `flowdesk.lock` still holds the owner's pid, for people.
// Elsewhere (no abstract sockets) the pid file alone is the lock, created with O_EXCL.
// The same socket is the running store's control line for `npm run backup`: a client that proves it can
// read the data dir (the random token in `flowdesk.control`, mode 0600, new at every start) may ask for
// a freeze (compaction paused, durable lengths answered) that lasts until it closes the connection.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { chmod, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreLockedError } from '../types.ts';
import { nodeFiles } from './file-layer.ts';

export interface HolderInfo {
  app: 'flowdesk';
  pid: number;
  startedAt: string;
  dataDir: string;
  /** the holder answers control requests (a store that can be backed up while it runs) */
  control?: boolean;
}

/** What the lock's owner does for an authenticated control request; `release` ends it (also on disconnect). */
export interface ControlSession {
  reply: unknown;
  release(): void;
}
export type ControlHandler = (op: string) => Promise<ControlSession>;

/** The token a control client must send; readable only by whoever can read the data dir. */
export const CONTROL_FILE = 'flowdesk.control';
const ASK_TIMEOUT_MS = 2000;
/** a connection that sends no request in this long is closed */
const REQUEST_TIMEOUT_MS = 5000;

/** The abstract socket name that is the lock of `dir` (Linux). */
export async function lockSocketName(dir: string): Promise<string> {
  const st = await stat(dir);
  return `\0flowdesk-lock:${st.dev}:${st.ino}`;
}

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
  private token: Buffer | undefined;
  private readonly sessions = new Set<Socket>();
  /** set by the store once open: serves control requests (a backup's freeze) */
  onControl: ControlHandler | undefined;

  constructor(readonly dir: string) {
    this.file = join(dir, 'flowdesk.lock');
  }

  async acquire(fsync: boolean, warn: (msg: string) => void): Promise<void> {
    if (process.platform === 'linux') return this.acquireSocket(warn);
    return this.acquirePidFile(fsync, warn);
  }

  private async acquireSocket(warn: (msg: string) => void): Promise<void> {
    const name = await lockSocketName(this.dir);
    const info: HolderInfo = { app: 'flowdesk', pid: process.pid, startedAt: new Date().toISOString(), dataDir: this.dir, control: true };
    const server = createServer((sock) => this.serve(sock, info));
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
    // the control token: without it (a full disk) the runtime runs, only online backups are refused
    const token = randomBytes(32);
    const tokenFile = join(this.dir, CONTROL_FILE);
    try {
      await unlink(tokenFile).catch(() => {});
      await writeFile(tokenFile, `${token.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(tokenFile, 0o600);
      this.token = token;
    } catch (e) {
      warn(`store: could not write ${tokenFile} (online backups are refused until a restart): ${(e as Error).message}`);
    }
  }

  /** One connection to the lock: who holds it, then at most one authenticated control request. */
  private serve(sock: Socket, info: HolderInfo): void {
    sock.on('error', () => {});
    sock.write(`${JSON.stringify(info)}\n`);
    sock.setTimeout(REQUEST_TIMEOUT_MS, () => sock.destroy());
    let text = '';
    let session: ControlSession | undefined;
    let gone = false;
    const refuse = (error: string) => sock.end(`${JSON.stringify({ error })}\n`);
    sock.on('close', () => {
      gone = true;
      this.sessions.delete(sock);
      session?.release();
    });
    const onData = (d: Buffer) => {
      text += d.toString();
      if (text.length > 4096) return refuse('request too long');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      sock.off('data', onData);
      const rest = text.slice(nl + 1);
      let req: { op?: unknown; token?: unknown };
      try {
        req = JSON.parse(text.slice(0, nl)) as typeof req;
      } catch {
        return refuse('the request is not JSON');
      }
      const sent = typeof req?.token === 'string' && /^[0-9a-f]{64}$/.test(req.token) ? Buffer.from(req.token, 'hex') : undefined;
      if (!this.token || !sent || !timingSafeEqual(sent, this.token)) return refuse(`the token does not match ${CONTROL_FILE} in the data dir`);
      if (req.op !== 'freeze') return refuse(`unknown op ${JSON.stringify(req.op)} (known: freeze)`);
      const handler = this.onControl;
      if (!handler) return refuse('the store is not open yet');
      sock.setTimeout(0);
      this.sessions.add(sock);
      handler('freeze').then(
        (s) => {
          if (gone) return s.release();
          session = s;
          sock.write(`${JSON.stringify({ ok: true, ...(s.reply as object) })}\n`);
          // the client ends the freeze by closing (or by any further line)
          sock.on('data', () => sock.end());
          if (rest.length) sock.end();
        },
        (e: Error) => refuse(e.message),
      );
    };
    sock.on('data', onData);
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
    this.onControl = undefined;
    for (const s of this.sessions) s.destroy();
    if ((await pidInFile(this.file)) === process.pid) await unlink(this.file).catch(() => {});
    if (this.token) await unlink(join(this.dir, CONTROL_FILE)).catch(() => {});
    this.token = undefined;
    if (server) await new Promise<void>((ok) => server.close(() => ok()));
  }
}
