// The timer worker: claims due timers from the store and dispatches them by kind. Schedules are
// timers too: after downtime, a missed slot fires once and the next slot is computed from now.
import { Cron } from 'croner';
import { admitEvent } from '@flowdesk/engine';
import type { Flow, ScheduleTrigger } from '@flowdesk/schema';
import type { Store, Timer } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { FlowRegistry } from '../flows/registry.ts';
import type { Runner } from './runner.ts';

export type TimerHandler = (t: Timer) => Promise<void>;

/** The due time of a schedule timer whose flow is paused with hold (armSchedules brings it back). */
export const HELD_UNTIL_RESUMED = '9999-12-31T00:00:00.000Z';

export function nextSlot(trigger: ScheduleTrigger, afterMs: number): string | undefined {
  const next = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true }).nextRun(new Date(afterMs));
  return next?.toISOString();
}

export class Scheduler {
  private handlers = new Map<Timer['kind'], TimerHandler>();
  private interval: NodeJS.Timeout | undefined;
  private ticking: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private store: Store,
    private flows: FlowRegistry,
    private runner: Runner,
    private clock: Clock,
    private log: Logger,
  ) {
    this.handlers.set('run', (t) => this.runner.onRunTimer(t));
    this.handlers.set('sla', (t) => this.runner.onSlaTimer(t));
    this.handlers.set('schedule', (t) => this.fireSchedule(t));
  }

  on(kind: Timer['kind'], handler: TimerHandler): void {
    this.handlers.set(kind, handler);
  }

  start(pollMs = 100): void {
    this.interval = setInterval(() => this.wake(), pollMs);
    this.interval.unref();
  }
  /** No pass starts after this; `drained` waits for the one under way (shutdown closes the store after it). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
  }
  async drained(): Promise<void> {
    await this.ticking?.catch(() => {});
  }

  /** A pass started from outside a request (the interval, an IDLE doorbell): its failure is logged, never unhandled. */
  wake(): void {
    if (this.stopped) return;
    this.tick().catch((e: Error) => this.log.error({ err: e.message }, 'timer pass failed'));
  }

  /** Claims and dispatches every due timer; returns how many fired. Overlapping calls share one pass. */
  tick(): Promise<number> {
    this.ticking ??= this.pass().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async pass(): Promise<number> {
    let fired = 0;
    for (;;) {
      const due = await this.store.claimDueTimers(new Date(this.clock.now()).toISOString(), 500);
      if (due.length === 0) return fired;
      fired += due.length;
      await Promise.all(
        due.map((t) =>
          (this.handlers.get(t.kind)?.(t) ?? Promise.resolve()).catch((e: Error) => this.log.error({ timer: t.id, err: e.message }, 'timer handler failed')),
        ),
      );
    }
  }

  /**
   * Makes sure every active schedule flow has its next slot armed (start-up and deploys). A flow paused
   * with hold keeps its timer: a slot that comes due meanwhile is remembered, and fires once when the
   * flow is switched back on, as a slot missed while the runtime was down does.
   */
  async armSchedules(): Promise<void> {
    for (const f of this.flows.list()) {
      const id = `schedule:${f.id}`;
      if ((!f.active && !f.hold) || f.doc.trigger.type !== 'schedule') {
        await this.store.deleteTimer(id);
        continue;
      }
      const existing = await this.store.getTimer(id);
      const missed = existing?.data?.missedSlot;
      if (f.active && typeof missed === 'string') {
        // back on: the slot missed while held fires now, once
        await this.store.putTimer({ ...existing!, dueAt: missed, data: { ...existing!.data, missedSlot: null } });
        continue;
      }
      if (existing && existing.data?.cron === f.doc.trigger.cron && existing.data?.timezone === (f.doc.trigger.timezone ?? null)) continue;
      await this.armNext(f.doc, this.clock.now());
    }
  }

  private async armNext(flow: Flow, afterMs: number): Promise<void> {
    if (flow.trigger.type !== 'schedule') return;
    const dueAt = nextSlot(flow.trigger, afterMs);
    if (!dueAt) return;
    await this.store.putTimer({ id: `schedule:${flow.id}`, kind: 'schedule', dueAt, flowId: flow.id, data: { cron: flow.trigger.cron, timezone: flow.trigger.timezone ?? null } });
  }

  private async fireSchedule(t: Timer): Promise<void> {
    const f = t.flowId ? this.flows.get(t.flowId) : undefined;
    if (f?.hold && f.doc.trigger.type === 'schedule') {
      // paused with hold: remember the (first) missed slot, wait far away until armSchedules brings it back
      const missedSlot = typeof t.data?.missedSlot === 'string' ? t.data.missedSlot : t.dueAt;
      await this.store.putTimer({ ...t, dueAt: HELD_UNTIL_RESUMED, data: { ...t.data, missedSlot } });
      return;
    }
    if (!f || !f.active || f.doc.trigger.type !== 'schedule') return;
    // next slot from now, not from the missed slot: a slot missed while down fires once
    await this.armNext(f.doc, Math.max(this.clock.now(), Date.parse(t.dueAt)));
    const admission = admitEvent(f.doc, { source: { kind: 'schedule', slot: t.dueAt }, payload: f.doc.trigger.payload ?? { scheduledFor: t.dueAt } });
    if (admission.admit === 'start') await this.runner.start(f.doc, admission.start);
    else this.log.warn({ flowId: f.id, slot: t.dueAt, why: admission.admit === 'rejected' ? admission.error : admission.reason }, 'schedule slot did not start a run');
  }
}
