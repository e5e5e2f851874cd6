// The engine's contract with the runtime: the engine decides, the runtime performs (I/O) and
// feeds results back. Nothing here reads a clock: `now` always comes in.
import type { ActionType, EntityRecord, ErrorClass, Run } from '@flowdesk/schema';

/** The expression context: what JSON-Logic rules and {{path}} templates see. */
export interface EvalContext {
  payload: unknown;
  headers: Record<string, string>;
  vars: Record<string, unknown>;
  record: EntityRecord | Record<string, never> | null;
  run: { id: string; flowId: string; startedAt: string };
  now: string;
  secrets?: Record<string, string>;
  config?: Record<string, string>;
  /** outputs of finished steps by node id (`steps.score.output`); inside a loop body, that item's steps */
  steps?: Record<string, unknown>;
  /** inside a foreach body: the item and its index */
  item?: unknown;
  index?: number;
}

/**
 * How an action's params were built, for the runtime's guards (the roles come from the action's spec;
 * pointers are JSON pointers into params).
 */
export interface ParamProvenance {
  /** values a placeholder or `$logic` built from event data (payload, headers, vars, steps, record, run, now) */
  fromEvent: string[];
  /** `url`-role params whose scheme, host or port came from event data */
  urlOriginFromEvent: string[];
  /** the call carries a credential: a `secrets`-role param named a secret, or a `connection`-role param names a connection */
  credential: boolean;
  /** secrets named outside the `secrets`-role params (a flow stored before that was refused): rendered "[redacted]" */
  misplacedSecrets: string[];
}

/** What the runtime must do next for a run. */
export type Command =
  | {
      kind: 'action';
      nodeId: string;
      action: ActionType;
      params: Record<string, unknown>;
      /** `<runId>:<nodeId>` unless a replay asked for a new key */
      idempotencyKey: string;
      attempt: number; // 1-based
      timeoutMs: number;
      provenance: ParamProvenance;
      /** what the step's last pending answer left (flow.call: its child run) */
      previousOutput?: unknown;
    }
  | { kind: 'wait'; nodeId: string; until: string }
  | { kind: 'review'; nodeId: string; queue: string; title: string; decisions: string[]; sop: string[]; timeout?: { after: string; decision: string } }
  | { kind: 'transition'; nodeId: string; entity: string; key: string; state: string }
  | SandboxCommand
  | ItemsCommand
  | { kind: 'done' };

export type ActionCommand = Extract<Command, { kind: 'action' }>;

/** A foreach loop's work in flight: one action or sandbox command per item that needs one (at most
 * `concurrency` items); the runtime performs them at once and applies each with applyItemResult. */
export interface ItemsCommand {
  kind: 'items';
  nodeId: string;
  commands: { index: number; command: ActionCommand | SandboxCommand }[];
}

/** What one item's command gave. */
export type ItemResult = { kind: 'action'; result: ActionResult; startedAt: string } | { kind: 'sandbox'; result: SandboxResult };

/** Run a `code` node's JavaScript or a `set` node's JSONata in the runtime's sandbox (QuickJS). */
export interface SandboxCommand {
  kind: 'sandbox';
  nodeId: string;
  language: 'javascript' | 'jsonata';
  source: string;
  /** `{payload, vars, steps, record, item?, index?}` (secrets never included) */
  input: Record<string, unknown>;
  /** what `now` (and Date.now(), JSONata's $now()) reads inside the sandbox */
  now: string;
  /** seeds Math.random (JSONata's $random): the same run and node draw the same numbers */
  seed: number;
}

export type SandboxResult = { ok: true; output: unknown } | { ok: false; error: string; reason: 'error' | 'budget' | 'memory' | 'stack' };

export interface ActionResult {
  ok: boolean;
  output?: unknown;
  status?: number;
  errorClass?: ErrorClass;
  error?: string;
  response?: string;
  durationMs: number;
  /** Retry-After, in ms, when the dependency sent one */
  retryAfterMs?: number;
  /** the step could not run: what it needs is not set up (a connector's connection); the run goes on, marked */
  notConfigured?: boolean;
  /** ok, but not finished (flow.call's child still runs): the step waits and asks again after pollMs */
  pending?: { pollMs: number };
}

export interface Step {
  run: Run;
  command: Command;
}

export interface DryRunResult {
  ok: boolean;
  /** payload contract errors (from the caller's validator) or runtime expression errors */
  errors: { path: string; message: string; nodeId?: string }[];
  /** node ids in the order visited, the trigger first as "trigger" */
  path: string[];
  /** edges taken as {from, port, to} */
  edges: { from: string; port?: string; to: string }[];
  vars: Record<string, unknown>;
  /** each action it would call; `error` when its resolved params break the action's schema (it fails there, as the real run would) */
  actions: { nodeId: string; action: ActionType; params: Record<string, unknown>; error?: string }[];
  end?: { nodeId: string; exitState?: { entity: string; key: string; state: string } };
  status: Run['status'];
  /** each step it took, in order, with what it gave (a code step's output or error); `pinned` when a pinned output stood in for it */
  steps?: { nodeId: string; status: Run['steps'][number]['status']; port?: string; output?: unknown; error?: string; pinned?: boolean }[];
  /** with `stopAt`: whether the walk got to that node, and the action it stopped before (params with secrets redacted) */
  stopped?: { nodeId: string; reached: boolean; action?: { action: ActionType; params: unknown; outside: boolean } };
}
