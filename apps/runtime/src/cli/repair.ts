// npm run repair -- [--data-dir <dir>]
//
// Starts a damaged embedded data dir from what remains, and reports what was lost: files that lost
// acknowledged bytes (truncated, deleted), unreadable lines set aside, runs that timers, reviews or
// dead letters point at but that are gone. Nothing is deleted: damaged files are kept next to the
// repaired ones as `<name>.damaged-<time>`. Stop the runtime first (the repair takes the data dir's lock).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repairDataDir, type RepairReport } from '../store/lowdb/repair.ts';

const USAGE = 'usage: npm run repair -- [--data-dir <dir>]   (default: FLOWDESK_DATA_DIR or ./data)';

export function parseRepairArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): { dataDir: string } {
  let dataDir = env.FLOWDESK_DATA_DIR ?? './data';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data-dir') {
      const v = argv[++i];
      if (!v) throw new Error(`--data-dir needs a value\n${USAGE}`);
      dataDir = v;
    } else if (a.startsWith('--data-dir=')) dataDir = a.slice('--data-dir='.length);
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return { dataDir: resolve(dataDir) };
}

export function formatReport(dataDir: string, r: RepairReport): string {
  const lines = [`repaired ${dataDir}: ${r.runs} runs remain`];
  if (r.losses.length === 0 && r.salvaged.length === 0 && r.missingRuns.length === 0) lines.push('nothing was missing');
  for (const l of r.losses) lines.push(`LOST  ${l.file}: ${l.what}`);
  for (const s of r.salvaged) lines.push(`SET ASIDE  ${s.file}: ${s.droppedLines} unreadable line(s), ${s.droppedBytes} bytes dropped, ${s.keptLines} kept (original: ${s.movedTo})`);
  for (const m of r.missingRuns) lines.push(`MISSING RUN  ${m.runId} (referenced by ${m.referencedBy})`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { dataDir } = parseRepairArgs(process.argv.slice(2));
    const report = await repairDataDir(dataDir, { warn: (m) => console.error(m), info: () => {} });
    console.log(formatReport(dataDir, report));
  } catch (e) {
    console.error(`repair failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
