// Group commit: one append-only file, one writer. Every append that arrives while a write is in
// flight joins the next batch; a batch is ONE write() and (fsync on) ONE fdatasync(), and every
// caller in it resolves only after that. Offsets are assigned synchronously at append time, so the
// caller knows where its bytes will be before they are written.
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir, writeAll } from './fsutil.ts';

export interface StoreStats {
  /** records appended (lines) */
  appends: number;
  /** write() batches issued */
  writes: number;
  /** fdatasync() calls */
  fsyncs: number;
  bytes: number;
  /** whole-file rewrites (snapshots, compactions) — never on the hot path */
  rewrites: number;
}

export const newStats = (): StoreStats => ({ appends: 0, writes: 0, fsyncs: 0, bytes: 0, rewrites: 0 });

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // a batch nobody awaits must not become an unhandled rejection; callers get it through `promise`
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export class AppendLog {
  /** next offset: file size including bytes queued but not yet written */
  size: number;
  /** bytes known durable (written, and fdatasync'ed when fsync is on) */
  durable: number;
  private fh: FileHandle | undefined;
  private readonly ready: Promise<void>;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private batch: Batch | undefined;
  private flushing = false;
  private inflight: Batch | undefined;
  private failed: unknown;
  private closed = false;
  /** called after each durable batch with the new durable size */
  onDurable?: (durable: number) => void;

  constructor(
    readonly file: string,
    initialSize: number,
    private readonly opts: { fsync: boolean; stats: StoreStats; created: boolean },
  ) {
    this.size = initialSize;
    this.durable = initialSize;
    this.ready = this.openFile();
    this.ready.catch(() => {});
  }

  private async openFile(): Promise<void> {
    this.fh = await open(this.file, 'a', 0o600);
    // a new file's directory entry must be durable before anything in it is acknowledged
    if (this.opts.created && this.opts.fsync) await fsyncDir(dirname(this.file));
  }

  /** Queues `buf` (one or more complete lines); returns its offset and a promise of its durability. */
  append(buf: Buffer): { offset: number; done: Promise<void> } {
    if (this.closed) throw new Error(`append to closed log ${this.file}`);
    if (this.failed !== undefined) return { offset: this.size, done: Promise.reject(this.failed) };
    const offset = this.size;
    this.size += buf.length;
    this.parts.push(buf);
    this.partsBytes += buf.length;
    this.opts.stats.appends++;
    if (!this.batch) this.batch = newBatch();
    const done = this.batch.promise;
    if (!this.flushing) {
      this.flushing = true;
      // start on the next tick so that appends made in this tick share the first write
      process.nextTick(() => void this.flush());
    }
    return { offset, done };
  }

  private async flush(): Promise<void> {
    try {
      await this.ready;
    } catch (e) {
      this.fail(e);
      return;
    }
    while (this.parts.length && this.failed === undefined) {
      const parts = this.parts;
      const bytes = this.partsBytes;
      const batch = this.batch!;
      this.parts = [];
      this.partsBytes = 0;
      this.batch = undefined;
      this.inflight = batch;
      try {
        const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes);
        await writeAll(this.fh!, buf);
        this.opts.stats.writes++;
        this.opts.stats.bytes += bytes;
        if (this.opts.fsync) {
          await this.fh!.datasync();
          this.opts.stats.fsyncs++;
        }
        this.durable += bytes;
        this.onDurable?.(this.durable);
        this.inflight = undefined;
        batch.resolve();
      } catch (e) {
        this.inflight = undefined;
        // the file may now end in a partial batch: nothing more may be appended after it (the next
        // open drops the torn tail). The log is poisoned; the process should restart.
        batch.reject(e);
        this.fail(e);
      }
    }
    this.flushing = false;
  }

  private fail(e: unknown): void {
    this.failed = e;
    this.flushing = false;
    if (this.batch) {
      this.batch.reject(e);
      this.batch = undefined;
    }
    this.parts = [];
    this.partsBytes = 0;
  }

  /** Resolves once everything appended so far is durable (batches complete in order). */
  drain(): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.batch) return this.batch.promise;
    if (this.inflight) return this.inflight.promise;
    return Promise.resolve();
  }

  get error(): unknown {
    return this.failed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain().catch(() => {});
    this.closed = true;
    await this.ready.catch(() => {});
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
  }
}
