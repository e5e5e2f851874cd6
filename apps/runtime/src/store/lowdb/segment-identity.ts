// What tells open() cheaply that a journal segment still holds the bytes an index snapshot covered,
// without reading them all back (a CRC of every covered byte read 150 MB at each start with 100k runs).
//
// Segments are append-only: an AppendLog only appends, and cuts a failed write back to its durable
// length, never below it (and a snapshot covers only durable bytes). The one thing that rewrites a
// segment is compaction, and it writes a new file and renames it over the name: a new inode. Repair
// rewrites files too, and deletes the snapshot first. So a segment whose inode, length, mtime and ctime
// (nanoseconds) are still those recorded when the snapshot was written has not been written since
// through the file system — a user's edit, a copy, a cut or a rewrite changes one of them. Its first
// and last 64 KB are CRC-checked on top. A segment that grew since (the one being appended to when the
// process died), or that any of those changed for, or a snapshot written before these were recorded,
// gets the full CRC of its covered bytes, as before. Damage the file system does not see (bit rot in
// an untouched segment) is caught when the line is read: every line carries its own CRC.
import { stat } from 'node:fs/promises';
import { crcOfRange } from './fsutil.ts';

/** Bytes CRC-checked at each end of a covered range. */
export const EDGE_BYTES = 64 << 10;

/** A covered segment's identity as the file system saw it when the snapshot was written. */
export interface SegmentStamp {
  /** inode, mtime and ctime (ns) as decimal strings: JSON has no 64-bit integers */
  ino: string;
  mtimeNs: string;
  ctimeNs: string;
  /** CRC-32 of the first min(bytes, EDGE_BYTES) covered bytes, and of the last */
  head: number;
  tail: number;
}

async function edges(file: string, bytes: number): Promise<{ head: number; tail: number } | undefined> {
  const head = await crcOfRange(file, 0, Math.min(bytes, EDGE_BYTES), 0);
  const tail = await crcOfRange(file, Math.max(0, bytes - EDGE_BYTES), bytes, 0);
  return head === undefined || tail === undefined ? undefined : { head, tail };
}

/** The stamp of `file`'s first `bytes` bytes, or undefined when the file is no longer exactly that long (it moved on meanwhile). */
export async function stampOf(file: string, bytes: number): Promise<SegmentStamp | undefined> {
  const before = await stat(file, { bigint: true });
  if (before.size !== BigInt(bytes)) return undefined;
  const e = await edges(file, bytes);
  const after = await stat(file, { bigint: true });
  // written meanwhile: no stamp (the next open reads every covered byte of it)
  if (!e || after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ctimeNs !== before.ctimeNs) return undefined;
  return { ino: String(before.ino), mtimeNs: String(before.mtimeNs), ctimeNs: String(before.ctimeNs), ...e };
}

/** True when `file` is provably untouched since `stamp` was taken of its first `bytes` bytes (see above); false: check every byte. */
export async function untouchedSince(file: string, bytes: number, stamp: Partial<SegmentStamp>): Promise<boolean> {
  if (typeof stamp.ino !== 'string' || typeof stamp.mtimeNs !== 'string' || typeof stamp.ctimeNs !== 'string') return false;
  if (typeof stamp.head !== 'number' || typeof stamp.tail !== 'number') return false;
  const st = await stat(file, { bigint: true }).catch(() => undefined);
  if (!st || st.size !== BigInt(bytes) || String(st.ino) !== stamp.ino || String(st.mtimeNs) !== stamp.mtimeNs || String(st.ctimeNs) !== stamp.ctimeNs) return false;
  const e = await edges(file, bytes).catch(() => undefined);
  return e !== undefined && e.head === stamp.head && e.tail === stamp.tail;
}
