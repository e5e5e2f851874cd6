// At open: compares what the files hold with what the checkpoint says was acknowledged. A file that is
// missing or shorter than its acknowledged length stops the start naming the file and the missing
// range (StoreDataLostError), before anything is modified. Exceptions: a data dir written before
// checkpoints existed (no checkpoint and no sequence numbers: accepted as it is); with FLOWDESK_FSYNC=0
// the last file of each journal may miss its tail after a power cut (a warning); and the repair command
// (mode 'repair'), which records every loss instead of refusing.
import { join } from 'node:path';
import { StoreDataLostError } from '../types.ts';
import type { CheckpointDoc } from './checkpoint.ts';

export interface FoundFile {
  /** path relative to the data dir */
  rel: string;
  /** bytes of complete lines */
  goodLength: number;
  /** file length as found */
  fileLength: number;
  /** highest sequence number among its complete lines (0: none) */
  maxSeq: number;
}

export interface Loss {
  file: string;
  what: string;
}

export type VerifyMode = 'strict' | 'repair';

/** What open() says when it cuts a file back: which file, which bytes, and why that loses nothing acknowledged. */
export function tornTailWarning(file: string, t: { goodLength: number; fileLength: number }): string {
  return `store: dropping a torn tail of ${file}: bytes ${t.goodLength}–${t.fileLength} (${t.fileLength - t.goodLength} bytes after its last whole line, past everything acknowledged: a write that never completed)`;
}

export class AckVerifier {
  readonly losses: Loss[] = [];
  /** some complete line carries a sequence number (written by a checkpointing store) */
  sawSeq = false;

  constructor(
    private readonly dataDir: string,
    private readonly doc: CheckpointDoc | undefined,
    private readonly mode: VerifyMode,
    private readonly warn: (msg: string) => void,
  ) {}

  get hasCheckpoint(): boolean {
    return this.doc !== undefined;
  }

  /**
   * How many bytes of `rel` the checkpoint says were acknowledged (0: none of a file it does not name);
   * undefined without a checkpoint, when nothing acknowledged can be told from anything else.
   */
  acknowledgedBytes(rel: string): number | undefined {
    if (!this.doc) return undefined;
    return this.doc.files[rel]?.bytes ?? 0;
  }

  /**
   * A line that does not parse at `offset` of `rel`: past everything the checkpoint says was
   * acknowledged, it is the tail of a write that never completed — with pipelined batches a power cut
   * may keep a later (unacknowledged) batch's bytes and lose an earlier one's, leaving a damaged
   * stretch with whole lines after it — and everything from it on may go. Before that, it is damage.
   */
  tornPast(rel: string, offset: number): boolean {
    const acked = this.acknowledgedBytes(rel);
    return acked !== undefined && offset >= acked;
  }

  private problem(rel: string, what: string, tolerable: boolean): void {
    if (this.mode === 'repair' || tolerable) {
      this.losses.push({ file: rel, what });
      this.warn(
        this.mode === 'repair'
          ? `repair: ${rel}: ${what}`
          : `store: ${rel}: ${what} — written with FLOWDESK_FSYNC=0, so a power cut may lose the last acknowledged writes; starting from what remains`,
      );
      return;
    }
    throw new StoreDataLostError(join(this.dataDir, rel), what);
  }

  /**
   * Checks the files of one append-only group (a journal's segments, or a collection's change logs:
   * every claimed file whose name starts with `prefix`). `found` are the files present, scanned.
   */
  checkGroup(prefix: string, found: FoundFile[]): void {
    for (const f of found) if (f.maxSeq > 0) this.sawSeq = true;
    if (!this.doc) return;
    const claimed = Object.entries(this.doc.files)
      .filter(([rel]) => rel.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (claimed.length === 0) return;
    const tail = claimed[claimed.length - 1]![0];
    const byRel = new Map(found.map((f) => [f.rel, f]));
    for (const [rel, c] of claimed) {
      if (c.bytes === 0) continue;
      const tolerable = this.doc.fsync === false && rel === tail;
      const f = byRel.get(rel);
      const range = (from: number) => (c.hi >= from && c.hi > 0 ? `; entries with sequence numbers ${from}–${c.hi} are gone` : '');
      if (!f) {
        this.problem(rel, `the file is missing; it held ${c.bytes} acknowledged bytes${range(1)}`, tolerable);
      } else if (f.goodLength < c.bytes) {
        this.problem(rel, `${c.bytes - f.goodLength} acknowledged bytes are missing (complete lines end at byte ${f.goodLength}, ${c.bytes} were acknowledged)${range(f.maxSeq + 1)}`, tolerable);
      }
    }
  }

  /** A lowdb snapshot: `found` undefined when the file is absent. */
  checkSnapshot(rel: string, found: { gen: number; items: number } | undefined): void {
    const c = this.doc?.snapshots[rel];
    if (!c) return;
    const tolerable = this.doc!.fsync === false;
    if (!found) {
      if (c.items > 0) this.problem(rel, `the file is missing; it held ${c.items} acknowledged items (generation ${c.gen})`, tolerable);
    } else if (found.gen < c.gen) {
      this.problem(rel, `generation ${found.gen} found where generation ${c.gen} (${c.items} items) was acknowledged`, tolerable);
    }
  }

  /** After every group: files carrying sequence numbers with no readable checkpoint is loss of the checkpoint itself. */
  finish(checkpointFiles: string[]): void {
    if (this.doc || !this.sawSeq) return;
    const what =
      checkpointFiles.length === 0
        ? 'the checkpoint (checkpoint-a.json / checkpoint-b.json) is missing while the journals carry sequence numbers: what was acknowledged cannot be checked'
        : `the checkpoint files (${checkpointFiles.join(', ')}) are unreadable: what was acknowledged cannot be checked`;
    this.problem(checkpointFiles[0] ?? 'checkpoint-a.json', what, false);
  }
}
