// The embedded store: lowdb for the small mutable collections (flows, timers, settings, alerts),
// append-only JSON-lines journals in segments for everything that grows with history (runs, rejected
// events, records, reviews, dead letters, tasks, outbox, KPI facts). See ./README.md.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { EntityRecord, Flow, RejectedEvent, Run, RunStatus } from '@flowdesk/schema';
import {
  byEntityThenState,
  type RecordCount,
  StoreConflictError,
  StoreCorruptError,
  type StoreHealth,
  type CreateRunResult,
  type DedupeClaim,
  type OpenRunsPage,
  type ResumableRunsPage,
  type DocCollection,
  type DocCollections,
  type RunQuery,
  type Store,
  type StoredFlow,
  type Timer,
  type TransitionInput,
} from '../types.ts';
import { newStats, type StoreStats } from './append-log.ts';
import { Collection } from './collection.ts';
import { DocJournal, type DocIndexSnap, type MetaCodec } from './doc-journal.ts';
import { Journal, type Header, type Loc, type SegmentCover } from './journal.ts';
import { INDEX_SNAPSHOT, SnapReader, SnapWriter } from './index-snapshot.ts';
import { fsyncDir } from './fsutil.ts';
import { DirLock } from './lock.ts';
import { KEY_BYTES, keyDigest, keyHash, keyHashFromText, keyHashText, RunIndex, type Claim, type RunFields, type RunIndexSnap, type RunVersion } from './run-index.ts';
import { nodeFiles, type FileLayer } from './file-layer.ts';
import { Checkpoint, encodeCheckpoint } from './checkpoint.ts';
import { CompactionGate } from './compaction-gate.ts';
import { AckVerifier, type Loss, type VerifyMode } from './ack-verifier.ts';
import { WriteHealth } from './write-health.ts';
import { RunCache } from './run-cache.ts';
import { createLocalExclusive } from '../exclusive.ts';

export interface LowdbStoreOptions {
  dataDir: string;
  /** fdatasync every group commit (FLOWDESK_FSYNC=1) */
  fsync: boolean;
  log?: { warn(msg: string): void; info?(msg: string): void };
  /** journal segment size before rolling (default 64 MB) */
  segmentBytes?: number;
  /** a collection's change log is folded into its lowdb file past max(this, 2 × file size) (default 1 MB) */
  compactBytes?: number;
  /** the file operations durability rests on (default node:fs); tests watch or replace them */
  files?: FileLayer;
  /** bytes of open runs' JSON kept in memory (default 16 MB, at most a sixteenth of the heap limit); the rest is read from disk when needed */
  runCacheBytes?: number;
  /**
   * 'strict' (default): open() refuses when acknowledged data is missing. 'repair' (the repair
   * command): it starts from what remains and lists what was lost in `losses()`.
   */
  verify?: VerifyMode;
  /** how often a failing store probes whether the disk takes writes again (ms, default 1000) */
  probeMs?: number;
}

export interface LowdbStoreStats extends StoreStats {
  runs: number;
  /** open runs whose JSON is held in memory (bounded by runCacheBytes) */
  cachedRuns: number;
  cachedRunBytes: number;
  claims: number;
  /** run documents read (parsed) by getRun, listRuns and listOpenRuns* since open */
  runReads: number;
  /** bytes of idempotency/record key material in the index (truncated hashes: bounded per run) */
  keyChars: number;
  /** documents (records, reviews, dead letters, …) read from their journals since open */
  docReads: number;
}

/** A crash-consistent cut of the data dir, held for a backup to copy (see ./README.md, Backups). */
export interface StoreFreeze {
  dataDir: string;
  /** the store's files relative to the data dir: each to be copied up to `bytes` (absent: whole, unchanged while frozen) */
  files: { rel: string; bytes?: number }[];
  /** checkpoint text for the copy: it claims exactly the bytes listed */
  checkpoint: string;
  /** compaction resumes (also when the store closes) */
  release(): void;
}

export interface LowdbStore extends Store {
  stats(): LowdbStoreStats;
  /** Resolves once background compactions have finished (tests, benchmarks, orderly shutdown). */
  idle(): Promise<void>;
  /** What open() found missing but accepted (FLOWDESK_FSYNC=0 tails, or everything in repair mode). */
  losses(): Loss[];
  /**
   * Pauses compaction (waiting for a running one) and answers every file's durable length now: everything
   * acknowledged so far lies within those lengths, and nothing below them changes until release().
   */
  freeze(): Promise<StoreFreeze>;
}

interface RejectedEntry {
  id: string;
  at: string;
  flowId: string | undefined;
  seg: number;
  off: number;
  len: number;
}

/** Collections that stay small: held in memory, lowdb file + change log. */
const LOWDB_DOCS = ['alerts', 'settings', 'connections'] as const;
type LowdbDoc = (typeof LOWDB_DOCS)[number];
/** Collections that grow with history: values on disk, index in memory. */
const JOURNAL_DOCS = ['deadLetters', 'reviews', 'tasks', 'outbox', 'kpiFacts'] as const;
type JournalDoc = (typeof JOURNAL_DOCS)[number];
/** What a starting instance drives again: runs that were moving, or waiting on a timer it must arm. */
const RESUMABLE = new Set<RunStatus>(['queued', 'running', 'waiting']);
const isJournalDoc = (c: DocCollection): c is JournalDoc => (JOURNAL_DOCS as readonly string[]).includes(c);
/**
 * Journal collections whose documents' `status` the index keeps (line header `st`): counted without
 * reading them (GET /metrics' open reviews and dead letters at every scrape, however many are parked).
 */
const STATUS_DOCS: ReadonlySet<string> = new Set<JournalDoc>(['deadLetters', 'reviews']);
/** A document's status as the index keeps it; null: unknown (a line written before it was kept). */
type StatusMeta = string | null;
const statusCodec: MetaCodec<StatusMeta> = {
  toHeader: (m, h) => {
    if (m !== null) h.st = m;
  },
  fromHeader: (h) => (typeof h.st === 'string' ? h.st : null),
  key: (m) => (typeof m === 'string' ? m : '\u0000'),
};
const statusMeta = (c: JournalDoc, doc: unknown): StatusMeta => {
  const st = STATUS_DOCS.has(c) ? (doc as { status?: unknown }).status : undefined;
  return typeof st === 'string' ? st : null;
};

interface RecordMeta {
  entity: string;
  state: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface SnapshotManifest {
  runs: RunIndexSnap;
  runsTotal: number;
  runsFloor: number;
  rejected: [string, string, string | null, number, number, number][];
  docs: Record<string, unknown>;
  journals: Record<string, SegmentCover[]>;
}

/** A new index snapshot once the runs journal grew this much since the last (bounds what a restart replays). */
const SNAPSHOT_EVERY_BYTES = 32 << 20;
/** After a start that read every line: a snapshot when the indexes are this big (a small store starts fast anyway). */
const SNAPSHOT_AFTER_ITEMS = 2000;
const SNAPSHOT_DELAY_MS = 1000;
/**
 * The KPI facts' journal is written at most this often (its appends gathered meanwhile): no request
 * waits on a fact (the runner does not hold a run's slot for it), and at saturation a write and an
 * fdatasync of a second journal every tick cost more CPU per event than the fact itself.
 */
const KPI_FACTS_WRITE_INTERVAL_MS = 25;
/** Key digests remembered (the keys of the runs being written; cleared when full). */
const KEY_DIGESTS_KEPT = 4096;

/** 16 MB, or less under a small heap bound (`--max-old-space-size`): a cache must not crowd out the work. */
function defaultRunCacheBytes(): number {
  return Math.min(16 << 20, Math.floor(getHeapStatistics().heap_size_limit / 16));
}

export function createLowdbStore(opts: LowdbStoreOptions): LowdbStore {
  return new LowdbJournalStore(opts);
}

class LowdbJournalStore implements LowdbStore {
  private readonly dataDir: string;
  private readonly dbDir: string;
  private readonly journalDir: string;
  private readonly warn: (msg: string) => void;
  private readonly counters = newStats();
  private readonly lock: DirLock;
  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private opening: Promise<void> | undefined;

  // lowdb collections
  private flows!: Collection;
  private timers!: Collection;
  private lowDocs!: Record<LowdbDoc, Collection>;
  private latestFlow = new Map<string, number>();
  private timerDue = new Map<string, number>();
  // journaled document collections
  private records!: DocJournal<RecordMeta>;
  private jDocs!: Record<JournalDoc, DocJournal<StatusMeta>>;

  // journals
  private runsJ!: Journal;
  private rejectedJ!: Journal;
  private runs = new RunIndex();
  private rejected: RejectedEntry[] = []; // ascending at
  private runsLive = 0; // bytes of the runs' latest snapshots
  private runsTotal = 0; // bytes in the runs journal
  private runsFloor = 0;
  private runsCompacting = false;
  private pruneChain: Promise<unknown> = Promise.resolve();
  private readonly files: FileLayer;
  private readonly info: (msg: string) => void;
  private readonly health_: WriteHealth;
  private checkpoint!: Checkpoint;
  private lost: Loss[] = [];
  private readonly cache: RunCache;
  private runReads = 0;
  private readonly gate = new CompactionGate();
  private readonly freezes = new Set<() => void>();
  private newDocJournals: () => void = () => {};
  // the index snapshot (index-snapshot.ts)
  private snapshotting: Promise<void> | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** runsTotal when the last index snapshot was taken */
  private snapshotBytesAt = 0;

  constructor(private readonly opts: LowdbStoreOptions) {
    this.dataDir = resolve(opts.dataDir);
    this.dbDir = join(this.dataDir, 'db');
    this.journalDir = join(this.dataDir, 'journal');
    this.warn = opts.log ? (m) => opts.log!.warn(m) : (m) => console.warn(m);
    this.info = opts.log?.info ? (m) => opts.log!.info!(m) : () => {};
    this.lock = new DirLock(this.dataDir);
    this.files = opts.files ?? nodeFiles;
    this.health_ = new WriteHealth(this.journalDir, this.dataDir, opts.probeMs);
    this.cache = new RunCache(opts.runCacheBytes ?? defaultRunCacheBytes());
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  open(): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new Error('store is closed'));
    this.opening ??= this.doOpen();
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    this.state = 'opening';
    await mkdir(this.dbDir, { recursive: true });
    await mkdir(this.journalDir, { recursive: true });
    await this.lock.acquire(this.opts.fsync, this.warn);
    try {
      for (const dir of [this.dbDir, this.journalDir]) {
        for (const n of await readdir(dir)) if (n.endsWith('.tmp')) await unlink(join(dir, n)).catch(() => {});
      }
      this.checkpoint = new Checkpoint(this.dataDir, this.files, this.opts.fsync, this.warn);
      const { doc: acked, present } = await this.checkpoint.load();
      const verify = new AckVerifier(this.dataDir, acked, this.opts.verify ?? 'strict', this.warn);
      const shared = { fsync: this.opts.fsync, stats: this.counters, warn: this.warn, info: this.info, files: this.files, health: this.health_, checkpoint: this.checkpoint, gate: this.gate };
      const copts = { ...shared, compactBytes: this.opts.compactBytes ?? 1 << 20 };
      this.flows = new Collection(this.dbDir, 'flows', copts);
      this.timers = new Collection(this.dbDir, 'timers', copts);
      this.lowDocs = Object.fromEntries(LOWDB_DOCS.map((c) => [c, new Collection(this.dbDir, c, copts)])) as Record<LowdbDoc, Collection>;
      for (const c of [this.flows, this.timers, ...Object.values(this.lowDocs)]) await c.open(verify);
      for (const json of this.flows.items.values()) {
        const f = JSON.parse(json) as StoredFlow;
        if ((this.latestFlow.get(f.id) ?? 0) < f.version) this.latestFlow.set(f.id, f.version);
      }
      for (const [k, json] of this.timers.items) this.timerDue.set(k, Date.parse((JSON.parse(json) as Timer).dueAt));

      const jopts = { ...shared, segmentBytes: this.opts.segmentBytes ?? 64 << 20, relDir: 'journal' };
      const dopts = { ...jopts, compactBytes: this.opts.compactBytes ?? 1 << 20, onCompacted: () => this.scheduleIndexSnapshot() };
      const recordCodec: MetaCodec<RecordMeta> = {
        toHeader: (m, h) => {
          h.en = m.entity;
          h.st = m.state;
        },
        fromHeader: (h) => ({ entity: String(h.en), state: String(h.st) }),
        key: (m) => `${m.entity}\u0000${m.state}`,
      };
      this.newDocJournals = () => {
        this.records = new DocJournal<RecordMeta>(this.journalDir, 'records', dopts, recordCodec);
        // (the other journals keep no meta: their codec ignores the null statusMeta gives them)
        this.jDocs = Object.fromEntries(
          JOURNAL_DOCS.map((c) => [
            c,
            STATUS_DOCS.has(c)
              ? new DocJournal(this.journalDir, c, dopts, statusCodec)
              : new DocJournal<StatusMeta>(this.journalDir, c, c === 'kpiFacts' ? { ...dopts, minIntervalMs: KPI_FACTS_WRITE_INTERVAL_MS } : dopts),
          ]),
        ) as Record<JournalDoc, DocJournal<StatusMeta>>;
      };
      this.newDocJournals();
      this.runsJ = new Journal(this.journalDir, 'runs', jopts);
      this.rejectedJ = new Journal(this.journalDir, 'rejected', jopts);
      // the indexes as the index snapshot left them, if it still matches the journals: then only the
      // lines written after it are read; else (or in repair) every line, as always
      const covers = this.opts.verify === 'repair' ? await this.dropIndexSnapshot() : await this.restoreIndexSnapshot();
      for (const [name, d] of this.docJournals()) await d.open(verify, covers?.get(name));
      if (covers) this.runs.startTail();
      else this.runs.startBulk();
      await this.runsJ.open((h, loc) => this.indexRunLine(h, loc), verify, covers?.get('runs'));
      if (covers) this.runs.finishTail();
      else this.runs.finishBulk();
      await this.rejectedJ.open((h, loc) => {
        this.rejected.push({ id: String(h.id), at: String(h.at), flowId: str(h.f), seg: loc.seg, off: loc.off, len: loc.len });
      }, verify, covers?.get('rejected'));
      verify.finish(present);
      this.lost = verify.losses;
      for (const slot of this.runs.ascending()) this.runsLive += this.runs.len[slot];
      this.rejected.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      // what is on disk now is what is acknowledged: written (fsync'ed) before anything new is
      await this.checkpoint.write(true);
      this.snapshotBytesAt = this.runsTotal;
      if (!covers && this.runs.size + this.records.size > SNAPSHOT_AFTER_ITEMS) this.scheduleIndexSnapshot();
      // open runs are read from disk when needed (in pages at start), never all at once
      this.state = 'open';
      // `npm run backup` reaches a running store through its lock (an authenticated freeze)
      this.lock.onControl = async () => {
        const { release, ...reply } = await this.freeze();
        return { reply, release };
      };
    } catch (e) {
      await this.closeFiles();
      await this.lock.release();
      this.state = 'new';
      this.opening = undefined;
      this.reset();
      throw e;
    }
  }

  /** The document journals by name (as the index snapshot names them). */
  private docJournals(): [string, DocJournal<unknown>][] {
    return [['records', this.records as DocJournal<unknown>], ...Object.entries(this.jDocs)];
  }

  private allJournals(): [string, Journal][] {
    return [['runs', this.runsJ], ['rejected', this.rejectedJ], ...this.docJournals().map(([n, d]): [string, Journal] => [n, d.journal])];
  }

  private get snapshotFile(): string {
    return join(this.journalDir, INDEX_SNAPSHOT);
  }

  /** Repair starts from the journals alone: a snapshot of indexes it is about to change goes. */
  private async dropIndexSnapshot(): Promise<undefined> {
    await unlink(this.snapshotFile).catch(() => {});
    return undefined;
  }

  /**
   * Loads the index snapshot into the (empty) indexes if it still matches every journal; answers the
   * segment covers to read past, or undefined (nothing loaded: every line is read).
   */
  private async restoreIndexSnapshot(): Promise<Map<string, Map<number, SegmentCover>> | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(this.snapshotFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.info(`store: cannot read the index snapshot (${(e as Error).message}); reading every journal line`);
      return undefined;
    }
    const stale = (why: string): undefined => {
      this.info(`store: the index snapshot ${why}; reading every journal line`);
      return undefined;
    };
    const r = SnapReader.decode(buf);
    const m = r?.manifest as SnapshotManifest | undefined;
    if (!r || !m || typeof m !== 'object' || typeof m.journals !== 'object' || m.journals === null) return stale('is damaged or of another version');
    const covers = new Map<string, Map<number, SegmentCover>>();
    for (const [name, j] of this.allJournals()) {
      const list = m.journals[name];
      if (!Array.isArray(list)) return stale(`does not cover the ${name} journal`);
      if (!(await j.coverStillHolds(list))) return stale(`no longer matches the ${name} journal (rewritten, cut or changed since)`);
      covers.set(name, new Map(list.map((c) => [c.seg, c])));
    }
    try {
      this.runs.restore(m.runs, r);
      for (const [name, d] of this.docJournals()) d.restore(m.docs[name] as DocIndexSnap<unknown>, r);
      this.rejected = m.rejected.map(([id, at, flowId, seg, off, len]) => ({ id, at, flowId: flowId ?? undefined, seg, off, len }));
      this.runsTotal = m.runsTotal;
      this.runsFloor = m.runsFloor;
    } catch (e) {
      // partly loaded: start the indexes afresh
      this.runs = new RunIndex();
      this.rejected = [];
      this.runsTotal = 0;
      this.runsFloor = 0;
      this.newDocJournals();
      return stale(`cannot be loaded (${(e as Error).message})`);
    }
    return covers;
  }

  /** Writes the index snapshot soon (coalesced), in the background. */
  private scheduleIndexSnapshot(): void {
    if (this.snapshotTimer || this.state === 'closed') return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      if (this.state === 'open') void this.writeIndexSnapshot(false).catch((e: Error) => this.warn(`store: could not write the index snapshot: ${e.message}`));
    }, SNAPSHOT_DELAY_MS);
    this.snapshotTimer.unref();
  }

  /**
   * Writes the index snapshot: the indexes and every journal's length are taken at one instant
   * (synchronously, compaction held off); once those bytes are durable — and only if no write failed
   * meanwhile, which would have rolled part of that view back — their CRCs are taken and the file is
   * replaced atomically.
   */
  private writeIndexSnapshot(closing: boolean): Promise<void> {
    this.snapshotting ??= (async () => {
      const thaw = await this.gate.freeze();
      let pool: Buffer | undefined;
      try {
        if (!closing && this.state !== 'open') return;
        const t0 = performance.now();
        // memory for the copy made ready first, in slices (what the indexes need now, and room to grow)
        const measure = new SnapWriter({ measure: true });
        for (const [, d] of this.docJournals()) d.snapshot(measure);
        this.runs.snapshot(measure);
        pool = await SnapWriter.reserve(Math.ceil(measure.bytes * 1.125) + (64 << 10));
        if (!closing && this.state !== 'open') return;
        const failed = this.counters.failedWrites;
        const copyAt = performance.now();
        const w = new SnapWriter({ pool });
        const journals = this.allJournals();
        const cov = journals.map(([, j]) => j.coverage());
        const docs: Record<string, DocIndexSnap<unknown>> = {};
        for (const [name, d] of this.docJournals()) docs[name] = d.snapshot(w);
        const manifest: SnapshotManifest = {
          runs: this.runs.snapshot(w),
          runsTotal: this.runsTotal,
          runsFloor: this.runsFloor,
          rejected: this.rejected.map((e) => [e.id, e.at, e.flowId ?? null, e.seg, e.off, e.len]),
          docs,
          journals: {},
        };
        this.snapshotBytesAt = this.runsTotal;
        // the one part that holds the event loop, and grows with the indexes
        const copyMs = performance.now() - copyAt;
        await Promise.all(journals.map(([, j]) => j.drain()));
        if (this.counters.failedWrites !== failed) return;
        for (let i = 0; i < journals.length; i++) {
          const c = await journals[i]![1].coverCrcs(cov[i]!);
          if (!c) return;
          manifest.journals[journals[i]![0]] = c;
        }
        const file = this.snapshotFile;
        const tmp = `${file}.${process.pid}.tmp`;
        // written in slices with turns of the event loop between them: requests go on meanwhile
        const fh = await open(tmp, 'w', 0o600);
        let bytes = 0;
        try {
          bytes = await w.writeFile(fh, manifest);
          if (this.opts.fsync) await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, file);
        if (this.opts.fsync) await fsyncDir(this.journalDir);
        this.info(`store: wrote the indexes' snapshot, ${bytes} bytes: copied in ${copyMs.toFixed(1)} ms (event loop held), written in ${(performance.now() - t0).toFixed(0)} ms in all`);
      } finally {
        // freed now, not whenever a mark-compact comes (an idle runtime held it: stop 40 in docs/performance.md)
        if (pool) SnapWriter.release(pool);
        thaw();
      }
    })().finally(() => (this.snapshotting = undefined));
    return this.snapshotting;
  }

  private reset(): void {
    this.latestFlow.clear();
    this.timerDue.clear();
    this.runs.clear();
    this.cache.clear();
    this.rejected = [];
    this.runsLive = 0;
    this.runsTotal = 0;
  }

  /** A run line's header into the index. Lines written before keys were hashed carry raw keys (k, rk, dk). */
  private indexRunLine(h: Header, loc: Loc): void {
    this.runsTotal += loc.len;
    // header hashes are base64url text (of the whole sha256, or of the index's KEY_BYTES); the index keeps bytes
    const hashed = (hk: unknown, raw: unknown): Uint8Array | undefined =>
      typeof hk === 'string' ? keyHashFromText(hk) : typeof raw === 'string' ? keyHash(raw) : undefined;
    const kh = hashed(h.kh, h.k);
    const rkh = h.rkh !== undefined && h.rkh === h.kh ? kh : typeof h.rkh === 'string' ? keyHashFromText(h.rkh) : typeof h.rk === 'string' ? (h.rk === h.k ? kh : keyHash(h.rk)) : undefined;
    const { slot } = this.runs.upsert(
      {
        id: String(h.id),
        flowId: String(h.f),
        status: String(h.s),
        createdAt: String(h.c),
        endedAt: str(h.e),
        keyHash: kh,
        recordEntity: str(h.re),
        recordKeyHash: rkh,
      },
      loc.seg,
      loc.off,
      loc.len,
    );
    const dkh = h.dkh !== undefined && h.dkh === h.kh ? kh : typeof h.dkh === 'string' ? keyHashFromText(h.dkh) : typeof h.dk === 'string' ? (h.dk === h.k ? kh : keyHash(h.dk)) : undefined;
    if (dkh !== undefined && typeof h.dx === 'number') this.runs.setClaim(slot, { flowId: String(h.df), keyHash: dkh, expires: h.dx });
  }

  private locOf(slot: number): Loc {
    return { seg: this.runs.seg[slot], off: this.runs.off[slot], len: this.runs.len[slot] };
  }

  private segmentFile(seg: number): string {
    return join(this.journalDir, `runs-${String(seg).padStart(6, '0')}.jsonl`);
  }

  private async closeFiles(): Promise<void> {
    const all: { close(): Promise<void> }[] = [];
    for (const j of [this.runsJ, this.rejectedJ, this.records, ...Object.values(this.jDocs ?? {})]) if (j) all.push(j);
    for (const c of [this.flows, this.timers, ...Object.values(this.lowDocs ?? {})]) if (c) all.push(c);
    await Promise.all(all.map((x) => x.close().catch(() => {})));
    this.health_.close();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'opening') await this.opening?.catch(() => {});
    if (this.state !== 'open') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    // a backup still copying loses its hold: compactions waiting at the gate must finish for close
    for (const release of [...this.freezes]) release();
    await this.pruneChain.catch(() => {});
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
    await this.snapshotting?.catch(() => {});
    // the indexes as they are now: the next start reads them instead of every line
    await this.writeIndexSnapshot(true).catch((e: Error) => this.warn(`store: could not write the index snapshot at close: ${e.message}`));
    await this.closeFiles();
    // everything durable is claimed, fsync'ed: a later truncation of any file is seen at the next open
    await this.checkpoint.write(true).catch((e: Error) => this.warn(`store: could not write the checkpoint at close: ${e.message}`));
    await this.checkpoint.close();
    await this.lock.release();
  }

  async freeze(): Promise<StoreFreeze> {
    this.check();
    const thaw = await this.gate.freeze();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.freezes.delete(release);
      thaw();
    };
    this.freezes.add(release);
    if (this.state !== 'open') {
      release();
      throw new Error('store closed while a backup was starting');
    }
    // synchronous from here: every claim is taken at one instant, so the copy is a state a crash could leave
    const cut = this.checkpoint.cut();
    const files: StoreFreeze['files'] = [];
    for (const [rel, c] of Object.entries(cut.files)) files.push({ rel, bytes: c.bytes });
    for (const rel of Object.keys(cut.snapshots)) files.push({ rel });
    files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    return { dataDir: this.dataDir, files, checkpoint: encodeCheckpoint({ ...cut, gen: 1 }), release };
  }

  private check(): void {
    if (this.state !== 'open') throw new Error(`store is not open (${this.state})`);
  }

  async idle(): Promise<void> {
    for (;;) {
      const chain = this.pruneChain;
      await chain.catch(() => {});
      await Promise.all([this.records, ...Object.values(this.jDocs)].map((d) => d.idle()));
      await Promise.all([this.flows, this.timers, ...Object.values(this.lowDocs)].map((c) => c.idle()));
      if (chain === this.pruneChain) return;
    }
  }

  stats(): LowdbStoreStats {
    return {
      ...this.counters,
      runs: this.runs.size,
      cachedRuns: this.cache.size,
      cachedRunBytes: this.cache.bytes,
      claims: this.runs.claimCount(),
      runReads: this.runReads,
      keyChars: this.runs.keyChars(),
      docReads: [...this.docJournals()].reduce((n, [, d]) => n + d.reads, 0),
    };
  }

  losses(): Loss[] {
    return [...this.lost];
  }

  health(): StoreHealth {
    return this.health_.health();
  }

  onHealthChange(fn: (h: StoreHealth) => void): void {
    this.health_.onChange(fn);
  }

  // ───────────────────────────── flows ─────────────────────────────

  async putFlow(doc: Flow, at: string): Promise<StoredFlow> {
    this.check();
    const prior = this.latestFlow.get(doc.id);
    const version = (prior ?? 0) + 1;
    this.latestFlow.set(doc.id, version);
    const sf: StoredFlow = { id: doc.id, version, active: doc.active !== false, doc: { ...doc, version }, deployedAt: at };
    const json = JSON.stringify(sf);
    await this.flows.set(`${doc.id}@${version}`, json, () => {
      if (this.latestFlow.get(doc.id) !== version) return;
      if (prior === undefined) this.latestFlow.delete(doc.id);
      else this.latestFlow.set(doc.id, prior);
    });
    return JSON.parse(json) as StoredFlow;
  }

  private flowJson(id: string, version?: number): string | undefined {
    const v = version ?? this.latestFlow.get(id);
    return v === undefined ? undefined : this.flows.get(`${id}@${v}`);
  }

  async getFlow(id: string, version?: number): Promise<StoredFlow | undefined> {
    this.check();
    const json = this.flowJson(id, version);
    return json === undefined ? undefined : (JSON.parse(json) as StoredFlow);
  }

  async listFlows(): Promise<StoredFlow[]> {
    this.check();
    return [...this.latestFlow.keys()].map((id) => JSON.parse(this.flowJson(id)!) as StoredFlow);
  }

  async listFlowVersions(id: string): Promise<StoredFlow[]> {
    this.check();
    const out: StoredFlow[] = [];
    const latest = this.latestFlow.get(id) ?? 0;
    for (let v = 1; v <= latest; v++) {
      const json = this.flows.get(`${id}@${v}`);
      if (json !== undefined) out.push(JSON.parse(json) as StoredFlow);
    }
    return out;
  }

  async setFlowActive(id: string, active: boolean, hold = false): Promise<void> {
    this.check();
    const v = this.latestFlow.get(id);
    if (v === undefined) return;
    const sf = JSON.parse(this.flows.get(`${id}@${v}`)!) as StoredFlow;
    const held = hold && !active;
    if (sf.active === active && !!sf.hold === held) return;
    sf.active = active;
    if (held) sf.hold = true;
    else delete sf.hold;
    await this.flows.set(`${id}@${v}`, JSON.stringify(sf));
  }

  // ───────────────────────────── runs ─────────────────────────────

  async createRun(run: Run, dedupe?: DedupeClaim): Promise<CreateRunResult> {
    this.check();
    let claim: Claim | undefined;
    if (dedupe) {
      // check and take the claim synchronously: no await before the write is queued. The claim is by
      // the key's hash: any key length, bounded memory.
      const kh = this.digestOf(dedupe.key).digest.subarray(0, KEY_BYTES);
      const cur = this.runs.claimant(dedupe.flowId, kh);
      if (cur >= 0 && this.runs.claimExpires(cur) > Date.parse(dedupe.now)) return this.duplicateOf(cur, this.runs.id(cur));
      claim = { flowId: dedupe.flowId, keyHash: kh, expires: Date.parse(dedupe.expiresAt) };
    }
    // a failed write takes the run and its claim out of the index again before this rejects
    const { slot, done } = this.writeRun(run, claim);
    this.runs.ready.set(slot, done);
    try {
      await done;
    } finally {
      if (this.runs.ready.get(slot) === done) this.runs.ready.delete(slot);
    }
    return { run, duplicate: false };
  }

  private async duplicateOf(slot: number, id: string): Promise<CreateRunResult> {
    // answer with the first run only once it is on disk (its failed write fails this too)
    const ready = this.runs.ready.get(slot);
    if (ready) await ready;
    const json = await this.runJson(id);
    if (json === undefined) throw new Error(`run ${id} vanished while answering a duplicate`);
    this.runReads++;
    return { run: JSON.parse(json) as Run, duplicate: true };
  }

  async saveRun(run: Run): Promise<void> {
    this.check();
    await this.writeRun(run, undefined).done;
  }

  async saveRunFrom(run: Run, from: RunStatus): Promise<boolean> {
    this.check();
    // one process per data dir: the check and the index update happen with no await between them
    const slot = this.runs.slot(run.id);
    if (slot < 0 || this.runs.status(slot) !== from) return false;
    await this.writeRun(run, undefined).done;
    return true;
  }

  /**
   * Indexes and queues the run's new snapshot, synchronously. Keys go to the header and the index as
   * hashes only (the raw key stays in the run document). If the write fails, the index is back on the
   * version before it (or without the run, and its claim) before `done` rejects.
   */
  private writeRun(run: Run, claim: Claim | undefined): { slot: number; done: Promise<void> } {
    const json = JSON.stringify(run);
    const h: Header = { id: run.id, f: run.flowId, s: run.status, c: run.createdAt };
    if (run.endedAt !== undefined) h.e = run.endedAt;
    const key = run.idempotencyKey ?? undefined;
    // headers keep the whole sha256 as base64url (the format lines have always had); the index its first bytes
    const kdm = key === undefined ? undefined : this.digestOf(key);
    const kd = kdm?.digest;
    const kh = kd?.subarray(0, KEY_BYTES);
    if (kdm !== undefined) h.kh = kdm.text;
    let rkh: Uint8Array | undefined;
    if (run.record) {
      const rdm = run.record.key === key ? kdm! : this.digestOf(run.record.key);
      rkh = rdm.digest.subarray(0, KEY_BYTES);
      h.re = run.record.entity;
      h.rkh = rdm.text;
    }
    const existing = this.runs.slot(run.id);
    const c = claim ?? (existing >= 0 ? this.runs.claim(existing) : undefined);
    if (c) {
      h.df = c.flowId;
      h.dkh = kh !== undefined && Buffer.compare(c.keyHash, kh) === 0 ? h.kh : keyHashText(c.keyHash);
      h.dx = c.expires;
    }
    const fields: RunFields = {
      id: run.id,
      flowId: run.flowId,
      status: run.status,
      createdAt: run.createdAt,
      endedAt: run.endedAt,
      keyHash: kh,
      recordEntity: run.record?.entity,
      recordKeyHash: rkh,
    };
    const version: RunVersion = { fields, seg: 0, off: 0, len: 0, claim: c, prev: existing >= 0 ? (this.runs.head(existing) ?? this.runs.capture(existing)) : null };
    const { loc, done } = this.runsJ.append(h, json, () => this.undoRunWrite(version));
    version.seg = loc.seg;
    version.off = loc.off;
    version.len = loc.len;
    const { slot, oldLen } = this.runs.upsert(fields, loc.seg, loc.off, loc.len);
    if (claim) this.runs.setClaim(slot, claim);
    this.runs.setHead(slot, version);
    this.runsTotal += loc.len;
    this.runsLive += loc.len - oldLen;
    // kept in memory: the parked runs a timer, a review or a release reads back. A queued or running
    // snapshot's drive holds the run itself, and a finished one is rarely read: kept, each would outlive
    // a scavenge or two at saturation and be promoted (runJson still caches any open run it reads)
    if (run.status === 'waiting' || run.status === 'needs_review' || run.status === 'held') this.cache.set(slot, json);
    else this.cache.delete(slot);
    this.maybeCompactRuns();
    if (this.runsTotal - this.snapshotBytesAt > SNAPSHOT_EVERY_BYTES) this.scheduleIndexSnapshot();
    return {
      slot,
      done: done.then(() => {
        if (this.runs.holds(slot, run.id)) this.runs.settled(slot, version);
      }),
    };
  }

  /**
   * A key's sha256 and its base64url text, remembered for the keys seen last: a run's creating write,
   * its dedupe claim and its later writes hash the same key (the buffers are never written to).
   */
  private digestOf(key: string): { digest: Buffer; text: string } {
    let d = this.keyDigests.get(key);
    if (d === undefined) {
      if (this.keyDigests.size >= KEY_DIGESTS_KEPT) this.keyDigests.clear();
      const digest = keyDigest(key);
      d = { digest, text: digest.toString('base64url') };
      this.keyDigests.set(key, d);
    }
    return d;
  }
  private readonly keyDigests = new Map<string, { digest: Buffer; text: string }>();

  /** A run write failed: the index goes back to what is on disk. */
  private undoRunWrite(v: RunVersion): void {
    this.runsTotal -= v.len;
    const slot = this.runs.slot(v.fields.id);
    if (slot < 0) return;
    const { undone, liveDelta } = this.runs.undo(slot, v);
    if (!undone) return;
    this.runsLive += liveDelta;
    this.cache.delete(slot);
  }

  /** The run's latest snapshot text: from memory while cached or in flight, else from its segment. */
  private async runJson(id: string): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      const slot = this.runs.slot(id);
      if (slot < 0) return undefined; // pruned meanwhile
      const cached = this.cache.get(slot);
      if (cached !== undefined) return cached;
      const loc = this.locOf(slot);
      const json = await this.runsJ.read(loc, id);
      if (json !== undefined) {
        if (!this.runs.isTerminal(slot) && this.runs.holds(slot, id) && this.runs.seg[slot] === loc.seg && this.runs.off[slot] === loc.off) this.cache.set(slot, json);
        return json;
      }
      // a compaction may have moved it: retry with the new location, then give up loudly
      const now = this.runs.slot(id);
      if (attempt >= 4 && now === slot && this.runs.seg[slot] === loc.seg && this.runs.off[slot] === loc.off) {
        throw new StoreCorruptError(this.segmentFile(loc.seg), `run ${id} unreadable at byte ${loc.off}`);
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  private async readRuns(slots: number[]): Promise<Run[]> {
    const jsons = await Promise.all(slots.map((slot) => this.runJson(this.runs.id(slot))));
    const out: Run[] = [];
    for (const j of jsons) if (j !== undefined) out.push(JSON.parse(j) as Run);
    this.runReads += out.length;
    return out;
  }

  async getRun(id: string): Promise<Run | undefined> {
    this.check();
    const json = await this.runJson(id);
    if (json === undefined) return undefined;
    this.runReads++;
    return JSON.parse(json) as Run;
  }

  async listRuns(q: RunQuery): Promise<Run[]> {
    this.check();
    const slots = this.runs.newest(q.limit ?? 50, q.before, this.runs.matcher(q));
    return slots ? this.readRuns(slots) : [];
  }

  async claimResumableRuns(opts: ResumableRunsPage = {}): Promise<Run[]> {
    this.check();
    if (opts.includeOwn === false) return []; // one process per data dir: every run is this instance's own
    return this.readRuns(this.runs.openPage(opts.limit ?? Infinity, opts.after, RESUMABLE));
  }

  async listOpenRuns(page?: OpenRunsPage): Promise<Run[]> {
    this.check();
    if (page) return this.readRuns(this.runs.openPage(page.limit, page.after));
    const slots: number[] = [];
    for (const slot of this.runs.ascending()) if (!this.runs.isTerminal(slot)) slots.push(slot);
    return this.readRuns(slots);
  }

  async listOpenRunsOfRecord(entity: string, key: string): Promise<Run[]> {
    this.check();
    return this.readRuns(this.runs.openOfRecord(entity, keyHash(key)));
  }

  /**
   * Removes finished runs that ended before `before`: out of the index at once, then off the disk by
   * rewriting the sealed journal segments that hold their lines (oldest first; the active segment is
   * rolled first, so appends never wait on this). Superseded snapshots are dropped on the way.
   */
  pruneRuns(before: string): Promise<number> {
    this.check();
    const run = async (): Promise<number> => {
      const cut = Date.parse(before);
      const victims: number[] = [];
      for (const slot of this.runs.ascending()) if (this.runs.isTerminal(slot) && this.runs.endedAt(slot) < cut) victims.push(slot);
      if (victims.length === 0) return 0;
      for (const slot of victims) {
        this.runsLive -= this.runs.len[slot];
        this.cache.delete(slot);
        this.runs.remove(slot);
      }
      await this.compactRuns();
      return victims.length;
    };
    const p = this.pruneChain.then(run);
    this.pruneChain = p.catch(() => {});
    return p;
  }

  /** Background compaction once superseded snapshots outweigh the live ones (and a segment's worth). */
  private maybeCompactRuns(): void {
    if (this.runsCompacting || this.state !== 'open') return;
    const dead = this.runsTotal - this.runsLive - this.runsFloor;
    if (dead <= Math.max(this.opts.segmentBytes ?? 64 << 20, this.runsLive)) return;
    this.runsCompacting = true;
    const p = this.pruneChain.then(() => this.compactRuns()).catch((e: unknown) => this.warn(`store: compaction of the runs journal failed: ${(e as Error).message}`));
    this.pruneChain = p.finally(() => (this.runsCompacting = false));
  }

  private async compactRuns(): Promise<void> {
    const runs = this.runs;
    const r = await this.runsJ.compact(
      (h, loc) => {
        const slot = runs.slot(String(h.id));
        if (slot < 0) return false;
        // the live line, or one a failing write may fall back to
        if (runs.versionAt(slot, loc.seg, loc.off)) return true;
        // a superseded line may go only once the newer one is durable
        return !this.runsJ.isDurable(this.locOf(slot));
      },
      (h, from, to) => {
        const slot = runs.slot(String(h.id));
        if (slot < 0) return;
        const v = runs.versionAt(slot, from.seg, from.off);
        if (v === 'current') {
          runs.seg[slot] = to.seg;
          runs.off[slot] = to.off;
        } else if (v) {
          v.seg = to.seg;
          v.off = to.off;
        }
      },
    );
    this.runsTotal = await this.runsJ.totalBytes();
    // what this compaction could not remove (snapshots whose successor was still in flight)
    let liveDone = 0;
    for (const slot of runs.ascending()) if (runs.seg[slot] <= r.upTo) liveDone += runs.len[slot];
    this.runsFloor = Math.max(0, r.bytes - liveDone);
    this.scheduleIndexSnapshot();
  }

  async countRuns(): Promise<number> {
    this.check();
    return this.runs.size;
  }

  // ───────────────────────────── rejected events ─────────────────────────────

  async addRejected(ev: RejectedEvent): Promise<void> {
    this.check();
    const h: Header = { id: ev.id, at: ev.at };
    if (ev.flowId !== undefined) h.f = ev.flowId;
    const { loc, done } = this.rejectedJ.append(h, JSON.stringify(ev));
    const entry: RejectedEntry = { id: ev.id, at: ev.at, flowId: ev.flowId, seg: loc.seg, off: loc.off, len: loc.len };
    const r = this.rejected;
    if (r.length === 0 || r[r.length - 1].at <= ev.at) r.push(entry);
    else {
      let lo = 0;
      let hi = r.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (r[mid].at <= ev.at) lo = mid + 1;
        else hi = mid;
      }
      r.splice(lo, 0, entry);
    }
    await done;
  }

  async listRejected(q: { flowId?: string; limit?: number; since?: string }): Promise<RejectedEvent[]> {
    this.check();
    const limit = q.limit ?? 100;
    const picked: RejectedEntry[] = [];
    for (let i = this.rejected.length - 1; i >= 0 && picked.length < limit; i--) {
      const e = this.rejected[i];
      if (q.since !== undefined && e.at < q.since) break;
      if (q.flowId !== undefined && e.flowId !== q.flowId) continue;
      picked.push(e);
    }
    const out: RejectedEvent[] = [];
    for (const e of picked) {
      const json = await this.rejectedJ.read({ seg: e.seg, off: e.off, len: e.len }, e.id);
      if (json === undefined) throw new StoreCorruptError(join(this.journalDir, `rejected-${String(e.seg).padStart(6, '0')}.jsonl`), `entry ${e.id} unreadable`);
      out.push(JSON.parse(json) as RejectedEvent);
    }
    return out;
  }

  // ───────────────────────────── records ─────────────────────────────

  async getRecord(entity: string, key: string): Promise<EntityRecord | undefined> {
    this.check();
    const json = await this.records.get(`${entity}:${key}`);
    return json === undefined ? undefined : (JSON.parse(json) as EntityRecord);
  }

  async listRecords(q: { entity?: string; state?: string }): Promise<EntityRecord[]> {
    this.check();
    const jsons = await this.records.list((m) => (q.entity === undefined || m.entity === q.entity) && (q.state === undefined || m.state === q.state));
    return jsons.map((j) => JSON.parse(j) as EntityRecord);
  }

  async countRecords(): Promise<RecordCount[]> {
    this.check();
    return this.records
      .tally()
      .map(({ meta, count }) => ({ entity: meta.entity, state: meta.state, count }))
      .sort(byEntityThenState);
  }

  transitionRecord(t: TransitionInput): Promise<EntityRecord> {
    this.check();
    // read, check and queue the write under the collection's lock: atomic within the process
    return this.records.locked(async () => {
      const k = `${t.entity}:${t.key}`;
      const curJson = await this.records.get(k);
      const cur = curJson === undefined ? undefined : (JSON.parse(curJson) as EntityRecord);
      const curState = cur?.state ?? null;
      if (t.expectFrom !== undefined && t.expectFrom !== curState) {
        throw new StoreConflictError(
          `record ${t.entity}:${t.key} is in state ${curState ?? '(none)'}, not ${t.expectFrom ?? '(none)'}`,
          curState,
        );
      }
      const tr = { id: randomUUID(), from: curState, to: t.to, at: t.at, cause: t.cause };
      const next: EntityRecord = cur
        ? { ...cur, state: t.to, data: { ...cur.data, ...(t.data ?? {}) }, history: [...cur.history, tr], updatedAt: t.at }
        : { entity: t.entity, key: t.key, state: t.to, data: { ...(t.data ?? {}) }, history: [tr], createdAt: t.at, updatedAt: t.at };
      const json = JSON.stringify(next);
      return { value: JSON.parse(json) as EntityRecord, done: this.records.put(k, json, { entity: t.entity, state: t.to }) };
    });
  }

  // ───────────────────────────── timers ─────────────────────────────

  /** After a failed timer write: the due map follows the collection back to what is on disk. */
  private resyncTimer(id: string): void {
    const json = this.timers.get(id);
    if (json === undefined) this.timerDue.delete(id);
    else this.timerDue.set(id, Date.parse((JSON.parse(json) as Timer).dueAt));
  }

  async putTimer(t: Timer): Promise<void> {
    this.check();
    this.timerDue.set(t.id, Date.parse(t.dueAt));
    await this.timers.set(t.id, JSON.stringify(t), () => this.resyncTimer(t.id));
  }

  async deleteTimer(id: string): Promise<void> {
    this.check();
    this.timerDue.delete(id);
    await this.timers.delete(id, () => this.resyncTimer(id));
  }

  async getTimer(id: string): Promise<Timer | undefined> {
    this.check();
    const json = this.timers.get(id);
    return json === undefined ? undefined : (JSON.parse(json) as Timer);
  }

  async listTimers(): Promise<Timer[]> {
    this.check();
    return [...this.timers.items.values()].map((j) => JSON.parse(j) as Timer);
  }

  async countTimers(): Promise<number> {
    this.check();
    return this.timers.items.size;
  }

  async claimDueTimers(now: string, limit: number): Promise<Timer[]> {
    this.check();
    const nowMs = Date.parse(now);
    const due: [string, number][] = [];
    for (const [id, at] of this.timerDue) if (at <= nowMs) due.push([id, at]);
    due.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const claimed: Timer[] = [];
    const writes: Promise<void>[] = [];
    // taken out synchronously: a concurrent claimer can never see them
    for (const [id] of due.slice(0, Math.max(0, limit))) {
      claimed.push(JSON.parse(this.timers.get(id)!) as Timer);
      this.timerDue.delete(id);
      writes.push(this.timers.delete(id, () => this.resyncTimer(id)));
    }
    // a timer whose delete failed is back in the index (rolled back) and is not handed out
    const settled = await Promise.allSettled(writes);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const given = claimed.filter((_, i) => settled[i].status === 'fulfilled');
    if (failed && given.length === 0) throw failed.reason;
    return given;
  }

  // ───────────────────────────── documents ─────────────────────────────

  async putDoc<C extends DocCollection>(c: C, doc: DocCollections[C]): Promise<void> {
    this.check();
    const json = JSON.stringify(doc);
    if (isJournalDoc(c)) {
      const d = this.jDocs[c];
      // through the lock, so that a concurrent updateDoc never overwrites this with a stale value
      return d.locked(() => ({ value: undefined, done: d.put(doc.id, json, statusMeta(c, doc)) }));
    }
    await this.lowDocs[c as LowdbDoc].set(doc.id, json);
  }

  async getDoc<C extends DocCollection>(c: C, id: string): Promise<DocCollections[C] | undefined> {
    this.check();
    const json = isJournalDoc(c) ? await this.jDocs[c].get(id) : this.lowDocs[c as LowdbDoc].get(id);
    return json === undefined ? undefined : (JSON.parse(json) as DocCollections[C]);
  }

  async listDocs<C extends DocCollection>(c: C): Promise<DocCollections[C][]> {
    this.check();
    const jsons = isJournalDoc(c) ? await this.jDocs[c].list() : [...this.lowDocs[c as LowdbDoc].items.values()];
    return jsons.map((j) => JSON.parse(j) as DocCollections[C]);
  }

  async countDocs(c: DocCollection, status: string): Promise<number> {
    this.check();
    const has = (json: string) => (JSON.parse(json) as { status?: unknown }).status === status;
    if (isJournalDoc(c) && STATUS_DOCS.has(c)) {
      const d = this.jDocs[c];
      // from the index; only lines older than the status in their header (a data dir from before) are read
      const older = d.count((m) => m === null) > 0 ? (await d.list((m) => m === null)).filter(has).length : 0;
      return d.count((m) => m === status) + older;
    }
    const jsons = isJournalDoc(c) ? await this.jDocs[c].list() : [...this.lowDocs[c as LowdbDoc].items.values()];
    return jsons.filter(has).length;
  }

  async deleteDoc(c: DocCollection, id: string): Promise<void> {
    this.check();
    if (isJournalDoc(c)) {
      const d = this.jDocs[c];
      return d.locked(() => ({ value: undefined, done: d.delete(id) }));
    }
    await this.lowDocs[c as LowdbDoc].delete(id);
  }

  // one process per data dir: this process's order is the only one
  readonly exclusive = createLocalExclusive();

  async updateDoc<C extends DocCollection>(
    c: C,
    id: string,
    update: (cur: DocCollections[C] | undefined) => DocCollections[C] | undefined,
  ): Promise<DocCollections[C] | undefined> {
    this.check();
    if (isJournalDoc(c)) {
      const d = this.jDocs[c];
      return d.locked(async () => {
        const curJson = await d.get(id);
        const next = update(curJson === undefined ? undefined : (JSON.parse(curJson) as DocCollections[C]));
        if (next === undefined) return { value: undefined, done: Promise.resolve() };
        const json = JSON.stringify(next);
        return { value: JSON.parse(json) as DocCollections[C], done: d.put(id, json, statusMeta(c, next)) };
      });
    }
    // synchronous read-modify-write: atomic within the process
    const coll = this.lowDocs[c as LowdbDoc];
    const curJson = coll.get(id);
    const next = update(curJson === undefined ? undefined : (JSON.parse(curJson) as DocCollections[C]));
    if (next === undefined) return undefined;
    const json = JSON.stringify(next);
    await coll.set(id, json);
    return JSON.parse(json) as DocCollections[C];
  }
}
