// Copies everything one Store holds into a Postgres store (`npm run migrate -- --to postgres`).
// Reads only through the Store interface, so any adapter can be the source; writes through the
// Postgres store's importSnapshot, which keeps flow version numbers, active flags and record
// histories exact (the public interface would renumber versions and re-stamp transitions).
import type { Run } from '@flowdesk/schema';
import { isTerminal } from '@flowdesk/schema';
import type { DocCollection, DocCollections, Store, StoredFlow } from '../types.ts';
import type { DedupeEntry, ImportCounts, PostgresStore, StoreSnapshot } from './index.ts';
import type { FileStore } from '../../files/file-store.ts';
import type { DatabaseFileStore } from './files.ts';

export const DOC_COLLECTIONS: DocCollection[] = ['deadLetters', 'reviews', 'alerts', 'tasks', 'outbox', 'settings', 'kpiFacts', 'connections'];

export interface CopyOptions {
  /** 'all' (default): every run, finished ones too; 'open': open runs, plus finished runs that still hold a live dedupe claim */
  runs?: 'all' | 'open';
  /** the time claims are judged live against (default: now) */
  now?: string;
  /** page size when reading runs (default 1000) */
  pageSize?: number;
}

/** A source adapter may expose its dedupe claims exactly; otherwise they are rebuilt from runs. */
interface ClaimsSource {
  listDedupeClaims?(): Promise<DedupeEntry[]>;
}

async function allRuns(source: Store, pageSize: number): Promise<Run[]> {
  const out: Run[] = [];
  const seen = new Set<string>();
  let before: string | undefined;
  for (;;) {
    const page = await source.listRuns({ limit: pageSize, before });
    for (const r of page) if (!seen.has(r.id)) (seen.add(r.id), out.push(r));
    if (page.length < pageSize) break;
    before = page[page.length - 1].id;
  }
  // belt and braces: open runs are the ones that must not be lost
  for (const r of await source.listOpenRuns()) if (!seen.has(r.id)) (seen.add(r.id), out.push(r));
  return out;
}

/** Reads a whole store through the Store interface. */
export async function snapshotOf(source: Store, opts: CopyOptions = {}): Promise<StoreSnapshot> {
  const now = opts.now ?? new Date().toISOString();
  const flows: StoredFlow[] = [];
  for (const f of await source.listFlows()) flows.push(...(await source.listFlowVersions(f.id)));

  let runs = await allRuns(source, opts.pageSize ?? 1000);
  const exact = await (source as Store & ClaimsSource).listDedupeClaims?.();
  // claims: exact from the source when it can give them, else rebuilt from runs (newest run of a key holds it)
  const claims: DedupeEntry[] = (
    exact ??
    runs
      .filter((r) => r.idempotencyKey !== null && r.idempotencyKey !== undefined && r.dedupeExpiresAt !== undefined)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1))
      .map((r) => ({ flowId: r.flowId, key: r.idempotencyKey!, runId: r.id, expiresAt: r.dedupeExpiresAt! }))
  ).filter((c) => c.expiresAt > now);
  if (opts.runs === 'open') {
    const holders = new Set(claims.map((c) => c.runId));
    runs = runs.filter((r) => !isTerminal(r.status) || holders.has(r.id));
  }
  const kept = new Set(runs.map((r) => r.id));
  const dedupe = claims.filter((c) => kept.has(c.runId));

  const docs: StoreSnapshot['docs'] = {};
  for (const c of DOC_COLLECTIONS) (docs as Record<string, unknown>)[c] = (await source.listDocs(c)) as DocCollections[typeof c][];

  return {
    flows,
    runs,
    dedupe,
    rejected: await source.listRejected({ limit: Number.MAX_SAFE_INTEGER }),
    records: await source.listRecords({}),
    timers: await source.listTimers(),
    docs,
  };
}

export interface CopyResult extends ImportCounts {
  openRuns: number;
  flowIds: number;
  /** files that came with events, copied into the database (copyFiles) */
  files?: number;
}

/** Copies `source` into `target` (both opened). */
export async function copyStore(source: Store, target: PostgresStore, opts: CopyOptions = {}): Promise<CopyResult> {
  const snap = await snapshotOf(source, opts);
  const counts = await target.importSnapshot(snap);
  return {
    ...counts,
    openRuns: (snap.runs ?? []).filter((r) => !isTerminal(r.status)).length,
    flowIds: new Set((snap.flows ?? []).map((f) => f.id)).size,
  };
}

/** True when the target already holds anything a copy would collide with. */
export async function isEmptyStore(s: Store): Promise<boolean> {
  if ((await s.listFlows()).length) return false;
  if ((await s.countRuns()) > 0) return false;
  if ((await s.listRecords({})).length) return false;
  if ((await s.listTimers()).length) return false;
  for (const c of DOC_COLLECTIONS) if ((await s.listDocs(c)).length) return false;
  return true;
}

/**
 * Copies the files of every run the target holds (a `--runs open` copy leaves the others' out) into the
 * database under their own ids, so the runs' references keep pointing at them; resolves with how many.
 */
export async function copyFiles(source: FileStore, target: DatabaseFileStore, hasRun: (runId: string) => Promise<boolean>): Promise<number> {
  let n = 0;
  for (const owner of await source.owners()) {
    if (!(await hasRun(owner))) continue;
    for (const file of await source.list(owner)) {
      const opened = await source.open(file.id);
      if (!opened) continue;
      await target.adopt(file, opened.stream);
      n++;
    }
  }
  return n;
}
