// File layers for durability tests, plugged into the store through its `files` option:
// - recordingFiles: real node:fs underneath; every append, fdatasync and truncate is recorded with a
//   global sequence number, the byte range it wrote or (fdatasync) the length it covered, so a test
//   can compare "when was it acknowledged" with "when was it durable". fdatasync can be held.
// - powerCutFiles: a write-back layer the test controls. Bytes reach the real file at once (reads work)
//   but only those covered by an fdatasync (and files whose directory entry was fsync'ed) count as on
//   the platter; cut() puts every file back to that state, as a power cut would, and turns the power off.
import { closeSync, existsSync, openSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { nodeFiles, type AppendHandle, type FileLayer } from '../../apps/runtime/src/store/lowdb/file-layer.ts';

export interface FsEvent {
  seq: number;
  kind: 'append' | 'datasync' | 'truncate' | 'rewriteSmall' | 'fsyncDir';
  phase: 'start' | 'end';
  file: string;
  /** append: [from, to) written; datasync: bytes covered ([0, covered)); truncate: new length */
  from?: number;
  to?: number;
  covered?: number;
  /** rewriteSmall: whether it was fsync'ed */
  sync?: boolean;
}

export interface Recorder {
  files: FileLayer;
  events: FsEvent[];
  /** the next sequence number (shared with the test's own marks) */
  next(): number;
  /** holds every fdatasync (after it was called) until release(); `called` once one on `file` (any, by default) was */
  holdDatasync(file?: string): { release(): void; called: Promise<void> };
  /** the first completed fdatasync of `file` covering [0, end), or undefined */
  durableAt(file: string, end: number): FsEvent | undefined;
  /** the completed append of `file` covering `end`, or undefined */
  writtenAt(file: string, end: number): FsEvent | undefined;
}

export function recordingFiles(base: FileLayer = nodeFiles): Recorder {
  let seq = 0;
  const events: FsEvent[] = [];
  let hold: { gate: Promise<void>; onCalled: () => void; file?: string } | undefined;
  const rec = (e: Omit<FsEvent, 'seq'>) => {
    const ev = { ...e, seq: ++seq };
    events.push(ev);
    return ev;
  };
  const files: FileLayer = {
    async openAppend(file) {
      const h = await base.openAppend(file);
      let size = existsSync(file) ? statSync(file).size : 0;
      const wrapped: AppendHandle = {
        async append(buf) {
          const from = size;
          rec({ kind: 'append', phase: 'start', file, from, to: from + buf.length });
          await h.append(buf);
          size += buf.length;
          rec({ kind: 'append', phase: 'end', file, from, to: size });
        },
        async datasync() {
          const covered = size;
          rec({ kind: 'datasync', phase: 'start', file, covered });
          if (hold) {
            if (hold.file === undefined || hold.file === file) hold.onCalled();
            await hold.gate;
          }
          await h.datasync();
          rec({ kind: 'datasync', phase: 'end', file, covered });
        },
        async truncate(length) {
          rec({ kind: 'truncate', phase: 'start', file, to: length });
          await h.truncate(length);
          size = length;
          rec({ kind: 'truncate', phase: 'end', file, to: length });
        },
        close: () => h.close(),
      };
      return wrapped;
    },
    async fsyncDir(d) {
      await base.fsyncDir(d);
      rec({ kind: 'fsyncDir', phase: 'end', file: d });
    },
    async openSmall(f) {
      const h = await base.openSmall(f);
      return {
        async rewrite(data, sync) {
          await h.rewrite(data, sync);
          rec({ kind: 'rewriteSmall', phase: 'end', file: f, sync });
        },
        close: () => h.close(),
      };
    },
  };
  return {
    files,
    events,
    next: () => ++seq,
    holdDatasync(file) {
      let release!: () => void;
      let onCalled!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const called = new Promise<void>((r) => (onCalled = r));
      hold = { gate, onCalled, file };
      return {
        called,
        release: () => {
          hold = undefined;
          release();
        },
      };
    },
    durableAt: (file, end) => events.find((e) => e.kind === 'datasync' && e.phase === 'end' && e.file === file && e.covered! >= end),
    writtenAt: (file, end) => events.find((e) => e.kind === 'append' && e.phase === 'end' && e.file === file && e.from! < end && e.to! >= end),
  };
}

export interface PowerCut {
  files: FileLayer;
  /** the kernel writes everything back (as it does every few seconds with fsync off) */
  writeBack(): void;
  /**
   * power off: every file back to what reached the platter; later I/O fails. `keepLaterWrite`: a
   * write-back that reached the platter out of order — of the writes no fdatasync covered, the later
   * ones' bytes stay and the first one's read back as zeros (a pipelined batch N+1 kept, batch N lost).
   */
  cut(o?: { keepLaterWrite?: boolean }): { truncated: { file: string; from: number; to: number }[]; removed: string[]; zeroed: { file: string; from: number; to: number }[] };
}

export function powerCutFiles(base: FileLayer = nodeFiles): PowerCut {
  let on = true;
  /** per file: bytes on the platter */
  const synced = new Map<string, number>();
  const sizes = new Map<string, number>();
  /** per file: the byte ranges of completed appends, in order */
  const writes = new Map<string, { from: number; to: number }[]>();
  /** files created since their directory was last fsync'ed */
  const newFiles = new Set<string>();
  /** small files: content on the platter (undefined: absent) */
  const smallSynced = new Map<string, Buffer | undefined>();
  const power = () => {
    if (!on) throw Object.assign(new Error('EIO: the power is off'), { code: 'EIO' });
  };
  const files: FileLayer = {
    async openAppend(file) {
      power();
      const existed = existsSync(file);
      const h = await base.openAppend(file);
      const size = existed ? statSync(file).size : 0;
      if (!existed) newFiles.add(file);
      if (!synced.has(file)) synced.set(file, existed ? size : 0);
      sizes.set(file, size);
      return {
        async append(buf) {
          power();
          await h.append(buf);
          if (!on) {
            // a write still in flight when the power went off never reached the platter: the real
            // write landed after cut() (at the cut-back end, O_APPEND), so take it back out
            const n = synced.get(file) ?? 0;
            if (existsSync(file) && statSync(file).size > n) truncateSync(file, n);
            power();
          }
          const from = sizes.get(file) ?? 0;
          sizes.set(file, from + buf.length);
          writes.set(file, [...(writes.get(file) ?? []), { from, to: from + buf.length }]);
        },
        async datasync() {
          power();
          // only the bytes written before the call are covered (a pipelined write may land meanwhile)
          const covered = sizes.get(file) ?? 0;
          await h.datasync();
          power(); // an fdatasync the power cut short covers nothing
          synced.set(file, Math.max(synced.get(file) ?? 0, covered));
        },
        async truncate(length) {
          power();
          await h.truncate(length);
          sizes.set(file, length);
          writes.set(file, (writes.get(file) ?? []).filter((w) => w.to <= length));
          if ((synced.get(file) ?? 0) > length) synced.set(file, length);
        },
        close: () => h.close(),
      };
    },
    async fsyncDir(dir) {
      power();
      await base.fsyncDir(dir);
      for (const f of newFiles) if (dirname(f) === dir) newFiles.delete(f);
    },
    async openSmall(file) {
      power();
      if (!smallSynced.has(file)) smallSynced.set(file, existsSync(file) ? readFileSync(file) : undefined);
      const h = await base.openSmall(file);
      return {
        async rewrite(data, sync) {
          power();
          await h.rewrite(data, sync);
          if (sync) smallSynced.set(file, readFileSync(file)); // as rewritten in place (padded)
        },
        close: () => h.close(),
      };
    },
  };
  return {
    files,
    writeBack() {
      for (const [f, n] of sizes) synced.set(f, n);
      newFiles.clear();
      for (const f of smallSynced.keys()) smallSynced.set(f, existsSync(f) ? readFileSync(f) : undefined);
    },
    cut(o = {}) {
      on = false;
      const truncated: { file: string; from: number; to: number }[] = [];
      const removed: string[] = [];
      const zeroed: { file: string; from: number; to: number }[] = [];
      if (o.keepLaterWrite) {
        for (const [f, n] of synced) {
          const unsynced = (writes.get(f) ?? []).filter((w) => w.from >= n);
          if (newFiles.has(f) || !existsSync(f) || unsynced.length < 2) continue;
          const first = unsynced[0]!;
          const fd = openSync(f, 'r+');
          try {
            writeSync(fd, Buffer.alloc(first.to - first.from), 0, first.to - first.from, first.from);
          } finally {
            closeSync(fd);
          }
          zeroed.push({ file: f, ...first });
          // the rest stays on the platter as written
          synced.set(f, statSync(f).size);
        }
      }
      for (const f of newFiles) {
        if (existsSync(f)) unlinkSync(f);
        removed.push(f);
      }
      for (const [f, n] of synced) {
        if (newFiles.has(f) || !existsSync(f)) continue;
        const size = statSync(f).size;
        if (size > n) {
          truncateSync(f, n);
          truncated.push({ file: f, from: size, to: n });
        }
      }
      for (const [f, content] of smallSynced) {
        if (content === undefined) {
          if (existsSync(f)) unlinkSync(f);
        } else writeFileSync(f, content);
      }
      return { truncated, removed, zeroed };
    },
  };
}

/** What a rewrite in place cut short leaves: the first half of `data` over the file's old text. */
export function tearSmall(file: string, data: string): void {
  const buf = Buffer.from(data);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, buf, 0, buf.length >> 1, 0);
  } finally {
    closeSync(fd);
  }
}

export interface FullDisk {
  files: FileLayer;
  /** while true, every append writes part of its bytes for real and then fails with ENOSPC, as a full disk does */
  full: boolean;
  /** appends that failed so far */
  failed: number;
}

/**
 * A disk that fills up on command, over real files: while `full`, an append writes the first half of
 * its bytes (a real partial line on disk) and throws ENOSPC; a small file's rewrite in place leaves the
 * first half of its new text over the old one (`tearSmall`) and throws ENOSPC. fdatasync and truncate work (they need no new blocks).
 */
export function fullDiskFiles(base: FileLayer = nodeFiles): FullDisk {
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
  const disk: FullDisk = {
    full: false,
    failed: 0,
    files: {
      async openAppend(file) {
        const h = await base.openAppend(file);
        return {
          async append(buf) {
            if (!disk.full) return h.append(buf);
            const half = Math.floor(buf.length / 2);
            if (half > 0) await h.append(buf.subarray(0, half));
            disk.failed++;
            throw enospc();
          },
          datasync: () => h.datasync(),
          truncate: (length) => h.truncate(length),
          close: () => h.close(),
        };
      },
      fsyncDir: (dir) => base.fsyncDir(dir),
      async openSmall(file) {
        const h = await base.openSmall(file);
        return {
          async rewrite(data, sync) {
            if (!disk.full) return h.rewrite(data, sync);
            tearSmall(file, data);
            throw enospc();
          },
          close: () => h.close(),
        };
      },
    },
  };
  return disk;
}
