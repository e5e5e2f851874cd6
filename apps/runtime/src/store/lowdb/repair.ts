// The repair command's work (`npm run repair`): start from what remains of a damaged data dir and say
// what was lost. Files are never deleted: an unreadable file is moved aside (`<name>.damaged-<time>`)
// and, for journals and change logs, rewritten with the lines that still read correctly. Then the
// store opens in repair mode (losses listed instead of refused), runs that other data still points at
// but that are gone are listed, and a fresh checkpoint records what the data dir holds from now on.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { StoreCorruptError } from '../types.ts';
import { createLowdbStore } from './index.ts';
import { parseLine } from './journal.ts';
import type { Loss } from './ack-verifier.ts';

export interface Salvage {
  file: string;
  /** where the damaged original was moved */
  movedTo: string;
  keptLines: number;
  droppedLines: number;
  droppedBytes: number;
}

export interface RepairReport {
  /** acknowledged data found missing (file, what) */
  losses: Loss[];
  /** files that could not be read and were rewritten from their good lines (or set aside) */
  salvaged: Salvage[];
  /** run ids that timers, reviews or dead letters point at, with no run left */
  missingRuns: { runId: string; referencedBy: string }[];
  runs: number;
}

function isGoodLine(file: string, line: Buffer): boolean {
  if (/\.log-\d+\.jsonl$/.test(file)) {
    try {
      const e = JSON.parse(line.toString('utf8')) as { k?: unknown; v?: unknown; del?: unknown };
      return !!e && typeof e.k === 'string' && (e.del === 1 || e.v !== undefined);
    } catch {
      return false;
    }
  }
  return parseLine(line, 0, line.length) !== undefined;
}

/** Moves `file` aside; for a line file, writes back the lines that still read. */
async function salvage(file: string, stamp: string): Promise<Salvage> {
  const movedTo = `${file}.damaged-${stamp}`;
  const buf = await readFile(file);
  await rename(file, movedTo);
  if (!file.endsWith('.jsonl')) return { file, movedTo, keptLines: 0, droppedLines: 1, droppedBytes: buf.length };
  const kept: Buffer[] = [];
  let dropped = 0;
  let droppedBytes = 0;
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(10, start);
    const end = nl < 0 ? buf.length : nl;
    const line = buf.subarray(start, end);
    if (nl >= 0 && isGoodLine(file, line)) kept.push(buf.subarray(start, end + 1));
    else if (line.length > 0) {
      dropped++;
      droppedBytes += line.length + (nl >= 0 ? 1 : 0);
    }
    start = end + 1;
  }
  await writeFile(file, Buffer.concat(kept), { mode: 0o600 });
  return { file, movedTo, keptLines: kept.length, droppedLines: dropped, droppedBytes };
}

export async function repairDataDir(dataDir: string, log: { warn(m: string): void; info?(m: string): void } = console): Promise<RepairReport> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const salvaged: Salvage[] = [];
  for (let attempt = 0; ; attempt++) {
    const store = createLowdbStore({ dataDir, fsync: true, verify: 'repair', log });
    try {
      await store.open();
    } catch (e) {
      // a file already set aside and still unreadable: no progress to be made here
      if (!(e instanceof StoreCorruptError) || attempt >= 100 || salvaged.some((s) => s.file === e.file)) throw e;
      log.warn(`repair: ${basename(e.file)} is unreadable (${e.message}); keeping its good lines, the original goes to *.damaged-${stamp}`);
      salvaged.push(await salvage(e.file, stamp));
      continue;
    }
    try {
      const runIds = new Set<string>();
      const refs: { runId: string; referencedBy: string }[] = [];
      for (const t of await store.listTimers()) if (t.runId) refs.push({ runId: t.runId, referencedBy: `timer ${t.id}` });
      for (const r of await store.listDocs('reviews')) if (r.status === 'open') refs.push({ runId: r.runId, referencedBy: `review ${r.id}` });
      for (const d of await store.listDocs('deadLetters')) if (d.status === 'open') refs.push({ runId: d.runId, referencedBy: `dead letter ${d.id}` });
      const missingRuns: RepairReport['missingRuns'] = [];
      for (const ref of refs) {
        if (runIds.has(ref.runId)) continue;
        if (await store.getRun(ref.runId)) runIds.add(ref.runId);
        else missingRuns.push(ref);
      }
      return { losses: store.losses(), salvaged, missingRuns, runs: await store.countRuns() };
    } finally {
      // closing writes a fresh checkpoint: from now on, what is there is what is acknowledged
      await store.close();
    }
  }
}
