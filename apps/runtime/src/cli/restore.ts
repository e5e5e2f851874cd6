// npm run restore -- <backup dir> [--data <data dir>]
//
// Checks a backup (its manifest's checksum, then every file's size and sha256 as it is copied) and
// restores it into a new or empty data dir; a non-empty one is refused. Nothing is written to the
// data dir unless the whole backup checks out. Exit codes: 0 done, 1 refused or failed, 2 PostgreSQL.
import { pathToFileURL } from 'node:url';
import { restoreBackup } from '../store/lowdb/backup.ts';
import { parseBackupArgs, POSTGRES_ANSWER, RESTORE_USAGE } from './backup-args.ts';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.env.FLOWDESK_DATABASE_URL) {
    console.error(POSTGRES_ANSWER);
    process.exit(2);
  }
  try {
    const args = parseBackupArgs(process.argv.slice(2), RESTORE_USAGE);
    const r = await restoreBackup({ backupDir: args.dir, dataDir: args.dataDir });
    console.log(`restored ${args.dir} (taken ${r.manifest.createdAt} from ${r.manifest.source}) → ${r.dataDir}: ${r.files} files, ${r.bytes} bytes, every checksum verified`);
  } catch (e) {
    console.error(`restore failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
