// Group commit: one append-only file, one writer. Every append that arrives while a write is in
// flight joins the next batch; a batch is ONE write() and (fsync on) ONE fdatasync(), and every
// caller in it resolves only after that. Batches are pipelined: batch N+1 is written while batch N's
// fdatasync runs (its own fdatasync starts once its write returned), and batches are acknowledged in
// order, each only after the fdatasync covering it. Offsets are assigned synchronously at append
// time, so the caller knows where its bytes will be before they are written.
//
// A failed write or fdatasync (ENOSPC, EIO) fails its batch and every batch in flight or queued behind
// it (their offsets assumed its bytes): each failed append's `onFail` runs synchronously, newest first, so the
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
  /** its fdatasync (or, fsync off, its write) has returned */
  synced: boolean;
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
  return { promise, resolve, reject, entries: [], bytes: 0, lastTag: -1, synced: false };
}

/** Batches written but not yet durable, at most: batch N+1 is written while N's fdatasync runs. */
export const DEFAULT_PIPELINE_DEPTH = 2;

export interface AppendLogOptions {
  fsync: boolean;
  stats: StoreStats;
  /** true when this log creates the file: its directory entry is made durable before the first ack */
  created: boolean;
  files?: FileLayer;
  health?: WriteHealthSink;
  /** the highest tag already durable in the file (at open) */
  durableTag?: number;
  /**
   * How many batches may be in flight (written, their fdatasync not yet returned); 1 = write, sync,
   * then the next batch. Writes stay one at a time and in offset order; each batch's fdatasync starts
   * after its own write returned, and batches are acknowledged strictly in order.
   */
  pipelineDepth?: number;
  /**
   * At least this many ms between the starts of two writes (default 0: every tick's appends are written
   * at once). For a log whose acknowledgements nobody waits on (the KPI facts): one write and one
   * fdatasync per interval instead of per tick, which on a busy loop costs less CPU than each tick's pair.
   */
  minIntervalMs?: number;
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
  /** appends not yet taken into a write */
  private batch: Batch | undefined;
  /** a flush is scheduled for the next tick (appends of one tick share a write) */
  private scheduled = false;
  /** a write() is in progress (one at a time: offsets were assigned in order) */
  private writing = false;
  /** batches taken into a write and not yet durable, oldest first */
  private readonly pipeline: Batch[] = [];
  private readonly depth: number;
  private closed = false;
  /** minIntervalMs: when the last write started, and the timer that starts the next */
  private lastWriteAt = -Infinity;
  private closing = false;
  private intervalTimer: NodeJS.Timeout | undefined;
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
    this.depth = Math.max(1, opts.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH);
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
    if (!this.scheduled) {
      this.scheduled = true;
      // start on the next tick so that appends made in this tick share the write
      process.nextTick(() => {
        this.scheduled = false;
        this.pump();
      });
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

  /** Starts the next write if there is one to do and room in the pipeline. */
  private pump(): void {
    if (this.writing || !this.parts.length || this.pipeline.length >= this.depth) return;
    // after a failure, the file is cut back to `durable` only once nothing before it is in flight
    if (this.dirty && this.pipeline.length) return;
    const gap = this.opts.minIntervalMs ?? 0;
    if (gap > 0 && !this.closing) {
      const wait = this.lastWriteAt + gap - performance.now();
      if (wait > 0) {
        this.intervalTimer ??= setTimeout(() => {
          this.intervalTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.lastWriteAt = performance.now();
    }
    const parts = this.parts;
    const batch = this.batch!;
    this.parts = [];
    this.batch = undefined;
    this.pipeline.push(batch);
    this.writing = true;
    void this.write(batch, parts);
  }

  private async write(batch: Batch, parts: Buffer[]): Promise<void> {
    let fh: AppendHandle;
    try {
      fh = await this.ready();
      await fh.append(parts.length === 1 ? parts[0] : Buffer.concat(parts, batch.bytes));
      this.opts.stats.writes++;
      this.opts.stats.bytes += batch.bytes;
    } catch (e) {
      this.writing = false;
      this.fail(batch, e);
      this.pump();
      return;
    }
    this.writing = false;
    if (!this.pipeline.includes(batch)) return this.pump(); // an earlier batch failed meanwhile: so did this one
    if (this.opts.fsync) {
      // the next batch is written while this one's fdatasync runs
      this.pump();
      try {
        await fh.datasync();
        this.opts.stats.fsyncs++;
      } catch (e) {
        this.fail(batch, e);
        this.pump();
        return;
      }
    }
    batch.synced = true;
    this.settle();
    this.pump();
  }

  /** Acknowledges the durable batches at the head of the pipeline, in order. */
  private settle(): void {
    while (this.pipeline.length && this.pipeline[0].synced) {
      const b = this.pipeline.shift()!;
      this.durable += b.bytes;
      if (b.lastTag >= 0) this.durableTag = b.lastTag;
      this.opts.health?.succeeded(this.file);
      this.onDurable?.(this.durable);
      b.resolve();
    }
  }

  /**
   * Fails `batch` and every batch after it (in flight or queued: their offsets assumed its bytes),
   * rolling back newest first; the file is cut back before the next write. Batches before it carry on.
   */
  private fail(batch: Batch, e: unknown): void {
    const at = this.pipeline.indexOf(batch);
    if (at < 0) return; // already failed with an earlier one
    const failed = this.pipeline.splice(at);
    if (this.batch) failed.push(this.batch);
    this.batch = undefined;
    this.parts = [];
    this.size = this.durable + this.pipeline.reduce((n, b) => n + b.bytes, 0);
    this.dirty = true;
    this.opts.stats.failedWrites++;
    for (let j = failed.length - 1; j >= 0; j--) {
      const b = failed[j];
      for (let i = b.entries.length - 1; i >= 0; i--) {
        try {
          b.entries[i].onFail?.();
        } catch {
          // a rollback must never stop the others
        }
      }
    }
    this.opts.health?.failed(this.file, e);
    for (let j = failed.length - 1; j >= 0; j--) failed[j].reject(e);
  }

  /** Resolves once everything appended so far is durable (batches complete in order). */
  drain(): Promise<void> {
    if (this.batch) return this.batch.promise;
    const last = this.pipeline[this.pipeline.length - 1];
    return last ? last.promise : Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // what waits for the interval is written now
    this.closing = true;
    if (this.intervalTimer) {
      clearTimeout(this.intervalTimer);
      this.intervalTimer = undefined;
      this.pump();
    }
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
  /** see AppendLogOptions.minIntervalMs */
  minIntervalMs?: number;
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
  const log = new AppendLog(file, size, { fsync: opts.fsync, stats: opts.stats, created, files: opts.files, health: opts.health, durableTag, minIntervalMs: opts.minIntervalMs });
  const cp = opts.checkpoint;
  if (cp) {
    cp.track(rel, log);
    log.onDurable = () => cp.touch();
  }
  return log;
}
