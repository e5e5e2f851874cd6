// Arguments of `npm run backup` and `npm run restore`, and the PostgreSQL answer both give.
import { resolve } from 'node:path';

// the repo's root (where `npm start` keeps ./data), without loading the runtime
const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

export const BACKUP_USAGE = 'usage: npm run backup -- <backup dir> [--data <data dir>]   (data dir default: FLOWDESK_DATA_DIR or ./data)';
export const RESTORE_USAGE = 'usage: npm run restore -- <backup dir> [--data <data dir>]   (the data dir must be new or empty; default: FLOWDESK_DATA_DIR or ./data)';

/** What to do instead on PostgreSQL: the database is backed up by its own tools. */
export const POSTGRES_ANSWER = [
  'FLOWDESK_DATABASE_URL is set: this Flowdesk keeps its data in PostgreSQL, which `npm run backup` does not copy.',
  'Back the database up with its own tools:',
  '  pg_dump --format=custom --file=flowdesk-$(date +%F).dump "$FLOWDESK_DATABASE_URL"     (restore: pg_restore --dbname=<empty db> <file>)',
  'or continuous WAL archiving (pg_basebackup + archive_command) for point-in-time recovery.',
  'Uploaded files and e-mail attachments are in the database and go with it (if FLOWDESK_FILES_DIR names a shared folder instead, copy it alongside).',
].join('\n');

export interface BackupArgs {
  dir: string;
  dataDir: string;
}

/** `<dir> [--data <dataDir>]`; relative paths are taken from where npm was run (INIT_CWD). */
export function parseBackupArgs(argv: string[], usage: string, env: NodeJS.ProcessEnv = process.env): BackupArgs {
  const base = env.INIT_CWD ?? process.cwd();
  let dir: string | undefined;
  let data: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data' || a === '--data-dir') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new Error(`${a} needs a value\n${usage}`);
      data = v;
    } else if (a.startsWith('--data=') || a.startsWith('--data-dir=')) data = a.slice(a.indexOf('=') + 1);
    else if (a === '--help' || a === '-h') throw new Error(usage);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${usage}`);
    else if (dir === undefined) dir = a;
    else throw new Error(`one backup dir only (got ${dir} and ${a})\n${usage}`);
  }
  if (!dir) throw new Error(`the backup dir is missing\n${usage}`);
  const dataDir = data !== undefined ? resolve(base, data) : resolve(env.FLOWDESK_DATA_DIR ?? resolve(REPO_ROOT, 'data'));
  return { dir: resolve(base, dir), dataDir };
}
