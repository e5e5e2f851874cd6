// Group commit: one append-only file, one writer. Every append that arrives while a write is in
// flight joins the next batch; a batch is ONE write() and (fsync on) ONE fdatasync(), and every
// caller in it resolves only after that. Offsets are assigned synchronously at append time, so the
// caller knows where its bytes will be before they are written.
//
// A failed write or fdatasync (ENOSPC, EIO) fails its batch and every batch queued behind it (their
// offsets assumed its bytes): each failed append's `onFail` runs synchronously, newest first, so the
// owner rolls its in-memory state back to what is durable before anyone else can see it. The file is
// then cut back to its last durable offset before anything else is appended, and the next append
// simply tries again: writes resume by themselves once the disk has room.
import { dirname } from 'node:path';
import { nodeFiles, type AppendHandle, type FileLayer } from './file-layer.ts';
import type { Checkpoint } from './checkpoint.ts';

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
  /** batches that failed (a write or fdatasync error) and were rolled back */
  failedWrites: number;
}

export const newStats = (): StoreStats => ({ appends: 0, writes: 0, fsyncs: 0, bytes: 0, rewrites: 0, failedWrites: 0 });

/** Where a log reports that its writes fail or work again (the store's health). */
export interface WriteHealthSink {
  failed(file: string, error: unknown): void;
  succeeded(file: string): void;
}

export interface AppendOptions {
  /** a number the owner attaches (its sequence number); `durableTag` is the highest one durable */
  tag?: number;
  /** runs synchronously if this append fails, newest append first: undo what the owner did in memory */
  onFail?: () => void;
}

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  entries: AppendOptions[];
  bytes: number;
  lastTag: number;
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
  return { promise, resolve, reject, entries: [], bytes: 0, lastTag: -1 };
}

export interface AppendLogOptions {
  fsync: boolean;
  stats: StoreStats;
  /** true when this log creates the file: its directory entry is made durable before the first ack */
  created: boolean;
  files?: FileLayer;
  health?: WriteHealthSink;
  /** the highest tag already durable in the file (at open) */
  durableTag?: number;
}

export class AppendLog {
  /** next offset: file size including bytes queued but not yet written */
  size: number;
  /** bytes known durable (written, and fdatasync'ed when fsync is on) */
  durable: number;
  /** the highest tag whose bytes are durable */
  durableTag: number;
  private fh: AppendHandle | undefined;
  private readonly opening: Promise<void>;
  private dirSynced: boolean;
  /** the file may hold bytes past `durable` (a failed append): cut them before the next write */
  private dirty = false;
  private parts: Buffer[] = [];
  private batch: Batch | undefined;
  private flushing = false;
  private inflight: Batch | undefined;
  private closed = false;
  private readonly files: FileLayer;
  /** called after each durable batch with the new durable size */
  onDurable?: (durable: number) => void;

  constructor(
    readonly file: string,
    initialSize: number,
    private readonly opts: AppendLogOptions,
  ) {
    this.size = initialSize;
    this.durable = initialSize;
    this.durableTag = opts.durableTag ?? 0;
    this.files = opts.files ?? nodeFiles;
    this.dirSynced = !(opts.created && opts.fsync);
    // the file exists from the start (a failure here is retried by the first append)
    this.opening = this.files.openAppend(file).then(
      (fh) => {
        if (this.closed) void fh.close().catch(() => {});
        else this.fh = fh;
      },
      () => {},
    );
  }

  /** Queues `buf` (one or more complete lines); returns its offset and a promise of its durability. */
  append(buf: Buffer, o: AppendOptions = {}): { offset: number; done: Promise<void> } {
    if (this.closed) throw new Error(`append to closed log ${this.file}`);
    const offset = this.size;
    this.size += buf.length;
    this.parts.push(buf);
    this.opts.stats.appends++;
    if (!this.batch) this.batch = newBatch();
    const b = this.batch;
    b.entries.push(o);
    b.bytes += buf.length;
    if (o.tag !== undefined) b.lastTag = o.tag;
    if (!this.flushing) {
      this.flushing = true;
      // start on the next tick so that appends made in this tick share the first write
      process.nextTick(() => void this.flush());
    }
    return { offset, done: b.promise };
  }

  private async ready(): Promise<AppendHandle> {
    await this.opening;
    if (!this.fh) this.fh = await this.files.openAppend(this.file);
    if (!this.dirSynced) {
      // a new file's directory entry must be durable before anything in it is acknowledged
      await this.files.fsyncDir(dirname(this.file));
      this.dirSynced = true;
    }
    if (this.dirty) {
      await this.fh.truncate(this.durable);
      if (this.opts.fsync) await this.fh.datasync();
      this.dirty = false;
    }
    return this.fh;
  }

  private async flush(): Promise<void> {
    while (this.parts.length) {
      const parts = this.parts;
      const batch = this.batch!;
      this.parts = [];
      this.batch = undefined;
      this.inflight = batch;
      try {
        const fh = await this.ready();
        const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, batch.bytes);
        await fh.append(buf);
        this.opts.stats.writes++;
        this.opts.stats.bytes += batch.bytes;
        if (this.opts.fsync) {
          await fh.datasync();
          this.opts.stats.fsyncs++;
        }
        this.durable += batch.bytes;
        if (batch.lastTag >= 0) this.durableTag = batch.lastTag;
        this.inflight = undefined;
        this.opts.health?.succeeded(this.file);
        this.onDurable?.(this.durable);
        batch.resolve();
      } catch (e) {
        this.inflight = undefined;
        this.fail(batch, e);
      }
    }
    this.flushing = false;
  }

  /** Fails `batch` and everything queued behind it, rolling back newest first; the file is cut back later. */
  private fail(batch: Batch, e: unknown): void {
    const queued = this.batch;
    this.batch = undefined;
    this.parts = [];
    this.size = this.durable;
    this.dirty = true;
    this.opts.stats.failedWrites++;
    for (const b of queued ? [queued, batch] : [batch]) {
      for (let i = b.entries.length - 1; i >= 0; i--) {
        try {
          b.entries[i].onFail?.();
        } catch {
          // a rollback must never stop the others
        }
      }
    }
    this.opts.health?.failed(this.file, e);
    queued?.reject(e);
    batch.reject(e);
  }

  /** Resolves once everything appended so far is durable (batches complete in order). */
  drain(): Promise<void> {
    if (this.batch) return this.batch.promise;
    if (this.inflight) return this.inflight.promise;
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain().catch(() => {});
    this.closed = true;
    await this.opening;
    // a failed append's partial bytes never stay behind a closed log
    if (this.dirty && this.fh) await this.fh.truncate(this.durable).catch(() => {});
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
  }
}

/** What the collection and the journal share when they open one of their log files. */
export interface TrackedLogOptions {
  fsync: boolean;
  stats: StoreStats;
  files?: FileLayer;
  health?: WriteHealthSink;
  checkpoint?: Checkpoint;
}

/**
 * Opens an append log and, when the store keeps a checkpoint, registers it there under `rel` (its path
 * relative to the data dir) so that every durable append moves the checkpoint.
 */
export function openTrackedLog(file: string, rel: string, size: number, created: boolean, durableTag: number, opts: TrackedLogOptions): AppendLog {
  const log = new AppendLog(file, size, { fsync: opts.fsync, stats: opts.stats, created, files: opts.files, health: opts.health, durableTag });
  const cp = opts.checkpoint;
  if (cp) {
    cp.track(rel, log);
    log.onDurable = () => cp.touch();
  }
  return log;
}
