// The runner: the I/O side of the engine. It creates runs durably, drives them step by step
// (each step written before the next starts), performs the engine's commands, and parks runs on
// timers and reviews. All mutations of one run go through its record-key queue.
import { randomUUID } from 'node:crypto';
import { isTerminal, parseDuration, type Flow, type ReviewItem, type Run } from '@flowdesk/schema';
import {
  advance,
  applyActionResult,
  applyItemResult,
  applySandboxResult,
  applyTransitionResult,
  cancelRun,
  newRun,
  prepareReplay,
  releaseHeld,
  resolveReview as engineResolveReview,
  DEFAULT_DEDUPE_WINDOW_MS,
  type ActionCommand,
  type ActionResult,
  type ItemResult,
  type ItemsCommand,
  type AdvanceEnv,
  type StartInput,
} from '@flowdesk/engine';
import type { Store, Timer } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { RuntimeServices } from '../runner/services.ts';
import type { ActionDeps } from '../actions/types.ts';
import { EXECUTORS } from '../actions/index.ts';
import type { FlowRegistry } from '../flows/registry.ts';
import type { Secrets } from '../security/secrets.ts';
import type { Redactor } from '../security/redact.ts';
import { KeyedQueue, Semaphore } from './keyed-queue.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import type { ConnectionVault } from '../connections/vault.ts';
import { firstNotConfigured } from '../connectors/not-configured.ts';
import { inProcessLanes, type RecordLanes } from './record-lanes.ts';

export interface RunnerHooks {
  /** a run reached a terminal status */
  onRunFinished?(run: Run, flow: Flow): void | Promise<void>;
  /** a step finished (metrics) */
  onStep?(flowId: string, nodeId: string, ms: number): void;
  /** a review item was opened (the founder is told, with decision links) */
  onReviewOpened?(item: ReviewItem): void | Promise<void>;
}

export type { StartInput };

export { ConflictError, NotFoundError };

export { DEFAULT_DEDUPE_WINDOW_MS };

export interface RunnerDeps {
  store: Store;
  flows: FlowRegistry;
  clock: Clock;
  secrets: Secrets;
  redact: Redactor;
  /** FLOWDESK_* settings for the executors */
  env: Record<string, string | undefined>;
  dataDir: string;
  log: Logger;
  /** validates JSON against a qa node's schema (AJV, compiled outside the engine) */
  validateSchema: AdvanceEnv['validateSchema'];
  hooks?: RunnerHooks;
  /** one run per record key at a time across instances (PostgreSQL's advisory locks); in-process by default */
  lanes?: RecordLanes;
  /** builds the services from the runner they start runs on (record triggers, flow.emit) */
  services: (runner: Runner) => RuntimeServices;
  /** the sealed connections the connector actions use (absent: every connector step ends not-configured) */
  connections?: ConnectionVault;
  /** runs code nodes and JSONata */
  sandbox: Sandbox;
}

/** Runs driven at once: enough to overlap outside calls, few enough to keep ingest fast and memory flat. */
export const DEFAULT_DRIVE_CONCURRENCY = 64;

/**
 * A cancel of a run another instance is driving asks the store again after 100 ms, doubling up to 1 s
 * between asks (many cancelOn records at once would otherwise query ten times a second each), and gives
 * up after CANCEL_WAIT_MS of waiting.
 */
const CANCEL_POLL_FIRST_MS = 100;
const CANCEL_POLL_MAX_MS = 1000;
const CANCEL_WAIT_MS = 30_000;

/** Open runs read per page when resuming at start. */
const RESUME_PAGE = 500;

export class Runner {
  readonly queue = new KeyedQueue();
  private readonly slots: Semaphore;
  private replaying = new Set<string>();
  /** what the internal actions and record transitions act through (built from deps.services) */
  readonly services: RuntimeServices;
  private readonly store: Store;
  private readonly flows: FlowRegistry;
  private readonly clock: Clock;
  private readonly secrets: Secrets;
  private readonly redact: Redactor;
  private readonly env: Record<string, string | undefined>;
  private readonly dataDir: string;
  private readonly log: Logger;
  private readonly validateSchema: AdvanceEnv['validateSchema'];
  private readonly hooks: RunnerHooks;
  private readonly connections: ConnectionVault | undefined;
  /** one run per record key at a time across the instances of a cluster (PostgreSQL); in-process otherwise */
  private readonly lanes: RecordLanes;
  private readonly sandbox: Sandbox;

  constructor(deps: RunnerDeps) {
    this.store = deps.store;
    this.slots = new Semaphore(deps.store.driveConcurrency ?? DEFAULT_DRIVE_CONCURRENCY);
    this.flows = deps.flows;
    this.clock = deps.clock;
    this.secrets = deps.secrets;
    this.redact = deps.redact;
    this.env = deps.env;
    this.dataDir = deps.dataDir;
    this.log = deps.log;
    this.validateSchema = deps.validateSchema;
    this.hooks = deps.hooks ?? {};
    this.connections = deps.connections;
    this.lanes = deps.lanes ?? inProcessLanes;
    this.sandbox = deps.sandbox;
    this.services = deps.services(this);
  }

  private now(): string {
    // asked many times per event, mostly within the same millisecond: the text is made once per millisecond
    const ms = this.clock.now();
    if (ms !== this.nowMs) {
      this.nowMs = ms;
      this.nowText = new Date(ms).toISOString();
    }
    return this.nowText;
  }
  private nowMs = Number.NaN;
  private nowText = '';

  static queueKey(run: Pick<Run, 'id' | 'record'>): string {
    return run.record ? `record:${run.record.entity}:${run.record.key}` : `run:${run.id}`;
  }

  /** Creates the run durably (dedupe included) and queues it; resolves once the run is on disk. The
   * input comes from admitEvent (packages/engine/src/admit.ts), whichever way the event came in. */
  async start(flow: Flow, input: StartInput, opts: { runId?: string; held?: boolean } = {}): Promise<{ run: Run; duplicate: boolean }> {
    const now = this.now();
    const run = newRun(flow, {
      id: opts.runId ?? randomUUID(),
      payload: input.payload,
      headers: input.headers,
      now,
      idempotencyKey: input.idempotencyKey,
      trigger: input.trigger,
      record: input.record,
      parent: input.parent,
    });
    // accepted while the flow is paused with hold: stored, not started (releaseHeld starts it, in this order)
    if (opts.held) {
      run.status = 'held';
      run.heldSeq = this.lastHeldSeq = Math.max(this.lastHeldSeq + 1, this.clock.now() * 1000);
    }
    let dedupe;
    if (input.idempotencyKey !== null) {
      const expiresAt = new Date(this.clock.now() + (input.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS)).toISOString();
      run.dedupeExpiresAt = expiresAt;
      dedupe = { flowId: flow.id, key: input.idempotencyKey, expiresAt, now };
    }
    const res = await this.store.createRun(run, dedupe);
    if (!res.duplicate && opts.held && this.flows.get(flow.id)?.active) {
      // switched on while this event was being taken (here, or on another instance): the release that
      // came with it may have listed the held runs before this one was written
      void this.releaseHeld(flow.id).catch((e: Error) => this.log.error({ flowId: flow.id, err: e.message }, 'releasing held runs failed'));
    }
    if (!res.duplicate && !opts.held) {
      // the run just written is what its first drive would read back (nothing else changes a queued run
      // outside its queue): handed over, so the drive does not parse it again from the store
      this.enqueue(res.run, res.run);
      void this.armSlas(flow, res.run).catch((e) => this.log.error({ err: (e as Error).message, runId: run.id }, 'arming SLA timers failed'));
    }
    return res;
  }

  /** `created`: the run as createRun just wrote it (its first drive starts from it instead of reading it back). */
  enqueue(run: Pick<Run, 'id' | 'record'>, created?: Run): Promise<void> {
    return this.queue.push(Runner.queueKey(run), () => this.lanes.exclusive(run, () => this.slots.run(() => this.drive(run, created))));
  }

  /** Runs accepted and not yet parked or ended (queued or being driven): what load shedding bounds. */
  get backlog(): number {
    return this.queue.size;
  }

  /** Runs whose drive stopped on a failed store write (the store rolled them back to what is on disk). */
  private stalled = new Map<string, Pick<Run, 'id' | 'record'>>();

  /** Stalled runs whose end may need its follow-ups written again (all of them: finishing is idempotent). */
  private refinish = new Set<string>();

  /** The store writes again: the runs a failed write stopped go on from what is on disk. */
  requeueStalled(): number {
    const runs = [...this.stalled.values()];
    this.stalled.clear();
    for (const run of runs) {
      this.refinish.add(run.id);
      void this.enqueue(run).finally(() => this.refinish.delete(run.id));
    }
    return runs.length;
  }

  /**
   * The editor's "Run this step": one attempt of one action outside any run (the editor asked the user
   * first). Its own key each time, so a test call is never taken for a run's call.
   */
  async performTestStep(cmd: ActionCommand, flow: { id: string; version?: number }): Promise<ActionResult> {
    const executor = EXECUTORS[cmd.action];
    if (!executor) return { ok: false, errorClass: 'error', error: `action ${cmd.action} is not implemented`, durationMs: 0 };
    const id = `test-step-${randomUUID()}`;
    const deps: ActionDeps = { store: this.store, clock: this.clock, env: this.env, dataDir: this.dataDir, log: this.log, run: { id, flowId: flow.id, flowVersion: flow.version ?? 0 }, services: this.services, connections: this.connections };
    return executor({ ...cmd, idempotencyKey: `${id}:${cmd.nodeId}`, attempt: 1 }, deps);
  }

  /** Secret and config values by name, read once: they are loaded at start and do not change. */
  secretValues(): { secrets: Record<string, string>; config: Record<string, string> } {
    if (!this.valuesCache) {
      const names = this.secrets.names();
      const secrets: Record<string, string> = {};
      const config: Record<string, string> = {};
      for (const n of names.secrets) secrets[n] = this.secrets.secret(n) ?? '';
      for (const n of names.config) config[n] = this.secrets.config(n) ?? '';
      this.valuesCache = { secrets, config };
    }
    return this.valuesCache;
  }
  private valuesCache: { secrets: Record<string, string>; config: Record<string, string> } | undefined;

  /** What the engine is given to step a run: the time, the run's record, secret and config values. */
  private advanceEnv(run: Run): AdvanceEnv | Promise<AdvanceEnv> {
    // a run without a record needs no store read: no promise per step (the hot path)
    if (!run.record) return this.envWith(null);
    return this.store.getRecord(run.record.entity, run.record.key).then((record) => this.envWith(record ?? null));
  }

  private envWith(record: AdvanceEnv['record']): AdvanceEnv {
    const { secrets, config } = this.secretValues();
    return { now: this.now(), record, secrets, config, validateSchema: this.validateSchema };
  }

  /** Drives one run until it parks (timer, review) or ends. Never throws. */
  private async drive(run: Pick<Run, 'id' | 'record'>, created?: Run): Promise<void> {
    try {
      await this.driveUnsafe(run.id, created);
    } catch (e) {
      if (!this.store.health().ok) {
        // a failed write: the store holds the run as it is on disk; it goes on when writes work again
        this.stalled.set(run.id, { id: run.id, record: run.record });
        this.log.warn({ runId: run.id, err: (e as Error).message }, 'run stopped on a failed store write; it goes on when the store writes again');
        return;
      }
      this.log.error({ runId: run.id, err: (e as Error).stack ?? String(e) }, 'run driver crashed; the run stays open and resumes on restart');
    }
  }

  private async driveUnsafe(runId: string, created?: Run): Promise<void> {
    let run = created ?? (await this.store.getRun(runId));
    // a run's timer is only ever set by a drive that then parks it: the first drive of a run just
    // created has none to remove (the hot path's one store call fewer per run)
    const mayHaveRunTimer = created === undefined;
    if (run && isTerminal(run.status) && this.refinish.delete(runId)) {
      // it ended, but a failed write may have cut off what follows an end (dead letter, alert, KPI fact)
      const flow = await this.flows.version(run.flowId, run.flowVersion);
      if (flow) await this.finished(run, flow);
      return;
    }
    if (!run || isTerminal(run.status)) return;
    if (run.status === 'waiting' && run.wakeAt && Date.parse(run.wakeAt) > this.clock.now()) return; // woken too early
    if (run.status === 'needs_review' || run.status === 'held') return;
    const flow = await this.flows.version(run.flowId, run.flowVersion);
    if (!flow) {
      run = { ...run, status: 'failed', error: `flow ${run.flowId} version ${run.flowVersion} no longer exists`, endedAt: this.now(), updatedAt: this.now() };
      await this.store.saveRun(run);
      return;
    }
    // a run read back from the store may be changed meanwhile by another instance (cancelled, replayed):
    // the drive's first write goes only over the state it read, and comes before any action is performed
    let claimFrom = created === undefined && (run.status === 'queued' || run.status === 'waiting') ? run.status : undefined;
    // loop items whose command is being performed (an 'items' command lists them until they answer)
    const inFlight = new Map<string, Promise<{ key: string; nodeId: string; index: number; result: ItemResult }>>();
    for (let guard = 0; guard < 1_000_000; guard++) {
      const env = this.advanceEnv(run);
      const step = advance(flow, run, env instanceof Promise ? await env : env);
      run = step.run;
      const cmd = step.command;
      if (claimFrom) {
        if (!(await this.store.saveRunFrom(run, claimFrom))) {
          this.log.info({ runId, was: claimFrom }, 'run changed elsewhere before this drive wrote it; left as it is');
          return;
        }
        claimFrom = undefined;
      }
      // Before an action nothing new needs to be on disk: the steps since the last save are pure and
      // recomputed identically, and a crash during the call resumes here and repeats it under the same
      // Idempotency-Key. The action's result is written before any later step starts.
      else if (cmd.kind !== 'action' && cmd.kind !== 'sandbox' && cmd.kind !== 'items') await this.store.saveRun(run);
      switch (cmd.kind) {
        case 'done':
          return this.finished(run, flow, mayHaveRunTimer);
        case 'wait':
          await this.store.putTimer({ id: `run:${run.id}`, kind: 'run', dueAt: cmd.until, runId: run.id, flowId: run.flowId });
          return;
        case 'review': {
          const parked = run;
          const reviewId = `${parked.id}:${cmd.nodeId}`;
          const timeout = cmd.timeout ? { at: new Date(this.clock.now() + parseDuration(cmd.timeout.after)).toISOString(), decision: cmd.timeout.decision } : undefined;
          const opened = await this.store.updateDoc('reviews', reviewId, (cur) =>
            cur && cur.status === 'open'
              ? undefined
              : {
                  id: `${parked.id}:${cmd.nodeId}`,
                  runId: parked.id,
                  flowId: parked.flowId,
                  nodeId: cmd.nodeId,
                  queue: cmd.queue,
                  title: cmd.title,
                  decisions: cmd.decisions,
                  sop: cmd.sop,
                  context: { payload: parked.payload, vars: parked.vars, record: parked.record },
                  status: 'open',
                  createdAt: this.now(),
                  ...(timeout ? { timeout } : {}),
                },
          );
          if (opened) {
            // the timeout is a timer in the store: it decides after a restart too (and resumeReviewTimeouts covers a lost claim)
            if (timeout) await this.store.putTimer({ id: `review:${reviewId}`, kind: 'review-timeout', dueAt: timeout.at, runId: parked.id, flowId: parked.flowId, data: { reviewId } });
            await Promise.resolve(this.hooks.onReviewOpened?.(opened)).catch((e: Error) => this.log.warn({ reviewId, err: e.message }, 'review notification failed'));
          }
          return;
        }
        case 'transition': {
          let result: { ok: boolean; error?: string; record?: unknown };
          try {
            const rec = await this.services.setRecordState({ entity: cmd.entity, key: cmd.key, state: cmd.state, cause: { runId: run.id, nodeId: cmd.nodeId } });
            result = { ok: true, record: { entity: rec.entity, key: rec.key, state: rec.state } };
          } catch (e) {
            // the store cannot write: not a refused transition; the run stops here and goes on later
            if (!this.store.health().ok) throw e;
            result = { ok: false, error: (e as Error).message };
          }
          run = applyTransitionResult(flow, run, result, this.now());
          await this.store.saveRun(run);
          if (isTerminal(run.status)) return this.finished(run, flow, mayHaveRunTimer);
          break;
        }
        case 'items': {
          // a loop's items in flight at once; each result is written before that item's next step
          for (const c of cmd.commands) {
            const key = `${cmd.nodeId}:${c.index}`;
            if (!inFlight.has(key)) inFlight.set(key, this.performItem(c, run).then((r) => ({ ...r, key, nodeId: cmd.nodeId })));
          }
          const done = await Promise.race(inFlight.values());
          inFlight.delete(done.key);
          run = applyItemResult(flow, run, done.nodeId, done.index, this.redact(done.result), this.now());
          await this.store.saveRun(run);
          if (done.result.kind === 'action' && done.result.result.notConfigured) await this.alertNotConfigured(flow.id, done.nodeId, run.id, done.result.result);
          break;
        }
        case 'sandbox': {
          // like an action, nothing before it needs to be on disk: a crash reruns the same code on the
          // same input and seed; its result is written before any later step starts
          const started = this.clock.now();
          const result = await this.sandbox.run(cmd);
          this.hooks.onStep?.(run.flowId, cmd.nodeId, this.clock.now() - started);
          run = applySandboxResult(flow, run, this.redact(result), this.now());
          if (run.status !== 'running') await this.store.saveRun(run);
          if (isTerminal(run.status)) return this.finished(run, flow, mayHaveRunTimer);
          break;
        }
        case 'action': {
          const startedAt = this.now();
          const result = await this.perform(cmd, run);
          run = applyActionResult(flow, run, this.redact(result), this.now(), startedAt);
          // a success that goes on is saved with the next step's start (one write, not two): the pure
          // steps after it are recomputed identically, and a crash in between repeats the call under
          // the same Idempotency-Key (at-least-once)
          if (!(result.ok && run.status === 'running')) await this.store.saveRun(run);
          const node = flow.nodes.find((n) => n.id === cmd.nodeId);
          if (run.status === 'waiting' && run.wakeAt) {
            await this.store.putTimer({ id: `run:${run.id}`, kind: 'run', dueAt: run.wakeAt, runId: run.id, flowId: run.flowId });
            return;
          }
          if (result.notConfigured) await this.alertNotConfigured(flow.id, cmd.nodeId, run.id, result);
          if (!result.ok && run.outcome === 'error-handled' && node?.type === 'action' && node.alert) {
            await this.alertFor(flow, run, cmd.nodeId, 'retry_exhausted', `${flow.id}/${cmd.nodeId} failed for good (${result.error ?? result.errorClass}); error path taken`);
          }
          if (isTerminal(run.status)) return this.finished(run, flow, mayHaveRunTimer);
          break;
        }
      }
    }
  }

  /** One action attempt through its executor; never throws. */
  private async perform(cmd: ActionCommand, run: Run): Promise<ActionResult> {
    const executor = EXECUTORS[cmd.action];
    const deps: ActionDeps = {
      store: this.store,
      clock: this.clock,
      env: this.env,
      dataDir: this.dataDir,
      log: this.log,
      run: { id: run.id, flowId: run.flowId, flowVersion: run.flowVersion, record: run.record },
      services: this.services,
      connections: this.connections,
    };
    // a flow stored by a release that had an action this one lacks still fails cleanly
    const result: ActionResult = executor ? await executor(cmd, deps) : { ok: false, errorClass: 'error', error: `action ${cmd.action} is not implemented`, durationMs: 0 };
    // a failure while the store cannot write (the local outbox on a full disk…) is not the action's:
    // nothing could record it anyway, so the run stops here and repeats the call when writes work
    if (!result.ok && !this.store.health().ok) throw new Error(`store cannot write: ${this.store.health().cause} (action ${cmd.nodeId}: ${result.error ?? result.errorClass})`);
    this.hooks.onStep?.(run.flowId, cmd.nodeId, result.durationMs);
    return result;
  }

  /** The first not-configured step of a flow raises one P1 alert (until its connections change). */
  private async alertNotConfigured(flowId: string, nodeId: string, runId: string, result: ActionResult): Promise<void> {
    if (!(await firstNotConfigured(this.store, flowId, this.now()))) return;
    await this.services
      .raiseAlert({ flowId, nodeId, runId, kind: 'not_configured', severity: 'P1', message: `${flowId}/${nodeId} did not run: ${this.redact(result.error ?? 'not configured')} — nothing was sent. Set it up on the Connections page` })
      .catch((e: Error) => this.log.error({ runId, err: e.message }, 'raising an alert failed'));
  }

  /** One loop item's command (an action attempt or a sandbox run), as an ItemResult; never throws. */
  private async performItem(c: ItemsCommand['commands'][number], run: Run): Promise<{ index: number; result: ItemResult }> {
    if (c.command.kind === 'action') {
      const startedAt = this.now();
      return { index: c.index, result: { kind: 'action', result: await this.perform(c.command, run), startedAt } };
    }
    const started = this.clock.now();
    const result = await this.sandbox.run(c.command);
    this.hooks.onStep?.(run.flowId, c.command.nodeId, this.clock.now() - started);
    return { index: c.index, result: { kind: 'sandbox', result } };
  }

  private async finished(run: Run, flow: Flow, mayHaveRunTimer = true): Promise<void> {
    // the timer's removal and the dead-letter look-up are independent: one wait on the store, not two.
    // Only a replay (run.replays, set by every replay since the first release) can have a dead letter
    // marked replaying: the other succeeded runs skip the look-up
    const replayed = run.status === 'succeeded' && (run.replays ?? 0) > 0;
    const [, dl] = await Promise.all([mayHaveRunTimer ? this.store.deleteTimer(`run:${run.id}`) : undefined, replayed ? this.store.getDoc('deadLetters', run.id) : undefined]);
    if (run.status === 'dead') {
      const failed = [...run.steps].reverse().find((s) => s.status === 'failed');
      const node = flow.nodes.find((n) => n.id === failed?.nodeId);
      const now = this.now();
      await this.store.updateDoc('deadLetters', run.id, (cur) => ({
        id: run.id,
        runId: run.id,
        flowId: run.flowId,
        flowVersion: run.flowVersion,
        nodeId: failed?.nodeId ?? '',
        payload: run.payload,
        attempts: failed?.attempts ?? [],
        error: run.error ?? 'failed',
        sop: node?.sop ?? flow.sop ?? [],
        severity: node?.severity ?? flow.severity ?? 'P2',
        status: 'open',
        createdAt: cur?.createdAt ?? now,
        updatedAt: now,
      }));
      await this.alertFor(flow, run, failed?.nodeId, 'dead_letter', `${flow.id}/${failed?.nodeId ?? '?'} dead after ${failed?.attempts.length ?? 0} attempts: ${run.error ?? ''}`);
    }
    if (dl && dl.status === 'replaying') await this.store.putDoc('deadLetters', { ...dl, status: 'replayed', updatedAt: this.now() });
    // not awaited here unless the store asks (Store.holdSlotForFinishHooks): the run's slot is free
    // before its KPI fact is durable (nothing answers on it; finishing() lets settle and close wait)
    const hook = this.hooks.onRunFinished?.(run, flow);
    if (hook) {
      const settled = hook.catch((e: Error) => this.log.error({ runId: run.id, err: e.message }, 'a finished-run hook failed')).finally(() => this.finishingHooks.delete(settled));
      this.finishingHooks.add(settled);
      if (this.store.holdSlotForFinishHooks) await settled;
    }
    if (run.parent) this.wakeParent(run.parent.runId);
  }

  /** A flow.call child finished: its waiting parent asks for the result now, not at its next poll. */
  private wakeParent(runId: string): void {
    void (async () => {
      const parent = await this.store.getRun(runId);
      if (!parent || isTerminal(parent.status)) return;
      // on the parent's own queue: a parent still saving its wait (a quick child) is waited for first
      await this.queue.push(Runner.queueKey(parent), async () => {
        const cur = await this.store.getRun(runId);
        if (!cur || cur.status !== 'waiting') return;
        const now = this.now();
        await this.store.saveRun({ ...cur, wakeAt: now, updatedAt: now });
        await this.store.putTimer({ id: `run:${runId}`, kind: 'run', dueAt: now, runId, flowId: cur.flowId });
        await this.slots.run(() => this.drive(cur));
      });
    })().catch((e: Error) => this.log.error({ runId, err: e.message }, 'waking a flow.call parent failed; its timer wakes it'));
  }

  private alertFor(flow: Flow, run: Run, nodeId: string | undefined, kind: string, message: string) {
    const node = flow.nodes.find((n) => n.id === nodeId);
    return this.services
      .raiseAlert({ flowId: flow.id, nodeId, runId: run.id, kind, severity: node?.severity ?? flow.severity ?? 'P2', message })
      .catch((e: Error) => this.log.error({ runId: run.id, err: e.message }, 'raising an alert failed'));
  }

  // ── timers ──

  /**
   * A run's timer is due: queue the run and return at once. Awaiting its drive here would hold the
   * scheduler's pass for as long as the run's call takes (a dependency that hangs), and every other
   * timer coming due meanwhile would fire that much late.
   */
  async onRunTimer(t: Timer): Promise<void> {
    if (!t.runId) return;
    const run = await this.store.getRun(t.runId);
    if (run) void this.enqueue({ id: run.id, record: run.record });
  }

  /** SLA timers: a flow `sla` (the record must reach a state) or a node `sla` (the node must have succeeded). */
  private async armSlas(flow: Flow, run: Run): Promise<void> {
    const slas: { nodeId?: string; within: string }[] = [];
    if (flow.sla) slas.push({ within: flow.sla.within });
    for (const n of flow.nodes) if (n.sla) slas.push({ nodeId: n.id, within: n.sla.within });
    for (const s of slas) {
      await this.store.putTimer({
        id: `sla:${run.id}:${s.nodeId ?? '*'}`,
        kind: 'sla',
        dueAt: new Date(Date.parse(run.createdAt) + parseDuration(s.within)).toISOString(),
        runId: run.id,
        flowId: run.flowId,
        data: { nodeId: s.nodeId ?? null },
      });
    }
  }

  async onSlaTimer(t: Timer): Promise<void> {
    const run = t.runId ? await this.store.getRun(t.runId) : undefined;
    if (!run || run.status === 'cancelled') return;
    const flow = await this.flows.version(run.flowId, run.flowVersion);
    if (!flow) return;
    const nodeId = (t.data?.nodeId as string | null) ?? undefined;
    let met: boolean;
    let what: string;
    let severity = flow.sla?.severity ?? flow.severity ?? 'P1';
    if (nodeId) {
      const node = flow.nodes.find((n) => n.id === nodeId);
      met = run.steps.some((s) => s.nodeId === nodeId && s.status === 'succeeded' && (!s.endedAt || s.endedAt <= t.dueAt));
      what = `node ${nodeId} not done within ${node?.sla?.within}`;
      severity = node?.sla?.severity ?? node?.severity ?? severity;
    } else {
      const target = flow.sla?.state;
      const rec = run.record ? await this.store.getRecord(run.record.entity, run.record.key) : undefined;
      met = target ? !!rec?.history.some((h) => h.to === target && h.at >= run.createdAt && h.at <= t.dueAt) : run.status === 'succeeded' && (run.endedAt ?? '') <= t.dueAt;
      what = target ? `${run.record?.entity ?? 'record'} ${run.record?.key ?? ''} not ${target} within ${flow.sla?.within}` : `run not finished within ${flow.sla?.within}`;
    }
    if (!met) {
      await this.services.raiseAlert({ flowId: flow.id, nodeId, runId: run.id, kind: 'sla_breach', severity, message: `SLA breached: ${flow.id}: ${what}` });
    }
  }

  // ── start-up resume ──

  async resumeAll(opts: { includeOwn?: boolean } = {}): Promise<number> {
    // a shared database: only runs of this instance (before a restart) or of dead instances
    // read in pages, oldest first; only ids stay queued (each run is read again when its turn comes),
    // so a backlog of any size resumes in bounded memory, in arrival order
    let n = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.store.claimResumableRuns({ ...opts, limit: RESUME_PAGE, after });
      for (const run of page) await this.resumeOne(run);
      n += page.length;
      if (page.length < RESUME_PAGE) return n;
      after = page[page.length - 1].id;
    }
  }

  private async resumeOne(run: Run): Promise<void> {
    if (run.status === 'waiting' && run.wakeAt) {
      const t = await this.store.getTimer(`run:${run.id}`);
      if (!t) await this.store.putTimer({ id: `run:${run.id}`, kind: 'run', dueAt: run.wakeAt, runId: run.id, flowId: run.flowId });
    } else if (run.status === 'queued' || run.status === 'running') {
      void this.enqueue({ id: run.id, record: run.record ? { entity: run.record.entity, key: run.record.key } : undefined });
    }
  }

  // ── hold while paused ──

  /** microseconds on the clock, or one more than the last: events accepted in the same millisecond keep their order */
  private lastHeldSeq = 0;

  /** The held runs of a flow, oldest first (arrival order). */
  async heldRuns(flowId: string): Promise<Run[]> {
    const out: Run[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await this.store.listRuns({ flowId, status: 'held', limit: 500, before });
      out.push(...page);
      if (page.length < 500) break;
      before = page[page.length - 1]!.id;
    }
    const seq = (r: Run) => r.heldSeq ?? Date.parse(r.createdAt) * 1000;
    return out.sort((a, b) => seq(a) - seq(b) || (a.id < b.id ? -1 : 1));
  }

  private releasing = new Map<string, Promise<number>>();

  /**
   * Starts the held runs of a flow that was switched back on, in arrival order, on its version active
   * now. Each is made `queued` on disk first (a crash from here on resumes it as any queued run), then
   * driven one after the other up to its first wait, review or end: the first to arrive is the first
   * served. Resolves with how many were released once every one is queued; `driven` once all ran.
   */
  releaseHeld(flowId: string): Promise<number> {
    const running = this.releasing.get(flowId);
    if (running) return running.then(() => this.releaseHeld(flowId));
    const task = (async () => {
      const stored = this.flows.get(flowId);
      if (!stored?.active) return 0;
      const flow = stored.doc.version === stored.version ? stored.doc : { ...stored.doc, version: stored.version };
      const released: Run[] = [];
      for (const held of await this.heldRuns(flowId)) {
        const next = releaseHeld(flow, held, this.now());
        // another instance may be releasing the same runs (each applies the switch): each starts once
        if (await this.store.saveRunFrom(next, 'held')) released.push(next);
      }
      const drive = (async () => {
        for (const run of released) {
          void this.armSlas(flow, run).catch((e) => this.log.error({ err: (e as Error).message, runId: run.id }, 'arming SLA timers failed'));
          await this.enqueue(run);
        }
      })();
      this.driving = this.driving.then(() => drive);
      this.releasedCount.set(flowId, this.releasedSoFar(flowId) + released.length);
      if (released.length) this.log.info({ flowId, runs: released.length }, 'held runs released');
      return released.length;
    })().finally(() => this.releasing.delete(flowId));
    this.releasing.set(flowId, task);
    return task;
  }
  private readonly releasedCount = new Map<string, number>();
  /**
   * How many held runs of a flow this process has released since it started. The API tells a switch's
   * count from it: on a shared store the change feed may release them before the API's own call does.
   */
  releasedSoFar(flowId: string): number {
    return this.releasedCount.get(flowId) ?? 0;
  }

  /** resolves once every released run has been driven up to its first park or end */
  driving: Promise<void> = Promise.resolve();

  /** the finished-run hooks (KPI fact, metrics) still running */
  private readonly finishingHooks = new Set<Promise<void>>();

  /** Resolves once every finished-run hook started so far has settled. */
  async finishing(): Promise<void> {
    while (this.finishingHooks.size) await Promise.allSettled([...this.finishingHooks]);
  }

  /** Cancels every held run of a flow (the owner discarded them); resolves with how many. */
  async discardHeld(flowId: string): Promise<number> {
    let n = 0;
    for (const run of await this.heldRuns(flowId)) {
      try {
        await this.cancel(run.id, 'discarded while held');
        n++;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e; // released meanwhile
      }
    }
    return n;
  }

  // ── operator actions ──

  async replay(runId: string, opts: { newIdempotencyKey?: boolean; version?: 'latest' | number } = {}): Promise<Run> {
    if (this.replaying.has(runId)) throw new ConflictError(`run ${runId} is already being replayed`);
    this.replaying.add(runId);
    try {
      const run = await this.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} not found`);
      if (run.status !== 'dead' && run.status !== 'failed') throw new ConflictError(`run ${runId} is ${run.status}; only dead or failed runs can be replayed`);
      const version = opts.version === 'latest' ? this.flows.get(run.flowId)?.version : typeof opts.version === 'number' ? opts.version : run.flowVersion;
      const flow = version ? await this.flows.version(run.flowId, version) : undefined;
      if (!flow) throw new NotFoundError(`flow ${run.flowId} version ${version ?? '?'} not found`);
      let next: Run;
      try {
        next = prepareReplay(flow, { ...run, flowVersion: version! }, this.now(), { newIdempotencyKey: opts.newIdempotencyKey });
      } catch (e) {
        throw new ConflictError((e as Error).message);
      }
      // two replays at once (here and on another instance): only the first writes over the run it read
      if (!(await this.store.saveRunFrom(next, run.status))) throw new ConflictError(`run ${runId} is already being replayed, or changed meanwhile; look at it again`);
      const dl = await this.store.getDoc('deadLetters', runId);
      if (dl) await this.store.putDoc('deadLetters', { ...dl, status: 'replaying', updatedAt: this.now() });
      void this.enqueue(next).finally(() => this.replaying.delete(runId));
      return next;
    } catch (e) {
      this.replaying.delete(runId);
      throw e;
    }
  }

  isReplaying(runId: string): boolean {
    return this.replaying.has(runId);
  }

  async cancel(runId: string, reason = 'cancelled by the operator'): Promise<Run> {
    const run = await this.untilParkedElsewhere(runId);
    let out: Run | undefined;
    let error: Error | undefined;
    await this.queue.push(Runner.queueKey(run), () => this.lanes.exclusive(run, async () => {
      const cur = (await this.store.getRun(runId))!;
      if (!['queued', 'waiting', 'needs_review', 'held'].includes(cur.status)) {
        error = new ConflictError(`run ${runId} is ${cur.status}; only queued, waiting, needs_review or held runs can be cancelled`);
        return;
      }
      out = cancelRun(cur, this.now(), reason);
      // on a shared store another instance may move the run on meanwhile (release it, wake it): the
      // cancel is written only over the state it was decided on
      if (!(await this.store.saveRunFrom(out, cur.status))) {
        error = new ConflictError(`run ${runId} changed while it was being cancelled; look at it again`);
        return;
      }
      await this.store.deleteTimer(`run:${runId}`);
      const flow = await this.flows.version(out.flowId, out.flowVersion);
      for (const r of await this.openReviewsOf(runId, flow)) await this.store.putDoc('reviews', { ...r, status: 'cancelled', resolvedAt: this.now() });
      if (flow) await this.hooks.onRunFinished?.(out, flow);
    }));
    if (error) throw error;
    return out!;
  }

  /**
   * The run to cancel. One queued or running on another live instance (a shared store) is being driven
   * there, where this instance's queue cannot wait for it: as a cancel here waits behind the run's drive,
   * this waits until the run parks (waits, asks for review) or ends, polling, for at most ~30 s.
   */
  private async untilParkedElsewhere(runId: string): Promise<Run> {
    for (let waited = 0, delay = CANCEL_POLL_FIRST_MS; ; waited += delay, delay = Math.min(delay * 2, CANCEL_POLL_MAX_MS)) {
      const run = await this.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} not found`);
      if ((run.status !== 'queued' && run.status !== 'running') || !(await this.store.runDrivenElsewhere?.(runId))) return run;
      if (waited >= CANCEL_WAIT_MS) throw new ConflictError(`run ${runId} is still ${run.status} on another instance; cancel it again once it waits`);
      await new Promise((ok) => setTimeout(ok, delay));
    }
  }

  /**
   * The run's open reviews, found by id (`<runId>:<nodeId>`, as a review step names them) for each review
   * node of its flow — never by listing every review: a payment's cancelOn would read all the parked ones.
   */
  private async openReviewsOf(runId: string, flow: Flow | undefined): Promise<ReviewItem[]> {
    if (!flow) return (await this.store.listDocs('reviews')).filter((r) => r.runId === runId && r.status === 'open');
    const reviewNodes = flow.nodes.filter((n) => n.type === 'review');
    const found = await Promise.all(reviewNodes.map((n) => this.store.getDoc('reviews', `${runId}:${n.id}`)));
    return found.filter((r): r is ReviewItem => r !== undefined && r.runId === runId && r.status === 'open');
  }

  /** A review's timer is due: its default decision, unless someone decided first. */
  async onReviewTimeout(t: Timer): Promise<void> {
    const reviewId = typeof t.data?.reviewId === 'string' ? t.data.reviewId : undefined;
    const item = reviewId ? await this.store.getDoc('reviews', reviewId) : undefined;
    if (!item || item.status !== 'open' || !item.timeout) return;
    try {
      await this.resolveReview(item.id, item.timeout.decision, 'timeout');
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e; // decided meanwhile
    }
  }

  /** At start-up: open reviews whose timeout passed while down are decided; the others get their timer back. */
  async resumeReviewTimeouts(): Promise<void> {
    for (const item of await this.store.listDocs('reviews')) {
      if (item.status !== 'open' || !item.timeout) continue;
      const id = `review:${item.id}`;
      if (Date.parse(item.timeout.at) <= this.clock.now()) await this.onReviewTimeout({ id, kind: 'review-timeout', dueAt: item.timeout.at, data: { reviewId: item.id } });
      else if (!(await this.store.getTimer(id))) await this.store.putTimer({ id, kind: 'review-timeout', dueAt: item.timeout.at, runId: item.runId, flowId: item.flowId, data: { reviewId: item.id } });
    }
  }

  async resolveReview(reviewId: string, decision: string, by: 'api' | 'link' | 'timeout' = 'api'): Promise<Run> {
    const item = await this.store.getDoc('reviews', reviewId);
    if (!item) throw new NotFoundError(`review ${reviewId} not found`);
    if (item.status !== 'open') throw new ConflictError(`review ${reviewId} is already ${item.status}`);
    if (!item.decisions.includes(decision)) throw new InvalidRequestError(`decision must be one of: ${item.decisions.join(', ')}`);
    const run = await this.store.getRun(item.runId);
    if (!run) throw new NotFoundError(`run ${item.runId} not found`);
    let out: Run | undefined;
    let error: Error | undefined;
    await this.queue.push(Runner.queueKey(run), () => this.lanes.exclusive(run, async () => {
      const claimed = await this.store.updateDoc('reviews', reviewId, (cur) =>
        cur && cur.status === 'open' ? { ...cur, status: 'resolved', decision, resolvedAt: this.now(), resolvedBy: by } : undefined,
      );
      if (!claimed) {
        error = new ConflictError(`review ${reviewId} is already resolved`);
        return;
      }
      const cur = (await this.store.getRun(item.runId))!;
      if (cur.status !== 'needs_review') {
        error = new ConflictError(`run ${cur.id} is ${cur.status}: its review can no longer be decided`);
        return;
      }
      const flow = await this.flows.version(cur.flowId, cur.flowVersion);
      if (!flow) {
        error = new NotFoundError(`flow ${cur.flowId} not found`);
        return;
      }
      out = engineResolveReview(flow, cur, decision, this.now());
      // cancelled meanwhile (another instance, a record's cancelOn): the decision does not revive it
      if (!(await this.store.saveRunFrom(out, 'needs_review'))) {
        error = new ConflictError(`run ${cur.id} changed while its review was being decided; look at it again`);
        return;
      }
      if (by !== 'timeout') await this.store.deleteTimer(`review:${reviewId}`);
      await this.driveUnsafe(out.id);
    }));
    if (error) throw error;
    return (await this.store.getRun(item.runId)) ?? out!;
  }
}
