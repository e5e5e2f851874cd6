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

export type { RecordCount } from '@flowdesk/schema';
import type { RecordCount } from '@flowdesk/schema';

/** The order countRecords answers in (every store): by entity, then state. */
export const byEntityThenState = (a: RecordCount, b: RecordCount): number => a.entity.localeCompare(b.entity) || a.state.localeCompare(b.state);

export interface StoredFlow {
  id: string;
  version: number;
  active: boolean;
  /** paused with hold (only when !active): its webhook still answers and events wait as `held` runs */
  hold?: boolean;
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

/** A page of open runs, oldest first: at most `limit`, strictly after run `after` (createdAt, id order). */
export interface OpenRunsPage {
  limit: number;
  after?: string;
}

/** Options of claimResumableRuns. */
export interface ResumableRunsPage {
  limit?: number;
  after?: string;
  includeOwn?: boolean;
}

export interface RunQuery {
  flowId?: string;
  status?: RunStatus;
  key?: string; // idempotency key
  record?: string; // "<entity>:<key>" or just key
  limit?: number; // default 50
  before?: string; // cursor: a run id; runs created strictly before it
  from?: string; // ISO: runs created at or after it
  to?: string; // ISO: runs created strictly before it
  endedFrom?: string; // ISO: finished runs that ended at or after it (an open run never matches)
}

export interface Timer {
  id: string; // unique: e.g. `run:<runId>` (one wake-up per run) or `schedule:<flowId>`
  kind: 'run' | 'schedule' | 'sla' | 'alert-summary' | 'retention' | 'poll' | 'review-timeout';
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
export type DocCollection = 'deadLetters' | 'reviews' | 'alerts' | 'tasks' | 'outbox' | 'settings' | 'kpiFacts' | 'connections';

/**
 * Collections whose every change is announced to all instances (topic `docs:<collection>`), for the
 * ones that cache them. Add a collection here when something caches it (connections will).
 */
export const CLUSTER_WATCHED_COLLECTIONS: ReadonlySet<DocCollection> = new Set<DocCollection>(['settings']);

export interface DocCollections {
  deadLetters: DeadLetter;
  reviews: ReviewItem;
  alerts: Alert;
  tasks: { id: string; [k: string]: unknown };
  outbox: { id: string; [k: string]: unknown };
  settings: { id: string; [k: string]: unknown };
  kpiFacts: { id: string; [k: string]: unknown };
  /** connections (apps/runtime/src/connections/): secrets sealed with the master key, never in clear */
  connections: { id: string; [k: string]: unknown };
}

/**
 * A change to configuration every instance of a cluster caches: topic `flows` (id = the flow id; any
 * field: a new version, the active flag, …) or `docs:<collection>` for a watched document collection
 * (id = the document id). Subscribers re-read the current state; a change may be delivered late, never lost.
 */
export interface ClusterChange {
  topic: string;
  id: string;
}

/** How a change arrived: the database's notification (fast) or the periodic reconcile (heals a lost one). */
export type ChangeSource = 'notify' | 'reconcile';

/** Changes made through any instance sharing this store (PostgreSQL); absent on a single-process store. */
export interface ClusterChanges {
  /** `fn` is called once per change made through any instance, this one included. */
  subscribe(fn: (change: ClusterChange, via: ChangeSource) => void | Promise<void>): () => void;
  /** Compares with the database now and delivers what was missed; resolves with how many. */
  reconcile(): Promise<number>;
  /** Changes delivered so far, by path. */
  stats(): Record<ChangeSource, number>;
}

export interface Store {
  /**
   * Set by stores several processes share: changes to flows and watched collections made by any of
   * them. Absent on the embedded store (one process per data dir: its own writes are all there is).
   */
  readonly changes?: ClusterChanges;
  /**
   * How many runs the runner drives at once on this store (default: the runner's own, 64). A store whose
   * every write is a round trip to a database (PostgreSQL) asks for more: a run then spends most of its
   * time waiting on committed batches, and more runs in flight share each batch (fewer statements and
   * commits per run).
   */
  readonly driveConcurrency?: number;
  /**
   * true: the runner keeps a run's slot until its finished-run hooks (the KPI fact) are done, which
   * bounds the runs in flight on this store (PostgreSQL: freeing the slot first let more runs in and
   * cost a fifth of the rate in bench/pg-run-cost.ts). Absent: the slot is freed at the run's end and the
   * hooks go on beside (the embedded store, whose KPI facts are written every 25 ms).
   */
  readonly holdSlotForFinishHooks?: boolean;
  /** Opens the store: takes the data-dir lock, loads/validates files, rebuilds indexes. Throws naming a corrupt file. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Whether writes work now; while they fail, why (a full disk, an I/O error, a lost database). */
  health(): StoreHealth;
  /** Called each time health changes (ok → failing, failing → ok). */
  onHealthChange(fn: (h: StoreHealth) => void): void;

  // ── flows (versioned) ──
  /** Stores a new version of `doc` (version assigned = latest + 1), active unless doc.active === false. */
  putFlow(doc: Flow, at: string): Promise<StoredFlow>;
  getFlow(id: string, version?: number): Promise<StoredFlow | undefined>;
  /** Latest version of every flow (inactive included). */
  listFlows(): Promise<StoredFlow[]>;
  listFlowVersions(id: string): Promise<StoredFlow[]>;
  /** Sets the latest version's active flag; `hold` (only with active false) keeps its events as held runs. */
  setFlowActive(id: string, active: boolean, hold?: boolean): Promise<void>;

  // ── runs (journal) ──
  /**
   * Creates a run durably. With `dedupe`, atomically checks the (flowId, key) claim: if an unexpired
   * claim exists, nothing is written and the first run is returned with duplicate: true (only once that
   * run is itself durable). Claims are kept by the key's sha256, so a key of any length costs the same.
   * A failed write leaves nothing behind: no run, no claim, and a duplicate waiting on it fails too.
   */
  createRun(run: Run, dedupe?: DedupeClaim): Promise<CreateRunResult>;
  /** Saves the new state of a run (each step before the next starts). */
  saveRun(run: Run): Promise<void>;
  /**
   * Saves `run` only if the stored run's status is still `from`, as one atomic step against every
   * process sharing the store; false (nothing written) when it is not, or the run is gone. Releasing a
   * held run goes through here: several instances may release one flow's held runs at once, each run
   * must start once.
   */
  saveRunFrom(run: Run, from: RunStatus): Promise<boolean>;
  /**
   * Stores several processes share: whether another live instance owns this open run (it created it,
   * woke it or resumed it, and may be driving it now). Absent on a store one process owns.
   */
  runDrivenElsewhere?(runId: string): Promise<boolean>;
  getRun(id: string): Promise<Run | undefined>;
  /** Newest first. */
  listRuns(q: RunQuery): Promise<Run[]>;
  /**
   * Runs not in a terminal status, oldest first. With `page`, one page of them (never all at once).
   */
  listOpenRuns(page?: OpenRunsPage): Promise<Run[]>;
  /**
   * Open runs about one record (run.record = {entity, key}), oldest first. Found through an index:
   * the work does not grow with the number of other open runs (cancelOn on every state change).
   */
  listOpenRunsOfRecord(entity: string, key: string): Promise<Run[]>;
  /**
   * The runs this instance should drive after it starts: queued, running and waiting ones, oldest
   * first, each handed to one instance only. With one process per store (lowdb), that is every such
   * run; a shared database leaves out runs a live instance is driving (see postgres/index.ts).
   * `includeOwn: false` (a periodic sweep) leaves out the instance's own runs: it already drives them.
   * `after` (a run id) gives only runs after that one in (createdAt, id) order, so a caller reads them
   * in pages of `limit` (resume at start does: a backlog of any size is never parsed all at once).
   */
  claimResumableRuns(opts?: ResumableRunsPage): Promise<Run[]>;
  /** Deletes finished runs that ended before `before`; returns how many. */
  pruneRuns(before: string): Promise<number>;
  countRuns(): Promise<number>;

  // ── rejected events (append-only) ──
  addRejected(e: RejectedEvent): Promise<void>;
  listRejected(q: { flowId?: string; limit?: number; since?: string }): Promise<RejectedEvent[]>;

  // ── records (state map) ──
  getRecord(entity: string, key: string): Promise<EntityRecord | undefined>;
  listRecords(q: { entity?: string; state?: string }): Promise<EntityRecord[]>;
  /** How many records each entity has in each state (states without records left out), without reading them. */
  countRecords(): Promise<RecordCount[]>;
  /** Applies one transition atomically; throws StoreConflictError when expectFrom does not match. */
  transitionRecord(t: TransitionInput): Promise<EntityRecord>;

  // ── timers ──
  putTimer(t: Timer): Promise<void>;
  deleteTimer(id: string): Promise<void>;
  getTimer(id: string): Promise<Timer | undefined>;
  listTimers(): Promise<Timer[]>;
  /** How many timers are set, without reading them (GET /metrics asks at every scrape). */
  countTimers(): Promise<number>;
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
  /**
   * How many documents of `c` have this `status` (GET /metrics asks at every scrape, whatever the number
   * of parked reviews): lowdb answers from its index for reviews and dead letters, without reading them.
   */
  countDocs(c: DocCollection, status: string): Promise<number>;
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

  /**
   * Runs `task` while no other task under the same `name` runs — in this process, and on a store several
   * processes share, in any of them (PostgreSQL: a transaction-scoped advisory lock, freed at once if
   * this process dies). A change checked against what is stored and then written (a deploy, a state-map
   * change) runs under one, so two such changes through two instances are checked one after the other.
   * Waiting past the store's limit for another instance's task rejects with StoreBusyError (task not run).
   * Not re-entrant: a task that asks for its own name again waits for itself.
   */
  exclusive<T>(name: string, task: () => Promise<T>): Promise<T>;
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

/** Acknowledged data is missing from a store file (truncated, deleted, replaced): open() refuses. */
export class StoreDataLostError extends StoreCorruptError {
  constructor(file: string, reason: string) {
    super(file, reason);
    this.message = `acknowledged data is missing from ${file}: ${reason}. Nothing was changed; \`npm run repair\` starts from what remains and reports what was lost`;
    this.name = 'StoreDataLostError';
  }
}

/** Store.exclusive waited its limit while another instance held the name: nothing was done; try again. */
export class StoreBusyError extends Error {
  constructor(
    readonly lockName: string,
    readonly waitedMs: number,
  ) {
    super(`another instance has been making a change under "${lockName}" for ${waitedMs} ms; nothing was changed, try again`);
    this.name = 'StoreBusyError';
  }
}

export class StoreLockedError extends Error {
  constructor(
    readonly dir: string,
    /** who holds it, as far as it can be told: "Flowdesk runtime pid 123 (since …)" */
    readonly holder = 'another Flowdesk runtime',
  ) {
    super(`data dir ${dir} is in use by ${holder}`);
    this.name = 'StoreLockedError';
  }
}

/** The store's ability to write, for /healthz and the P0 alert. */
export interface StoreHealth {
  ok: boolean;
  /** why writes fail (the first failing file and its error), while they do */
  cause?: string;
  /** ISO time writes started failing */
  since?: string;
}
