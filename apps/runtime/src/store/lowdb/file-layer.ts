// The file operations the store's durability rests on, behind one small interface so that tests can
// watch them (count fdatasync calls and the bytes each one covers) or replace them (a write-back layer
// that drops unsynced bytes, as a power cut would). The default is plain node:fs.
import { constants, fdatasync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fsyncDir } from './fsutil.ts';

/** A file opened for appending (O_APPEND: every write lands at the current end). */
export interface AppendHandle {
  /** Writes all of `buf` at the end of the file. */
  append(buf: Buffer): Promise<void>;
  /** fdatasync(2): the bytes written so far survive a power cut. */
  datasync(): Promise<void>;
  /** Cuts the file back to `length` bytes (a failed append's partial bytes). */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** A small file rewritten in place, whole, again and again (the checkpoint). */
export interface SmallFileHandle {
  /** Replaces the content with `data` (fsync'ed when `sync`). */
  rewrite(data: string, sync: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface FileLayer {
  /** Opens (creating when absent, mode 0600) `file` for appending. */
  openAppend(file: string): Promise<AppendHandle>;
  /** fsync(2) on a directory: creations, renames and removals in it survive a power cut. */
  fsyncDir(dir: string): Promise<void>;
  /** Opens (creating when absent, mode 0600) a small file to be rewritten in place. */
  openSmall(file: string): Promise<SmallFileHandle>;
}

/**
 * Appends on the calling thread: one batch into the page cache takes microseconds, while a thread-pool
 * round trip waits for a free pool thread to be scheduled and for the loop to be woken — on a busy
 * 2-core machine that wait was as long as the fdatasync after it (p99 7–27 ms at 1,000 events/s). The
 * fdatasync stays on the thread pool: durability is unchanged, only where the write(2) runs.
 */
function writeAllAppend(fd: number, buf: Buffer): Promise<void> {
  try {
    writeAll(fd, buf, null);
    return Promise.resolve();
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

/** Writes all of `buf` on the calling thread: from `position` on, or (null) where the file's offset is. */
function writeAll(fd: number, buf: Buffer, position: number | null): void {
  let done = 0;
  while (done < buf.length) {
    const n = writeSync(fd, buf, done, buf.length - done, position === null ? null : position + done);
    if (n <= 0) throw new Error('short write');
    done += n;
  }
}

/**
 * `data` as bytes at least `length` long: a shorter text is padded with spaces before its final newline
 * (JSON ignores them), so a rewrite in place never leaves the old text's tail behind and needs no
 * truncation — at 50 checkpoints a second, the open/truncate/close of a whole-file write cost three
 * thread-pool round trips each, and ext4 starts writing back a file truncated and rewritten as it
 * closes (auto_da_alloc).
 */
function padded(data: string, length: number): Buffer {
  const text = Buffer.from(data);
  if (text.length >= length) return text;
  const buf = Buffer.alloc(length, 0x20);
  const nl = text[text.length - 1] === 0x0a;
  text.copy(buf, 0, 0, nl ? text.length - 1 : text.length);
  if (nl) buf[length - 1] = 0x0a;
  return buf;
}

export const nodeFiles: FileLayer = {
  async openAppend(file) {
    const fh = await open(file, 'a', 0o600);
    return {
      append: (buf) => writeAllAppend(fh.fd, buf),
      // the callback API: FileHandle.datasync() adds a promise wrapper and its ref counting per call (the
      // log closes its handle only once nothing is in flight)
      datasync: () => new Promise<void>((ok, fail) => fdatasync(fh.fd, (e) => (e ? fail(e) : ok()))),
      truncate: (length) => fh.truncate(length),
      close: () => fh.close(),
    };
  },
  fsyncDir,
  async openSmall(file) {
    const fh = await open(file, constants.O_WRONLY | constants.O_CREAT, 0o600);
    let length = (await fh.stat()).size;
    return {
      async rewrite(data, sync) {
        const buf = padded(data, length);
        length = buf.length; // a failed write too may have grown the file part way: the next text pads over it
        writeAll(fh.fd, buf, 0); // a page-cache write of a few hundred bytes: on the calling thread
        if (sync) await fh.sync();
      },
      close: () => fh.close(),
    };
  },
};
