// Store factory: the embedded lowdb+journal store by default, PostgreSQL when a database URL is
// given (FLOWDESK_DATABASE_URL). The PostgreSQL adapter is imported lazily so that the default path
// never loads `pg`.
import type { Store } from './types.ts';
import type { FileLayer } from './lowdb/file-layer.ts';
import type { ClusterSettings } from '../cluster/settings.ts';

export * from './types.ts';

export interface CreateStoreOptions {
  dataDir: string;
  fsync: boolean;
  databaseUrl?: string;
  log?: { warn(msg: string): void; info?(msg: string): void };
  /** the embedded store's file operations (tests watch or replace them); default node:fs */
  files?: FileLayer;
  /** PostgreSQL: the change feed's reconcile interval and the instance lease */
  cluster?: ClusterSettings;
}

/** Creates and opens the store (open() is idempotent, so a caller may call it again). */
export async function createStore(opts: CreateStoreOptions): Promise<Store> {
  let store: Store;
  if (opts.databaseUrl) {
    const { createPostgresStore } = await import('./postgres/index.ts');
    const { instanceIdOf } = await import('../cluster/instance-id.ts');
    store = createPostgresStore({
      url: opts.databaseUrl,
      log: opts.log,
      // a stable id per data dir: a restarted process takes back its own runs, not a live peer's
      instanceId: instanceIdOf(opts.dataDir),
      reconcileMs: opts.cluster?.reconcileMs,
      leaseMs: opts.cluster?.leaseMs,
    });
  } else {
    const { createLowdbStore } = await import('./lowdb/index.ts');
    store = createLowdbStore({ dataDir: opts.dataDir, fsync: opts.fsync, log: opts.log, files: opts.files });
  }
  await store.open();
  return store;
}
