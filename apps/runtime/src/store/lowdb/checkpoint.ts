// What the store has acknowledged, kept beside the data so that open() can tell a file that lost
// acknowledged bytes (truncated, deleted, replaced) from one that merely has an unacknowledged torn
// tail. For every append-only file: its durable length and the highest sequence number durable in it;
// for every lowdb snapshot: its generation and how many items it held.
//
// Written in place to one of two files (`checkpoint-a.json`, `checkpoint-b.json`, alternating, each
// with a CRC and a generation; both kept open and rewritten at offset 0) shortly after durable batches,
// WITHOUT an fdatasync of its own: it only ever claims bytes that were already durable when it was
// written, so a power cut that loses or tears it leaves the other file, which claims less. It is written with fsync at open, at close and before
// compaction removes anything (so compaction never looks like loss). No second fdatasync per batch.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { FileLayer, SmallFileHandle } from './file-layer.ts';

/** An append-only file's acknowledged state. */
export interface FileClaim {
  /** durable length in bytes */
  bytes: number;
  /** highest sequence number durable in the file (0: none, e.g. lines written before sequence numbers) */
  hi: number;
}

/** A lowdb snapshot's acknowledged state. */
export interface SnapshotClaim {
  gen: number;
  items: number;
}

export interface CheckpointDoc {
  v: 1;
  gen: number;
  /** the writer's FLOWDESK_FSYNC: with fsync off, a missing tail after a power cut is expected */
  fsync: boolean;
  at: string;
  files: Record<string, FileClaim>;
  snapshots: Record<string, SnapshotClaim>;
}

/** A live source of a file's claim (an append log's durable length and tag). */
export interface ClaimSource {
  readonly durable: number;
  readonly durableTag: number;
}

export const CHECKPOINT_FILES = ['checkpoint-a.json', 'checkpoint-b.json'] as const;

export function encodeCheckpoint(doc: CheckpointDoc): string {
  const body = JSON.stringify(doc);
  return `{"crc":${crc32(body)},"doc":${body}}\n`;
}

function decode(text: string): CheckpointDoc | undefined {
  try {
    const outer = JSON.parse(text) as { crc?: unknown; doc?: unknown };
    if (typeof outer.crc !== 'number' || !outer.doc || typeof outer.doc !== 'object') return undefined;
    const doc = outer.doc as CheckpointDoc;
    if (crc32(JSON.stringify(doc)) !== outer.crc || doc.v !== 1 || typeof doc.gen !== 'number') return undefined;
    return doc;
  } catch {
    return undefined;
  }
}

export class Checkpoint {
  /** claims as last loaded (at open) */
  loaded: CheckpointDoc | undefined;
  private gen = 0;
  /** which of the two files holds the newest good claims (the other one is written next) */
  private newest = 0;
  private readonly statics = new Map<string, FileClaim>();
  private readonly live = new Map<string, ClaimSource>();
  private readonly snaps = new Map<string, SnapshotClaim>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** the two files, opened at their first write and kept open (rewritten in place) until close */
  private readonly handles: (Promise<SmallFileHandle> | undefined)[] = [undefined, undefined];
  private dirty = false;
  private closed = false;

  constructor(
    private readonly dataDir: string,
    private readonly files: FileLayer,
    private readonly fsync: boolean,
    private readonly warn: (msg: string) => void,
    /** how soon after a durable batch the claims are written (ms) */
    private readonly delayMs = 20,
  ) {}

  /** Reads both files; the valid one with the highest generation wins. Undefined when neither exists. */
  async load(): Promise<{ doc: CheckpointDoc | undefined; present: string[] }> {
    let best: CheckpointDoc | undefined;
    const present: string[] = [];
    for (const name of CHECKPOINT_FILES) {
      let text: string;
      try {
        text = await readFile(join(this.dataDir, name), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      present.push(name);
      const doc = decode(text);
      if (doc && (!best || doc.gen > best.gen)) {
        best = doc;
        this.newest = CHECKPOINT_FILES.indexOf(name);
      }
    }
    this.loaded = best;
    this.gen = best?.gen ?? 0;
    return { doc: best, present };
  }

  /** A file whose durable state `src` reports from now on (an open append log). */
  track(rel: string, src: ClaimSource): void {
    this.statics.delete(rel);
    this.live.set(rel, src);
  }

  /** A file's final claim (a sealed segment, a file found at open). */
  set(rel: string, claim: FileClaim): void {
    this.live.delete(rel);
    this.statics.set(rel, claim);
  }

  /** Freezes a file's claim at `src`'s final durable state (its log closed), unless it was re-claimed meanwhile. */
  seal(rel: string, src: ClaimSource): void {
    if (this.live.get(rel) === src) this.set(rel, { bytes: src.durable, hi: src.durableTag });
  }

  claim(rel: string): FileClaim | undefined {
    const src = this.live.get(rel);
    return src ? { bytes: src.durable, hi: src.durableTag } : this.statics.get(rel);
  }

  forget(rel: string): void {
    this.live.delete(rel);
    this.statics.delete(rel);
  }

  setSnapshot(rel: string, claim: SnapshotClaim): void {
    this.snaps.set(rel, claim);
  }

  /** Something became durable: write the claims soon (coalesced). */
  touch(): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) void this.write(false).catch((e: Error) => this.warn(`store: could not write the checkpoint: ${e.message}`));
    }, this.delayMs);
    this.timer.unref();
  }

  private doc(): CheckpointDoc {
    const files: Record<string, FileClaim> = {};
    for (const [rel, c] of this.statics) files[rel] = c;
    for (const [rel, src] of this.live) files[rel] = { bytes: src.durable, hi: src.durableTag };
    return { v: 1, gen: this.gen, fsync: this.fsync, at: new Date().toISOString(), files, snapshots: Object.fromEntries(this.snaps) };
  }

  /** What is acknowledged right now (a backup copies each file up to its claim). */
  cut(): CheckpointDoc {
    return this.doc();
  }

  /** Writes the current claims (fsync'ed when `sync`, e.g. before compaction deletes anything). */
  write(sync: boolean): Promise<void> {
    const step = this.chain.then(async () => {
      this.dirty = false;
      const doc = { ...this.doc(), gen: this.gen + 1 };
      // never over the newest good file: a write that fails (a full disk) or is torn leaves the other
      // one whole; the files swap roles only once a write has worked
      const target = 1 - this.newest;
      await (await this.handle(target)).rewrite(encodeCheckpoint(doc), sync && this.fsync);
      if (sync && this.fsync) await this.files.fsyncDir(this.dataDir);
      this.gen = doc.gen;
      this.newest = target;
    });
    this.chain = step.catch(() => {});
    return step;
  }

  private handle(i: number): Promise<SmallFileHandle> {
    return (this.handles[i] ??= this.files.openSmall(join(this.dataDir, CHECKPOINT_FILES[i])).catch((e: unknown) => {
      this.handles[i] = undefined; // the next write tries to open it again
      throw e;
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
    for (const [i, h] of this.handles.entries()) {
      this.handles[i] = undefined;
      await h?.then((f) => f.close()).catch(() => {});
    }
  }
}
