// Small file-system helpers for the lowdb+journal store: durable directory entries, atomic file
// replacement, and a chunked line scanner that tells complete lines from a torn tail.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/** fsync a directory so that file creations, renames and removals in it survive power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    // some file systems refuse fsync on a directory (EINVAL/EISDIR); nothing more can be done there
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw e;
  } finally {
    await fh?.close();
  }
}

export async function writeAll(fh: FileHandle, buf: Buffer, position: number | null = null): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position === null ? null : position + done);
    if (bytesWritten <= 0) throw new Error('short write');
    done += bytesWritten;
  }
}

/**
 * Replaces `file` atomically: writes a temp file chunk by chunk (yielding between chunks), fsyncs
 * it (when `fsync`), renames it over `file` and fsyncs the directory. A crash leaves either the
 * old file or the new one, never a mix; a leftover `*.tmp` is removed at the next open.
 */
export async function atomicWrite(file: string, dir: string, chunks: Iterable<string>, fsync: boolean): Promise<number> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  let bytes = 0;
  try {
    let pending: string[] = [];
    let pendingLen = 0;
    for (const c of chunks) {
      pending.push(c);
      pendingLen += c.length;
      if (pendingLen >= 1 << 20) {
        const buf = Buffer.from(pending.join(''));
        pending = [];
        pendingLen = 0;
        await writeAll(fh, buf);
        bytes += buf.length;
      }
    }
    if (pending.length) {
      const buf = Buffer.from(pending.join(''));
      await writeAll(fh, buf);
      bytes += buf.length;
    }
    if (fsync) await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
  if (fsync) await fsyncDir(dir);
  return bytes;
}

export interface ScanResult {
  /** bytes of complete lines (the length the file should have) */
  goodLength: number;
  /** length of the file as found */
  fileLength: number;
}

/**
 * Reads `file` line by line (chunked; lines may be any length). `onLine(buf, start, end, offset)`
 * gets each complete line without its '\n' (buf[start..end)); `offset` is the line's position in the
 * file. A line `onLine` rejects (returns false) makes the scan stop and report it as `bad`. Bytes
 * after the last '\n' are the torn tail: not passed to onLine, reported through goodLength < fileLength.
 */
export async function scanLines(
  file: string,
  onLine: (buf: Buffer, start: number, end: number, offset: number) => boolean,
  afterChunk?: () => Promise<void>,
  /** where to start (a line boundary): the lines before it are known already */
  startAt = 0,
  /** bytes read (and their lines handled, synchronously) at a time: background scans take less, so requests interleave */
  readBytes = 4 << 20,
): Promise<ScanResult & { bad?: { offset: number; isLast: boolean } }> {
  const fh = await open(file, 'r');
  try {
    const fileLength = (await fh.stat()).size;
    let buf = Buffer.allocUnsafe(Math.min(Math.max(fileLength - startAt, 1), readBytes));
    let filled = 0; // bytes in buf
    let base = startAt; // file offset of buf[0]
    let pos = startAt; // file read position
    while (pos < fileLength) {
      if (filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      // (at most readBytes at a time, also once a long line made the buffer grow)
      const { bytesRead } = await fh.read(buf, filled, Math.min(buf.length - filled, readBytes, fileLength - pos), pos);
      if (bytesRead <= 0) break;
      pos += bytesRead;
      filled += bytesRead;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl === -1 || nl >= filled) break;
        if (!onLine(buf, start, nl, base + start)) {
          const isLast = base + nl + 1 >= fileLength;
          return { goodLength: base + start, fileLength, bad: { offset: base + start, isLast } };
        }
        start = nl + 1;
      }
      if (afterChunk) await afterChunk();
      // keep the incomplete remainder at the front of the buffer
      if (start > 0) {
        buf.copy(buf, 0, start, filled);
        filled -= start;
        base += start;
      }
    }
    return { goodLength: base, fileLength };
  } finally {
    await fh.close();
  }
}

/** CRC-32 of the file's bytes [from, to), continuing `crc` (the CRC of the bytes before `from`); undefined if the file is shorter. */
export async function crcOfRange(file: string, from: number, to: number, crc: number): Promise<number | undefined> {
  const fh = await open(file, 'r');
  try {
    if ((await fh.stat()).size < to) return undefined;
    const buf = Buffer.allocUnsafe(Math.min(Math.max(to - from, 1), 4 << 20));
    for (let pos = from; pos < to; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, to - pos), pos);
      if (bytesRead <= 0) return undefined;
      crc = crc32(buf.subarray(0, bytesRead), crc);
      pos += bytesRead;
    }
    return crc;
  } finally {
    await fh.close();
  }
}
