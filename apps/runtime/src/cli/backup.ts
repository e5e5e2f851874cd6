// npm run backup -- <backup dir> [--data <data dir>]
//
// A consistent copy of the embedded data dir, taken while the runtime runs (see
// store/lowdb/backup.ts): every event acknowledged before it began is in it, with its dedupe claim.
// On PostgreSQL it says to use pg_dump instead. Exit codes: 0 done, 1 refused or failed, 2 PostgreSQL.
import { pathToFileURL } from 'node:url';
import { takeBackup } from '../store/lowdb/backup.ts';
import { BACKUP_USAGE, parseBackupArgs, POSTGRES_ANSWER } from './backup-args.ts';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.env.FLOWDESK_DATABASE_URL) {
    console.error(POSTGRES_ANSWER);
    process.exit(2);
  }
  try {
    const args = parseBackupArgs(process.argv.slice(2), BACKUP_USAGE);
    const r = await takeBackup({ dataDir: args.dataDir, target: args.dir, log: (m) => console.error(m) });
    console.log(
      `backed up ${r.manifest.source} → ${r.dir}: ${r.manifest.files.length} files, ${r.bytes} bytes (compaction paused ${r.frozenMs} ms); restore with: npm run restore -- ${r.dir} --data <empty dir>`,
    );
  } catch (e) {
    console.error(`backup failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
