// npm run migrate -- --to postgres [--from <dataDir>] [--url <postgres url>] [--runs all|open] [--force]
//
// Copies an embedded (lowdb) data dir into PostgreSQL: flows (every version, active flags), records
// (with their histories), runs (all by default; `--runs open` keeps open runs and those holding a live
// dedupe claim), dedupe claims, timers, dead letters, reviews, alerts, tasks, outbox, settings, KPI
// facts, rejected events, and the files that came with the copied runs (form uploads, e-mail
// attachments: from FLOWDESK_FILES_DIR or <data dir>/files into the database). The runtime using the
// data dir must be stopped (its lock is taken).
// The database's schema is created/migrated first. A non-empty target is refused unless --force.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createStore } from '../store/index.ts';
import { createPostgresStore } from '../store/postgres/index.ts';
import { copyFiles, copyStore, isEmptyStore, type CopyResult } from '../store/postgres/copy.ts';
import { createFileStore, filesDirFromEnv } from '../files/file-store.ts';

export interface MigrateArgs {
  to: string;
  from: string;
  url: string;
  runs: 'all' | 'open';
  force: boolean;
}

const USAGE = 'usage: npm run migrate -- --to postgres [--from <dataDir>] [--url <postgres url>] [--runs all|open] [--force]';

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): MigrateArgs {
  const out: Partial<MigrateArgs> = { runs: 'all', force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--to') out.to = value();
    else if (flag === '--from') out.from = value();
    else if (flag === '--url') out.url = value();
    else if (flag === '--runs') {
      const v = value();
      if (v !== 'all' && v !== 'open') throw new Error(`--runs must be all or open\n${USAGE}`);
      out.runs = v;
    } else if (flag === '--force') out.force = true;
    else if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (out.to !== 'postgres') throw new Error(`--to postgres is the only target\n${USAGE}`);
  out.from ??= env.FLOWDESK_DATA_DIR ?? './data';
  out.url ??= env.FLOWDESK_DATABASE_URL;
  if (!out.url) throw new Error(`no database: pass --url or set FLOWDESK_DATABASE_URL\n${USAGE}`);
  return out as MigrateArgs;
}

/** Redacts the password of a connection URL for printing. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

export function formatCounts(c: CopyResult): string {
  const d = c.docs;
  return [
    `flows          ${c.flowIds} (${c.flows} versions)`,
    `runs           ${c.runs} (${c.openRuns} open)`,
    `dedupe claims  ${c.dedupe}`,
    `records        ${c.records}`,
    `timers         ${c.timers}`,
    `dead letters   ${d.deadLetters}`,
    `reviews        ${d.reviews}`,
    `alerts         ${d.alerts}`,
    `tasks          ${d.tasks}`,
    `outbox         ${d.outbox}`,
    `settings       ${d.settings}`,
    `kpi facts      ${d.kpiFacts}`,
    `rejected       ${c.rejected}`,
    `files          ${c.files ?? 0}`,
  ].join('\n');
}

export async function runMigrate(argv: string[], out: (line: string) => void = console.log, env: NodeJS.ProcessEnv = process.env): Promise<CopyResult> {
  const args = parseArgs(argv, env);
  const dataDir = resolve(args.from);
  const log = { warn: (m: string) => out(`warn: ${m}`) };
  const target = createPostgresStore({ url: args.url, log });
  await target.open();
  try {
    if (!args.force && !(await isEmptyStore(target)))
      throw new Error(`the database ${safeUrl(args.url)} already holds Flowdesk data; pass --force to copy over it (same ids are overwritten)`);
    const source = await createStore({ dataDir, fsync: true, log });
    try {
      out(`copying ${dataDir} → ${safeUrl(args.url)}`);
      const copied = await copyStore(source, target, { runs: args.runs });
      const folder = createFileStore({ dir: filesDirFromEnv(env, dataDir), fsync: false, now: () => Date.now() });
      const counts = { ...copied, files: await copyFiles(folder, target.fileStore(() => Date.now()), async (id) => (await target.getRun(id)) !== undefined) };
      out(formatCounts(counts));
      out(`done: set FLOWDESK_DATABASE_URL to use PostgreSQL from the next start`);
      return counts;
    } finally {
      await source.close();
    }
  } finally {
    await target.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runMigrate(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`migrate: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
