// The run record: what the engine steps and the store keeps. Shared by engine, runtime and editor.
import type { Severity } from './dsl.ts';

/** `held`: accepted while its flow was paused with hold; it starts when the flow is switched back on. */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'needs_review' | 'held' | 'succeeded' | 'dead' | 'failed' | 'cancelled';
/** Every status, open ones first. */
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'needs_review', 'held', 'succeeded', 'dead', 'failed', 'cancelled'];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'dead', 'failed', 'cancelled'];
export const isTerminal = (s: RunStatus): boolean => TERMINAL_STATUSES.includes(s);

export type ErrorClass = '5xx' | '4xx' | '429' | 'timeout' | 'network' | 'error';

export interface Attempt {
  at: string; // ISO time the attempt started
  status?: number; // HTTP status, where there is one
  errorClass?: ErrorClass;
  durationMs: number;
  response?: string; // first 4 KB of the response body
  error?: string;
}

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'waiting' | 'needs_review' | 'skipped' | 'cancelled';

export interface Step {
  nodeId: string;
  status: StepStatus;
  input?: unknown;
  output?: unknown;
  port?: string; // the port the run left this node by
  /** `not-configured`: the step could not run (its connection is not set up) and was passed over: nothing went out */
  outcome?: 'not-configured';
  attempts: Attempt[];
  error?: string | null;
  startedAt: string;
  endedAt?: string;
}

export interface RecordRef {
  entity: string;
  key: string;
}

/** One item of a foreach loop: its own cursor, steps and vars over the loop body. */
export type LoopItemStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed';
export interface LoopItem {
  index: number;
  status: LoopItemStatus;
  cursor: string | null;
  steps: Step[];
  /** vars the item's own steps set (the run's vars are seen under them) */
  vars: Record<string, unknown>;
  wakeAt?: string;
  outcome?: 'error-handled' | 'not-configured';
  error?: string;
  /** the item's result: its body end's `output`, else the output of the step before that end */
  result?: unknown;
}
export interface LoopState {
  status: 'running' | 'done';
  items: unknown[];
  states: LoopItem[];
}

export interface Run {
  id: string;
  flowId: string;
  flowVersion: number;
  status: RunStatus;
  /** `error-handled`: ended through an error port; `not-configured`: a step was passed over because its connection is not set up */
  outcome?: 'error-handled' | 'not-configured';
  idempotencyKey: string | null;
  trigger: { type: string; path?: string; recordTransitionId?: string; scheduledFor?: string; mailbox?: string; uid?: number; url?: string; itemKey?: string };
  payload: unknown;
  headers: Record<string, string>;
  vars: Record<string, unknown>;
  record?: RecordRef; // the record this run concerns (serialises runs per record key)
  cursor: string | null; // id of the node to run next (or the one waiting); null when finished
  steps: Step[];
  wakeAt?: string; // when waiting: when the timer is due
  error?: string;
  replays?: number;
  /** set by a replay with newIdempotencyKey: appended to `<runId>:<nodeId>` */
  keySuffix?: string;
  /** a held run's place in arrival order (strictly increasing as events are accepted) */
  heldSeq?: number;
  /** a run started by another run's flow.call: that run and step (the run view links them) */
  parent?: { runId: string; nodeId: string; flowId: string };
  /** foreach loops by node id: each item's progress, written like any step */
  loops?: Record<string, LoopState>;
  /** only on the engine's view of one loop item: what `item` and `index` read */
  loopItem?: { item: unknown; index: number };
  /** the flow's dedupe claim expiry, kept so the dedupe index can be rebuilt from runs */
  dedupeExpiresAt?: string;
  createdAt: string;
  startedAt: string;
  updatedAt: string;
  endedAt?: string;
}

export interface RecordTransition {
  id: string;
  from: string | null;
  to: string;
  at: string;
  cause: { runId?: string; nodeId?: string; manual?: boolean };
}

export interface EntityRecord {
  entity: string;
  key: string;
  state: string;
  data: Record<string, unknown>;
  history: RecordTransition[];
  createdAt: string;
  updatedAt: string;
}

/** GET /api/records/counts: how many records of an entity are in a state. */
export interface RecordCount {
  entity: string;
  state: string;
  count: number;
}

export interface Alert {
  id: string;
  flowId: string;
  nodeId?: string;
  runId?: string;
  kind: string; // dead_letter | retry_exhausted | raised | sla_breach | ...
  severity: Severity;
  message: string;
  at: string;
  delivered?: { channel: string; at: string; ok: boolean; error?: string }[];
}

export interface DeadLetter {
  id: string; // = run id
  runId: string;
  flowId: string;
  flowVersion: number;
  nodeId: string;
  payload: unknown;
  attempts: Attempt[];
  error: string;
  sop: string[];
  severity: Severity;
  status: 'open' | 'replaying' | 'replayed' | 'discarded';
  createdAt: string;
  updatedAt: string;
}

export interface ReviewItem {
  id: string;
  runId: string;
  flowId: string;
  nodeId: string;
  queue: string;
  title: string;
  decisions: string[];
  sop: string[];
  context: unknown;
  status: 'open' | 'resolved' | 'cancelled';
  decision?: string;
  createdAt: string;
  resolvedAt?: string;
  /** who decided: the API (the editor's queue), a signed link, or the node's timeout */
  resolvedBy?: 'api' | 'link' | 'timeout';
  /** the node's timeout: the decision taken at `at` when nobody decides first */
  timeout?: { at: string; decision: string };
  /** where the founder was told (alert webhook, FLOWDESK_ALERT_EMAIL), with the outcome of each */
  notified?: { channel: string; at: string; ok: boolean; error?: string }[];
}

export interface RejectedEvent {
  id: string;
  at: string;
  flowId?: string;
  path?: string;
  status: number;
  reason: string;
  errors?: { path: string; message: string }[];
}
