// The Store contract. Every adapter (lowdb+journal, PostgreSQL) implements it and passes
// the one contract suite in store.contract.ts. Every write resolves only once it is durable
// (on disk, fdatasync'ed when fsync is on; committed in PostgreSQL).
import type {
  Alert,
  DeadLetter,
  EntityRecord,
  Flow,
  RecordTransition,
  RejectedEvent,
  ReviewItem,
  Run,
  RunStatus,
} from '@flowdesk/schema';

export interface StoredFlow {
  id: string;
  version: number;
  active: boolean;
  doc: Flow; // the document as deployed, with `version` set
  deployedAt: string;
}

export interface DedupeClaim {
  flowId: string;
  key: string;
  /** ISO time after which the key may start a new run */
  expiresAt: string;
  now: string;
}

export type CreateRunResult = { run: Run; duplicate: false } | { run: Run; duplicate: true };

export interface RunQuery {
  flowId?: string;
  status?: RunStatus;
  key?: string; // idempotency key
  record?: string; // "<entity>:<key>" or just key
  limit?: number; // default 50
  before?: string; // cursor: a run id; runs created strictly before it
}

export interface Timer {
  id: string; // unique: e.g. `run:<runId>` (one wake-up per run) or `schedule:<flowId>`
  kind: 'run' | 'schedule' | 'sla' | 'alert-summary' | 'retention';
  dueAt: string; // ISO
  runId?: string;
  flowId?: string;
  data?: Record<string, unknown>;
}

export interface TransitionInput {
  entity: string;
  key: string;
  to: string;
  at: string;
  cause: RecordTransition['cause'];
  /** state the caller expects the record to be in (optimistic check); undefined = don't check */
  expectFrom?: string | null;
  data?: Record<string, unknown>;
}

/** Small mutable collections kept by id. */
export type DocCollection = 'deadLetters' | 'reviews' | 'alerts' | 'tasks' | 'outbox' | 'settings' | 'kpiFacts';

export interface DocCollections {
  deadLetters: DeadLetter;
  reviews: ReviewItem;
  alerts: Alert;
  tasks: { id: string; [k: string]: unknown };
  outbox: { id: string; [k: string]: unknown };
  settings: { id: string; [k: string]: unknown };
  kpiFacts: { id: string; [k: string]: unknown };
}

export interface Store {
  /** Opens the store: takes the data-dir lock, loads/validates files, rebuilds indexes. Throws naming a corrupt file. */
  open(): Promise<void>;
  close(): Promise<void>;

  // ── flows (versioned) ──
  /** Stores a new version of `doc` (version assigned = latest + 1), active unless doc.active === false. */
  putFlow(doc: Flow, at: string): Promise<StoredFlow>;
  getFlow(id: string, version?: number): Promise<StoredFlow | undefined>;
  /** Latest version of every flow (inactive included). */
  listFlows(): Promise<StoredFlow[]>;
  listFlowVersions(id: string): Promise<StoredFlow[]>;
  setFlowActive(id: string, active: boolean): Promise<void>;

  // ── runs (journal) ──
  /**
   * Creates a run durably. With `dedupe`, atomically checks the (flowId, key) claim: if an unexpired
   * claim exists, nothing is written and the first run is returned with duplicate: true (only once that
   * run is itself durable).
   */
  createRun(run: Run, dedupe?: DedupeClaim): Promise<CreateRunResult>;
  /** Saves the new state of a run (each step before the next starts). */
  saveRun(run: Run): Promise<void>;
  getRun(id: string): Promise<Run | undefined>;
  /** Newest first. */
  listRuns(q: RunQuery): Promise<Run[]>;
  /** Runs not in a terminal status (for resume at start and for the worker). */
  listOpenRuns(): Promise<Run[]>;
  /**
   * The runs this instance should drive after it starts: queued, running and waiting ones, oldest
   * first, each handed to one instance only. With one process per store (lowdb), that is every such
   * run; a shared database leaves out runs a live instance is driving (see postgres/index.ts).
   * `includeOwn: false` (a periodic sweep) leaves out the instance's own runs: it already drives them.
   */
  claimResumableRuns(opts?: { limit?: number; includeOwn?: boolean }): Promise<Run[]>;
  /** Deletes finished runs that ended before `before`; returns how many. */
  pruneRuns(before: string): Promise<number>;
  countRuns(): Promise<number>;

  // ── rejected events (append-only) ──
  addRejected(e: RejectedEvent): Promise<void>;
  listRejected(q: { flowId?: string; limit?: number; since?: string }): Promise<RejectedEvent[]>;

  // ── records (state map) ──
  getRecord(entity: string, key: string): Promise<EntityRecord | undefined>;
  listRecords(q: { entity?: string; state?: string }): Promise<EntityRecord[]>;
  /** Applies one transition atomically; throws StoreConflictError when expectFrom does not match. */
  transitionRecord(t: TransitionInput): Promise<EntityRecord>;

  // ── timers ──
  putTimer(t: Timer): Promise<void>;
  deleteTimer(id: string): Promise<void>;
  getTimer(id: string): Promise<Timer | undefined>;
  listTimers(): Promise<Timer[]>;
  /**
   * Claims up to `limit` timers due at `now`: each claimed timer is removed (or leased) so that no
   * other worker/process gets it. At-least-once: a claimer that crashes before acting leaves the run
   * open, and start-up resume picks it up.
   */
  claimDueTimers(now: string, limit: number): Promise<Timer[]>;

  // ── small document collections ──
  putDoc<C extends DocCollection>(c: C, doc: DocCollections[C]): Promise<void>;
  getDoc<C extends DocCollection>(c: C, id: string): Promise<DocCollections[C] | undefined>;
  listDocs<C extends DocCollection>(c: C): Promise<DocCollections[C][]>;
  deleteDoc(c: DocCollection, id: string): Promise<void>;
  /**
   * Compare-and-set on one document: applies `update` to the current value (undefined when absent)
   * atomically; returns the new value, or undefined when `update` returned undefined (no write).
   */
  updateDoc<C extends DocCollection>(
    c: C,
    id: string,
    update: (cur: DocCollections[C] | undefined) => DocCollections[C] | undefined,
  ): Promise<DocCollections[C] | undefined>;
}

export class StoreConflictError extends Error {
  constructor(
    message: string,
    readonly current: string | null,
  ) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

export class StoreCorruptError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`store file ${file} is unreadable: ${reason}`);
    this.name = 'StoreCorruptError';
  }
}

export class StoreLockedError extends Error {
  constructor(readonly dir: string) {
    super(`data dir ${dir} is in use by another Flowdesk runtime (lock file present)`);
    this.name = 'StoreLockedError';
  }
}
