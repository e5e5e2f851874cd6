// An append-only JSON-lines journal in segments (`<prefix>-000001.jsonl`, rolled at ~64 MB).
// Each line is `{"h":<flat header>,"d":<document>}` where the header carries the fields the
// in-memory index needs and `crc` (CRC-32 of the document's bytes), so that the index can be
// rebuilt at open by parsing only the small header while still checking every byte.
// Appends go through a group-commit AppendLog; documents whose write is not yet durable are served
// from memory, everything else is read back from the segment by (offset, length). Every line also
// carries `q`, the journal's sequence number, and the checkpoint (checkpoint.ts) records each
// segment's acknowledged length, so open() can tell lost acknowledged lines from a torn tail.
import { open, readdir, rename, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { StoreCorruptError } from '../types.ts';
import { AppendLog, openTrackedLog, type StoreStats, type WriteHealthSink } from './append-log.ts';
import { crcOfRange, fsyncDir, scanLines, writeAll } from './fsutil.ts';
import type { FileLayer } from './file-layer.ts';
import type { Checkpoint } from './checkpoint.ts';
import { tornTailWarning, type AckVerifier, type FoundFile } from './ack-verifier.ts';
import type { CompactionGate } from './compaction-gate.ts';
import { stampOf, untouchedSince, type SegmentStamp } from './segment-identity.ts';

export interface Loc {
  seg: number;
  off: number;
  len: number;
}

export type Header = { [k: string]: string | number | boolean | undefined };

/** A segment's first `bytes` bytes as an index snapshot covered them. */
export interface SegmentCover {
  seg: number;
  bytes: number;
  /** CRC-32 of those bytes */
  crc: number;
  /** highest sequence number among them */
  maxSeq: number;
  /** the file's identity then (absent: written before stamps, or the segment moved on meanwhile) */
  stamp?: SegmentStamp;
}

export interface JournalOptions {
  fsync: boolean;
  stats: StoreStats;
  segmentBytes: number;
  warn: (msg: string) => void;
  /** compaction reports what it did here */
  info?: (msg: string) => void;
  files?: FileLayer;
  health?: WriteHealthSink;
  checkpoint?: Checkpoint;
  /** the journal directory's name relative to the data dir (for checkpoint entries) */
  relDir?: string;
  /** held by a backup while it copies: compaction waits at its start */
  gate?: CompactionGate;
  /** see AppendLogOptions.minIntervalMs (the KPI facts' journal) */
  minIntervalMs?: number;
}

const HEAD = Buffer.from('{"h":');
const SEP = Buffer.from('},"d":');
const TAIL = Buffer.from('}\n');
/** a line's head beyond the header's own JSON: `{"h":` + `,"crc":` + up to 10 digits + `},"d":` (less its `}`) */
const HEAD_EXTRA = 5 + 7 + 10 + 6;
const CLOSE_BRACE = 0x7d;
const SEG_SPAN = 2 ** 32;
/**
 * Bytes a compaction or a bulk read takes (and parses, synchronously) at a time while the store serves
 * requests: 1 MB is a few ms of line checks, where open()'s 4 MB would hold the event loop for tens.
 */
const BACKGROUND_READ_BYTES = 1 << 20;

interface Reader {
  fh: Promise<FileHandle>;
  refs: number;
  retired: boolean;
}

/** Parses and checks one line (without '\n'); returns the header and where the document is. */
export function parseLine(buf: Buffer, start: number, end: number): { h: Header; docStart: number; docEnd: number } | undefined {
  if (end - start < HEAD.length + SEP.length + 1) return undefined;
  if (buf.compare(HEAD, 0, HEAD.length, start, start + HEAD.length) !== 0) return undefined;
  if (buf[end - 1] !== CLOSE_BRACE) return undefined;
  const sep = buf.indexOf(SEP, start + HEAD.length);
  if (sep === -1 || sep + SEP.length >= end) return undefined;
  const docStart = sep + SEP.length;
  const docEnd = end - 1;
  // fast path: the header was written as JSON.stringify(h) with `,"crc":N` spliced in before its
  // closing brace, so the CRC is checked over the bytes as they are, without re-serialising the header
  const fast = rawHeaderCrc(buf, start + HEAD.length, sep);
  if (fast && crc32(CLOSE, crc32(buf.subarray(start + HEAD.length, fast.at), crc32(buf.subarray(docStart, docEnd)))) === fast.crc) {
    let h: Header;
    try {
      h = JSON.parse(`${buf.toString('utf8', start + HEAD.length, fast.at)}}`) as Header;
    } catch {
      return undefined;
    }
    if (h === null || typeof h !== 'object') return undefined;
    return { h, docStart, docEnd };
  }
  let h: Header;
  try {
    h = JSON.parse(buf.toString('utf8', start + HEAD.length, sep + 1)) as Header;
  } catch {
    return undefined;
  }
  if (h === null || typeof h !== 'object' || typeof h.crc !== 'number') return undefined;
  const crc = h.crc;
  delete h.crc;
  if (crc32(JSON.stringify(h), crc32(buf.subarray(docStart, docEnd))) !== crc) return undefined;
  return { h, docStart, docEnd };
}

const CLOSE = Buffer.from('}');
const CRC_KEY = Buffer.from(',"crc":');

/** The `,"crc":N` at the end of a header (ending before `sep`): N and where the marker starts. */
function rawHeaderCrc(buf: Buffer, hStart: number, sep: number): { crc: number; at: number } | undefined {
  let p = sep - 1;
  let crc = 0;
  let mul = 1;
  while (p > hStart && buf[p] >= 0x30 && buf[p] <= 0x39 && mul <= 1e10) {
    crc += (buf[p] - 0x30) * mul;
    mul *= 10;
    p--;
  }
  if (mul === 1) return undefined;
  const at = p + 1 - CRC_KEY.length;
  if (at <= hStart || buf.compare(CRC_KEY, 0, CRC_KEY.length, at, p + 1) !== 0) return undefined;
  return { crc, at };
}

export class Journal {
  private segs: number[] = [];
  private activeSeg = 0;
  private active: AppendLog | undefined;
  /** rolled segments whose last writes may still be in flight */
  private sealing = new Map<number, AppendLog>();
  /**
   * Documents whose write is not yet durable, by seg*2^32+off. Kept as their strings: a view into the
   * line's buffer instead kept its whole 8 KB pool slab alive, and promoted slabs brought more
   * mark-compacts (6 against 4 in 8 s at 1,000 events/s: docs/performance.md, stop 40).
   */
  private pending = new Map<number, string>();
  private readers = new Map<number, Reader>();
  private closed = false;
  /** the next line's sequence number */
  private nextSeq = 1;
  /** highest sequence number in each segment but the active one, and in the active one */
  private readonly segMax = new Map<number, number>();
  private activeMax = 0;
  /** CRC-32 of a segment's first `bytes` bytes, as last computed (the file's inode tells a rewrite) */
  private readonly crcs = new Map<number, { ino: number; bytes: number; crc: number }>();

  constructor(
    readonly dir: string,
    readonly prefix: string,
    private readonly opts: JournalOptions,
  ) {}

  private name(seg: number): string {
    return `${this.prefix}-${String(seg).padStart(6, '0')}.jsonl`;
  }

  private file(seg: number): string {
    return join(this.dir, this.name(seg));
  }

  /** The segment's path relative to the data dir, as the checkpoint names it. */
  private rel(seg: number): string {
    return `${this.opts.relDir ?? 'journal'}/${this.name(seg)}`;
  }

  private newLog(seg: number, size: number, created: boolean, durableTag = 0): AppendLog {
    return openTrackedLog(this.file(seg), this.rel(seg), size, created, durableTag, this.opts);
  }

  /**
   * Scans every segment in order, calling `onEntry` for each line. A torn last line of a segment
   * (bytes after its last '\n') is cut off with a warning — after `verify` has checked that no
   * acknowledged byte is missing; any other bad line throws StoreCorruptError naming the file, which
   * is left untouched.
   */
  async open(onEntry: (h: Header, loc: Loc) => void, verify?: AckVerifier, known?: ReadonlyMap<number, SegmentCover>): Promise<void> {
    const re = new RegExp(`^${this.prefix}-(\\d{6,})\\.jsonl$`);
    const names = await readdir(this.dir);
    this.segs = names
      .map((n) => re.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const found: (FoundFile & { seg: number })[] = [];
    let maxSeq = 0;
    for (const seg of this.segs) {
      const file = this.file(seg);
      // the lines an index snapshot covers are in the index already: only the rest is read
      const cover = known?.get(seg);
      let segMax = cover?.maxSeq ?? 0;
      const res = await scanLines(
        file,
        (buf, start, end, offset) => {
          const p = parseLine(buf, start, end);
          if (!p) return false;
          const q = p.h.q;
          if (typeof q === 'number' && q > segMax) segMax = q;
          onEntry(p.h, { seg, off: offset, len: end - start + 1 });
          return true;
        },
        undefined,
        cover?.bytes ?? 0,
      );
      // a bad line past everything acknowledged is a torn tail (cut below, once nothing acknowledged is missing)
      if (res.bad && !verify?.tornPast(this.rel(seg), res.bad.offset)) {
        throw new StoreCorruptError(file, `bad line at byte ${res.bad.offset}${res.bad.isLast ? ' (last complete line)' : ''}`);
      }
      found.push({ seg, rel: this.rel(seg), goodLength: res.goodLength, fileLength: res.fileLength, maxSeq: segMax });
      if (segMax > maxSeq) maxSeq = segMax;
    }
    // nothing acknowledged may be missing; checked before any file is touched
    verify?.checkGroup(`${this.opts.relDir ?? 'journal'}/${this.prefix}-`, found);
    // only then: drop torn tails (never acknowledged writes)
    for (const t of found) {
      if (t.goodLength >= t.fileLength) continue;
      const file = this.file(t.seg);
      this.opts.warn(tornTailWarning(file, t));
      await truncate(file, t.goodLength);
      if (this.opts.fsync) {
        const fh = await open(file, 'r+');
        await fh.sync().finally(() => fh.close());
      }
    }
    this.nextSeq = maxSeq + 1;
    for (const t of found) {
      this.opts.checkpoint?.set(t.rel, { bytes: t.goodLength, hi: t.maxSeq });
      this.segMax.set(t.seg, t.maxSeq);
    }
    if (this.segs.length === 0) {
      this.activeSeg = 1;
      this.segs.push(1);
      this.active = this.newLog(1, 0, true);
    } else {
      this.activeSeg = this.segs[this.segs.length - 1];
      const last = found[found.length - 1]!;
      this.active = this.newLog(this.activeSeg, last.goodLength, false, last.maxSeq);
      this.activeMax = last.maxSeq;
      this.segMax.delete(this.activeSeg);
    }
  }

  /**
   * Whether an index snapshot's view of this journal still holds: every segment it covers is there,
   * untouched since (segment-identity.ts: same inode, length and times, same first and last 64 KB) or
   * else with the same CRC over every covered byte, and every other segment comes after them (its
   * lines are newer). Remembers their CRCs for the next snapshot.
   */
  async coverStillHolds(covers: readonly SegmentCover[]): Promise<boolean> {
    const re = new RegExp(`^${this.prefix}-(\\d{6,})\\.jsonl$`);
    const onDisk = (await readdir(this.dir)).map((n) => re.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
    const covered = new Set(covers.map((c) => c.seg));
    const top = Math.max(0, ...covered);
    if (onDisk.some((seg) => !covered.has(seg) && seg < top)) return false;
    for (const c of covers) {
      if (!onDisk.includes(c.seg)) return false;
      const file = this.file(c.seg);
      if (c.stamp && (await untouchedSince(file, c.bytes, c.stamp))) {
        this.crcs.set(c.seg, { ino: Number(c.stamp.ino), bytes: c.bytes, crc: c.crc });
        continue;
      }
      const got = await crcOfRange(file, 0, c.bytes, 0).catch(() => undefined);
      if (got !== c.crc) return false;
      const ino = await stat(file).then((st) => st.ino).catch(() => -1);
      this.crcs.set(c.seg, { ino, bytes: c.bytes, crc: got });
    }
    return true;
  }

  /**
   * What this journal holds right now, for an index snapshot taken at this instant: each segment's
   * length (appended, writes in flight included; undefined: a sealed segment, the whole file) and its
   * highest sequence number. Taken synchronously, with the index it describes.
   */
  coverage(): { seg: number; bytes: number | undefined; maxSeq: number }[] {
    const out: { seg: number; bytes: number | undefined; maxSeq: number }[] = [];
    for (const seg of this.segs) {
      if (seg === this.activeSeg) {
        if (this.active && this.active.size > 0) out.push({ seg, bytes: this.active.size, maxSeq: this.activeMax });
      } else out.push({ seg, bytes: this.sealing.get(seg)?.size, maxSeq: this.segMax.get(seg) ?? this.nextSeq - 1 });
    }
    return out;
  }

  /**
   * The CRCs of what `coverage()` named, once it is durable (call after `drain()`); undefined when a
   * segment is gone or shorter meanwhile. Only bytes not seen by an earlier call are read.
   */
  async coverCrcs(cov: { seg: number; bytes: number | undefined; maxSeq: number }[]): Promise<SegmentCover[] | undefined> {
    const out: SegmentCover[] = [];
    for (const c of cov) {
      const file = this.file(c.seg);
      const st = await stat(file).catch(() => undefined);
      if (!st) return undefined;
      const bytes = c.bytes ?? st.size;
      const known = this.crcs.get(c.seg);
      const base = known && known.ino === st.ino && known.bytes <= bytes ? known : { bytes: 0, crc: 0 };
      const crc = await crcOfRange(file, base.bytes, bytes, base.crc).catch(() => undefined);
      if (crc === undefined) return undefined;
      this.crcs.set(c.seg, { ino: st.ino, bytes, crc });
      const stamp = await stampOf(file, bytes).catch(() => undefined);
      out.push({ seg: c.seg, bytes, crc, maxSeq: c.maxSeq, ...(stamp ? { stamp } : {}) });
    }
    return out;
  }

  /**
   * Appends one entry; synchronous up to the returned promise, which resolves once it is durable.
   * `onFail` runs synchronously if the write fails (undo the caller's in-memory change).
   */
  append(h: Header, doc: string, onFail?: () => void): { loc: Loc; done: Promise<void> } {
    if (this.closed || !this.active) throw new Error(`journal ${this.prefix} is closed`);
    const q = this.nextSeq++;
    h.q = q;
    // the CRC covers the document and the header (as written, without the crc field itself)
    const hj = JSON.stringify(h);
    // the document is encoded once, straight into the line's buffer behind room for the head (whose
    // length depends on the CRC of those very bytes): no Buffer of its own, no concatenation
    const docLen = Buffer.byteLength(doc);
    const room = Buffer.byteLength(hj) + HEAD_EXTRA;
    const buf = Buffer.allocUnsafe(room + docLen + TAIL.length);
    buf.write(doc, room, docLen, 'utf8');
    TAIL.copy(buf, room + docLen);
    const crc = crc32(hj, crc32(buf.subarray(room, room + docLen)));
    const head = `{"h":${hj.slice(0, -1)},"crc":${crc}},"d":`;
    const start = room - Buffer.byteLength(head);
    buf.write(head, start, 'utf8');
    const line = buf.subarray(start);
    const len = line.length;
    if (this.active.size > 0 && this.active.size + len > this.opts.segmentBytes) this.roll();
    const seg = this.activeSeg;
    this.activeMax = q;
    const key = seg * SEG_SPAN + this.active.size;
    const { offset, done } = this.active.append(line, {
      tag: q,
      onFail: () => {
        this.pending.delete(key);
        onFail?.();
      },
    });
    this.pending.set(key, doc);
    const cleared = done.then(() => {
      this.pending.delete(key);
    });
    return { loc: { seg, off: offset, len }, done: cleared };
  }

  /** Starts a new segment; the old one finishes its queued writes in the background. */
  roll(): void {
    const old = this.active!;
    const oldSeg = this.activeSeg;
    this.sealing.set(oldSeg, old);
    void old.close().finally(() => {
      if (this.sealing.get(oldSeg) === old) this.sealing.delete(oldSeg);
      this.opts.checkpoint?.seal(this.rel(oldSeg), old);
    });
    this.segMax.set(oldSeg, this.activeMax);
    this.activeSeg = oldSeg + 1;
    this.activeMax = 0;
    this.segs.push(this.activeSeg);
    this.active = this.newLog(this.activeSeg, 0, true);
  }

  get activeSegment(): number {
    return this.activeSeg;
  }

  get activeSize(): number {
    return this.active?.size ?? 0;
  }

  /** True when the bytes at `loc` are durable. */
  isDurable(loc: Loc): boolean {
    if (loc.seg === this.activeSeg) return loc.off + loc.len <= this.active!.durable;
    const s = this.sealing.get(loc.seg);
    return s ? loc.off + loc.len <= s.durable : true;
  }

  /** Resolves once everything appended so far is durable. */
  async drain(): Promise<void> {
    await Promise.all([...[...this.sealing.values()].map((s) => s.drain()), this.active?.drain()]);
  }

  private reader(seg: number): Reader {
    let r = this.readers.get(seg);
    if (!r) {
      const fh = open(this.file(seg), 'r');
      fh.catch(() => {});
      r = { fh, refs: 0, retired: false };
      this.readers.set(seg, r);
    }
    return r;
  }

  private retire(seg: number, replacement?: Reader): void {
    const r = this.readers.get(seg);
    if (replacement) this.readers.set(seg, replacement);
    else this.readers.delete(seg);
    if (r) {
      r.retired = true;
      if (r.refs === 0) void r.fh.then((f) => f.close()).catch(() => {});
    }
  }

  /**
   * Reads the document at `loc`. Returns undefined when the bytes there are not a valid entry for
   * `id` (the caller re-reads its index: a compaction may have moved the entry meanwhile).
   */
  async read(loc: Loc, id: string): Promise<string | undefined> {
    const p = this.pending.get(loc.seg * SEG_SPAN + loc.off);
    if (p !== undefined) return p;
    const r = this.reader(loc.seg);
    r.refs++;
    try {
      const fh = await r.fh;
      const buf = Buffer.allocUnsafe(loc.len);
      let got = 0;
      while (got < loc.len) {
        const { bytesRead } = await fh.read(buf, got, loc.len - got, loc.off + got);
        if (bytesRead <= 0) return undefined;
        got += bytesRead;
      }
      if (buf[loc.len - 1] !== 10) return undefined;
      const parsed = parseLine(buf, 0, loc.len - 1);
      if (!parsed || parsed.h.id !== id) return undefined;
      return buf.toString('utf8', parsed.docStart, parsed.docEnd);
    } catch {
      return undefined;
    } finally {
      r.refs--;
      if (r.retired && r.refs === 0) void r.fh.then((f) => f.close()).catch(() => {});
    }
  }

  /**
   * Reads many documents at once: pending ones from memory, few per segment by offset, many per
   * segment by one sequential pass over the file. Entries it cannot read come back undefined.
   */
  async readMany(items: { loc: Loc; id: string }[]): Promise<(string | undefined)[]> {
    const out: (string | undefined)[] = new Array(items.length).fill(undefined);
    const bySeg = new Map<number, Map<number, number>>();
    items.forEach((it, i) => {
      const p = this.pending.get(it.loc.seg * SEG_SPAN + it.loc.off);
      if (p !== undefined) {
        out[i] = p;
        return;
      }
      let m = bySeg.get(it.loc.seg);
      if (!m) bySeg.set(it.loc.seg, (m = new Map()));
      m.set(it.loc.off, i);
    });
    for (const [seg, wanted] of bySeg) {
      if (wanted.size < 64) {
        await Promise.all([...wanted.values()].map(async (i) => (out[i] = await this.read(items[i].loc, items[i].id))));
        continue;
      }
      try {
        await scanLines(this.file(seg), (buf, start, end, offset) => {
          const i = wanted.get(offset);
          if (i === undefined) return true;
          const p = parseLine(buf, start, end);
          if (p && p.h.id === items[i].id && end - start + 1 === items[i].loc.len) out[i] = buf.toString('utf8', p.docStart, p.docEnd);
          return true;
        }, undefined, 0, BACKGROUND_READ_BYTES);
      } catch {
        // fall back to reads by offset below
      }
      for (const i of wanted.values()) if (out[i] === undefined) out[i] = await this.read(items[i].loc, items[i].id);
    }
    return out;
  }

  /**
   * Rewrites the sealed segments without the lines `keep` rejects, off the hot path: the active
   * segment is rolled first and never rewritten, appends go on meanwhile. Consecutive small segments
   * are merged (up to about one segment's size) into the file of the group's LAST segment number,
   * so replay order is kept: lines of lower segments are older. Groups are done oldest first, each
   * file replaced atomically (temp, fsync, rename) before the group's lower files are deleted, so a
   * crash part-way leaves, for every entry, its newest lines (a suffix of its history). `moved` is
   * called for each kept line, synchronously with the switch to the new file.
   */
  async compact(
    keep: (h: Header, loc: Loc) => boolean,
    moved: (h: Header, from: Loc, to: Loc) => void,
  ): Promise<{ dropped: number; bytes: number; upTo: number }> {
    const leave = await this.opts.gate?.enter();
    try {
      return await this.compactNow(keep, moved);
    } finally {
      leave?.();
    }
  }

  private async compactNow(
    keep: (h: Header, loc: Loc) => boolean,
    moved: (h: Header, from: Loc, to: Loc) => void,
  ): Promise<{ dropped: number; bytes: number; upTo: number }> {
    if (this.activeSize > 0) this.roll();
    const upTo = this.activeSeg - 1;
    await this.drain();
    const sealed = this.segs.filter((s) => s < this.activeSeg);
    const sizes = await Promise.all(sealed.map(async (s) => (await stat(this.file(s))).size));
    const groups: number[][] = [];
    let cur: number[] = [];
    let curBytes = 0;
    sealed.forEach((seg, i) => {
      if (cur.length && curBytes + sizes[i] > this.opts.segmentBytes) {
        groups.push(cur);
        cur = [];
        curBytes = 0;
      }
      cur.push(seg);
      curBytes += sizes[i];
    });
    if (cur.length) groups.push(cur);
    let dropped = 0;
    let bytes = 0;
    const started = Date.now();
    const before = sizes.reduce((a, b) => a + b, 0);
    for (const group of groups) {
      if (this.closed) break;
      const r = await this.rewriteGroup(group, keep, moved);
      dropped += r.dropped;
      bytes += r.bytes;
    }
    const left = this.segs.filter((s) => s < this.activeSeg).length;
    this.opts.info?.(
      `store: compacted the ${this.prefix} journal: ${sealed.length} sealed segment(s) → ${left}, ${before} → ${bytes} bytes, ${dropped} superseded or removed line(s) dropped, in ${Date.now() - started} ms`,
    );
    return { dropped, bytes, upTo };
  }

  private async rewriteGroup(
    group: number[],
    keep: (h: Header, loc: Loc) => boolean,
    moved: (h: Header, from: Loc, to: Loc) => void,
  ): Promise<{ dropped: number; bytes: number }> {
    const last = group[group.length - 1];
    const target = this.file(last);
    const tmp = `${target}.compact.tmp`;
    const out = await open(tmp, 'w', 0o600);
    const kept: { h: Header; from: Loc; to: Loc }[] = [];
    let outSize = 0;
    let dropped = 0;
    let keptHi = 0;
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    const flushChunk = async () => {
      if (!chunkBytes) return;
      const b = Buffer.concat(chunk, chunkBytes);
      chunk = [];
      chunkBytes = 0;
      await writeAll(out, b);
    };
    let ok = false;
    try {
      for (const seg of group) {
        const file = this.file(seg);
        const res = await scanLines(
          file,
          (buf, start, end, offset) => {
            const p = parseLine(buf, start, end);
            if (!p) return false;
            const from = { seg, off: offset, len: end - start + 1 };
            if (keep(p.h, from)) {
              if (typeof p.h.q === 'number' && p.h.q > keptHi) keptHi = p.h.q;
              kept.push({ h: p.h, from, to: { seg: last, off: outSize, len: from.len } });
              chunk.push(Buffer.from(buf.subarray(start, end + 1)));
              chunkBytes += from.len;
              outSize += from.len;
            } else dropped++;
            return true;
          },
          () => (chunkBytes >= 1 << 20 ? flushChunk() : Promise.resolve()),
          0,
          BACKGROUND_READ_BYTES,
        );
        if (res.bad || res.goodLength !== res.fileLength) throw new StoreCorruptError(file, 'unreadable during compaction');
      }
      await flushChunk();
      if (this.opts.fsync) await out.sync();
      ok = true;
    } finally {
      await out.close();
      if (!ok) await unlink(tmp).catch(() => {});
    }
    if (dropped === 0 && group.length === 1) {
      await unlink(tmp);
      return { dropped: 0, bytes: outSize };
    }
    this.opts.stats.rewrites++;
    const lower = group.slice(0, -1);
    // the checkpoint first (fsync'ed): what goes must no longer be claimed, and the target may not be
    // claimed longer than either its old or its new content, whichever a crash leaves
    const cp = this.opts.checkpoint;
    if (cp) {
      for (const seg of lower) cp.forget(this.rel(seg));
      if (kept.length === 0) cp.forget(this.rel(last));
      else cp.set(this.rel(last), { bytes: Math.min(outSize, cp.claim(this.rel(last))?.bytes ?? 0), hi: keptHi });
      await cp.write(true);
    }
    if (kept.length === 0) {
      await unlink(tmp);
      // oldest first: a crash part-way leaves the newer lines
      for (const seg of group) {
        this.retire(seg);
        await unlink(this.file(seg));
      }
    } else {
      const fresh: Reader = { fh: open(tmp, 'r'), refs: 0, retired: false };
      await fresh.fh;
      await rename(tmp, target);
      // switch readers and locations together, with no await in between
      for (const seg of lower) this.retire(seg);
      this.retire(last, fresh);
      for (const k of kept) moved(k.h, k.from, k.to);
      cp?.set(this.rel(last), { bytes: outSize, hi: keptHi });
      for (const seg of lower) await unlink(this.file(seg));
    }
    const gone = new Set(kept.length === 0 ? group : lower);
    this.segs = this.segs.filter((s) => !gone.has(s));
    for (const seg of gone) {
      this.segMax.delete(seg);
      this.crcs.delete(seg);
    }
    if (kept.length > 0) {
      this.segMax.set(last, keptHi);
      this.crcs.delete(last);
    }
    if (this.opts.fsync) await fsyncDir(this.dir);
    return { dropped, bytes: outSize };
  }

  /** Bytes in all segments (written or queued). */
  async totalBytes(): Promise<number> {
    let n = this.activeSize;
    for (const s of this.segs) if (s !== this.activeSeg) n += (await stat(this.file(s)).catch(() => ({ size: 0 }))).size;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.sealing.values()].map((s) => s.close()));
    await this.active?.close();
    for (const seg of [...this.readers.keys()]) this.retire(seg);
  }

}
