// The e-mail and poll triggers' reader loop. Each active flow with such a trigger has one store timer
// (`poll:<flowId>`); whoever claims it (one instance, also on a shared database) re-arms it first —
// so a crash mid-read never stops the polling — then takes the flow's read lease (`trigger:<flowId>`
// from the shared lease service, cluster/leases.ts: renewed while the read lasts, expired within
// FLOWDESK_LEASE_MS of its holder dying, always this process's on the embedded store), reads, and
// writes the cursor. A read stops between items once its lease is lost. A paused flow (with hold or not) has no timer: nothing is fetched and the cursor keeps
// what is unread. Failures back off (interval × 2^failures, at most an hour) and raise one alert
// after ALERT_AFTER_FAILURES in a row; the next good read clears the count.
import { parseDuration, type Flow } from '@flowdesk/schema';
import type { Store, Timer } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { FlowRegistry } from '../flows/registry.ts';
import type { Runner } from '../runner/runner.ts';
import type { AlertDispatcher } from '../alerts/dispatcher.ts';
import type { FileStore } from '../files/file-store.ts';
import type { Secrets } from '../security/secrets.ts';
import type { LeaseOwner, Leases } from '../cluster/leases.ts';
import { watchMailbox, type IdleStatus, type IdleWatch } from './imap-idle.ts';
import { mailboxAccess } from './imap-client.ts';
import { saveState, stateFor, type TriggerState } from './trigger-state.ts';
import { readMailbox, mailboxSource, type EmailTrigger } from './imap-reader.ts';
import { pollUrl, pollSource, type PollTrigger } from './url-poller.ts';

export const ALERT_AFTER_FAILURES = 3;
export const MAX_BACKOFF_MS = 3_600_000;
export const DEFAULT_INTERVAL = { email: '1m', poll: '5m' } as const;
export const TRIGGER_FAILING_ALERT = 'trigger_failing';

type PolledFlow = Flow & { trigger: EmailTrigger | PollTrigger };
const isPolled = (f: Flow): f is PolledFlow => f.trigger.type === 'email' || f.trigger.type === 'poll';
const timerId = (flowId: string) => `poll:${flowId}`;
/** the lease a read of this flow's mailbox or URL is done under */
export const readLeaseName = (flowId: string) => `trigger:${flowId}`;

export interface PollerDeps {
  store: Store;
  flows: FlowRegistry;
  runner: Runner;
  clock: Clock;
  log: Logger;
  alerts: Pick<AlertDispatcher, 'raise'>;
  files: FileStore;
  secrets: Secrets;
  env: Record<string, string | undefined>;
  /** the runtime's lease service (PostgreSQL's shared leases, or this process's own) */
  leases: Pick<Leases, 'acquire' | 'own'>;
  /** fires due timers now (an IDLE session's new mail made a read due); must not wait for them */
  kick: () => void;
}

/** What a reader checks between items: false once the read's lease is lost (another instance may read). */
export interface ReadGuard {
  readonly lost: boolean;
}

/** What one read did: how many runs it started, and whether more is waiting (read again at once). */
export interface ReadResult {
  started: number;
  more: boolean;
}

export class TriggerPollers {
  /** flows being read by this process: a timer that fires while a long read goes on waits its turn */
  private readonly reading = new Set<string>();
  /** flows whose mailbox rang while being read: read again as soon as that read ends */
  private readonly rangWhileReading = new Set<string>();
  /** the IDLE doorbell of each active e-mail flow, held by the instance owning the lease `idle:<flowId>` */
  private readonly bells = new Map<string, { source: string; owner: LeaseOwner; watch?: IdleWatch }>();
  /** doorbell rings under way: closing waits for them, so none touches the store after it closes */
  private readonly ringing = new Set<Promise<void>>();
  private closed = false;
  constructor(private deps: PollerDeps) {}

  /** the IDLE session of an e-mail flow in this process (undefined: none here) */
  idleStatus(flowId: string): IdleStatus | undefined {
    return this.bells.get(flowId)?.watch?.status;
  }

  private onRing(flowId: string): void {
    if (this.closed) return;
    const p = this.ring(flowId)
      .catch((e: Error) => this.deps.log.warn({ flowId, err: e.message }, 'e-mail trigger: could not make a read due'))
      .finally(() => this.ringing.delete(p));
    this.ringing.add(p);
  }

  /** New mail announced by IDLE: the flow's read is due now (the next slot then follows from it). */
  private async ring(flowId: string): Promise<void> {
    const f = this.deps.flows.get(flowId);
    if (!f?.active || !isPolled(f.doc)) return;
    if (this.reading.has(flowId)) return void this.rangWhileReading.add(flowId);
    const now = this.deps.clock.now();
    const cur = await this.deps.store.getTimer(timerId(flowId));
    if (!cur || Date.parse(cur.dueAt) > now) await this.deps.store.putTimer({ id: timerId(flowId), kind: 'poll', dueAt: new Date(now).toISOString(), flowId });
    this.deps.kick();
  }

  private async syncBells(): Promise<void> {
    const wanted = new Map<string, { flow: Flow & { trigger: EmailTrigger }; source: string }>();
    for (const f of this.deps.flows.list()) {
      // a mailbox not configured yet gets no session: the poll slot notes it, and a restart with the settings starts one
      if (f.active && f.doc.trigger.type === 'email' && !('notConfigured' in mailboxAccess(f.doc.trigger, this.deps.secrets))) wanted.set(f.id, { flow: f.doc as Flow & { trigger: EmailTrigger }, source: `${mailboxSource(f.doc.trigger)} ${f.doc.trigger.password} ${f.doc.trigger.tls ?? ''}` });
    }
    for (const [id, bell] of [...this.bells]) {
      if (wanted.get(id)?.source === bell.source) continue;
      this.bells.delete(id);
      await bell.owner.stop();
    }
    for (const [id, { flow, source }] of wanted) {
      if (this.bells.has(id)) continue;
      const bell: { source: string; owner?: LeaseOwner; watch?: IdleWatch } = { source };
      bell.owner = this.deps.leases.own(`idle:${id}`, () => {
        const watch = watchMailbox(flow.trigger, this.deps, id, () => this.onRing(id));
        bell.watch = watch;
        return () => watch.stop();
      });
      this.bells.set(id, bell as { source: string; owner: LeaseOwner; watch?: IdleWatch });
    }
  }

  /** Stops every IDLE session (the runtime is closing). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.ringing]);
    for (const bell of this.bells.values()) await bell.owner.stop();
    this.bells.clear();
  }

  intervalMs(f: PolledFlow): number {
    return parseDuration(f.trigger.interval ?? DEFAULT_INTERVAL[f.trigger.type]);
  }

  /**
   * Start-up, deploys, switching on and off: active flows have a timer (due now when new), others none;
   * active e-mail flows have an IDLE doorbell, others none.
   */
  async arm(): Promise<void> {
    const { store, flows, clock } = this.deps;
    for (const f of flows.list()) {
      const id = timerId(f.id);
      if (!f.active || !isPolled(f.doc)) {
        await store.deleteTimer(id);
        continue;
      }
      const source = f.doc.trigger.type === 'email' ? mailboxSource(f.doc.trigger) : pollSource(f.doc.trigger);
      await stateFor(store, f.id, source, clock.now()); // remembers when it was switched on
      if (!(await store.getTimer(id))) await store.putTimer({ id, kind: 'poll', dueAt: new Date(clock.now()).toISOString(), flowId: f.id });
    }
    await this.syncBells();
  }

  async onTimer(t: Timer): Promise<void> {
    const { store, flows, clock, log } = this.deps;
    const stored = t.flowId ? flows.get(t.flowId) : undefined;
    if (!stored || !stored.active || !isPolled(stored.doc)) return; // paused or gone: stop fetching
    const flow = stored.doc;
    const interval = this.intervalMs(flow);
    const rearm = (ms: number) => store.putTimer({ id: timerId(flow.id), kind: 'poll', dueAt: new Date(clock.now() + ms).toISOString(), flowId: flow.id });
    await rearm(interval);
    if (flow.trigger.type === 'email') {
      const access = mailboxAccess(flow.trigger, this.deps.secrets);
      const notConfigured = 'notConfigured' in access ? access.notConfigured : undefined;
      const cur = await stateFor(store, flow.id, mailboxSource(flow.trigger), clock.now());
      if (cur.notConfigured !== notConfigured) {
        const next: TriggerState = { ...cur, notConfigured };
        if (notConfigured === undefined) delete next.notConfigured;
        await saveState(store, next);
        if (notConfigured) log.info({ flowId: flow.id, why: notConfigured }, 'e-mail trigger not configured yet: reading nothing');
      }
      if (notConfigured) return; // waits for its owner: no read, no failure, no alert
    }
    if (this.reading.has(flow.id)) return;
    const lease = await this.deps.leases.acquire(readLeaseName(flow.id));
    if (!lease) return; // another instance is reading it
    this.reading.add(flow.id);
    const source = flow.trigger.type === 'email' ? mailboxSource(flow.trigger) : pollSource(flow.trigger);
    let state = await stateFor(store, flow.id, source, clock.now());
    try {
      const res = flow.trigger.type === 'email' ? await readMailbox(flow as Flow & { trigger: EmailTrigger }, state, this.deps, lease) : await pollUrl(flow as Flow & { trigger: PollTrigger }, state, this.deps, lease);
      state = res.state;
      if (state.failures || state.alerted) await saveState(store, (state = { ...state, failures: 0, alerted: false, lastError: undefined }));
      if (res.more) await rearm(0);
    } catch (e) {
      const message = (e as Error).message;
      const latest = (await stateFor(store, flow.id, source, clock.now())) as TriggerState;
      const failures = latest.failures + 1;
      const alert = failures >= ALERT_AFTER_FAILURES && !latest.alerted;
      await saveState(store, { ...latest, failures, alerted: latest.alerted || alert, lastError: message });
      const backoff = Math.min(interval * 2 ** failures, Math.max(MAX_BACKOFF_MS, interval));
      await rearm(backoff);
      log.warn({ flowId: flow.id, failures, retryInMs: backoff, err: message }, `${flow.trigger.type} trigger: read failed`);
      if (alert) {
        await this.deps.alerts.raise({
          flowId: flow.id,
          kind: TRIGGER_FAILING_ALERT,
          severity: flow.severity ?? 'P1',
          message: `flow ${flow.id}: its ${flow.trigger.type === 'email' ? 'mailbox' : 'URL'} could not be read ${failures} times in a row (${message}); nothing is lost: unread items are read once it works again`,
        });
      }
    } finally {
      this.reading.delete(flow.id);
      await lease.release();
      if (this.rangWhileReading.delete(flow.id)) await rearm(0); // this pass claims it next
    }
  }
}
