// When the daily retention job runs: at start when it is overdue (never ran, or last ran a day or more
// ago — so a process restarted every day still prunes), then every 24 hours by a stored timer. Each
// run's outcome is kept in settings (`retention-last-run`) and logged.
import type { Clock } from '../clock.ts';
import type { Logger } from './logger.ts';
import type { Scheduler } from '../runner/scheduler.ts';
import type { Store } from '../store/types.ts';
import { runRetention } from './kpi-facts.ts';

export const RETENTION_TIMER_ID = 'retention';
export const RETENTION_LAST_RUN_ID = 'retention-last-run';
const DAY_MS = 86_400_000;
// A pass looks for missing KPI facts among the runs that ended since the previous pass began, less this
// (a clock stepped back; a run that ended while that pass ran): not among the whole history every day.
const FACTS_OVERLAP_MS = 3_600_000;

export async function scheduleRetention(deps: {
  store: Store;
  scheduler: Pick<Scheduler, 'on'>;
  clock: Clock;
  log: Logger;
  days: number;
  /** what else goes with pruned runs (the files that came with their events); resolves with how many owners */
  alsoPrune?: (nowMs: number) => Promise<number>;
}): Promise<void> {
  const { store, scheduler, clock, log, days } = deps;
  const iso = (ms: number) => new Date(ms).toISOString();
  const arm = (dueMs: number) => store.putTimer({ id: RETENTION_TIMER_ID, kind: 'retention', dueAt: iso(dueMs) });
  /** when the last pass ran (ms), NaN when none has */
  const lastPassAt = async (): Promise<number> => {
    const last = await store.getDoc('settings', RETENTION_LAST_RUN_ID);
    return typeof last?.at === 'string' ? Date.parse(last.at) : NaN;
  };
  scheduler.on('retention', async () => {
    const now = clock.now();
    const prevAt = await lastPassAt();
    // the first pass (or after an upgrade from a release without it) reads the whole history
    const factsEndedFrom = Number.isFinite(prevAt) ? iso(prevAt - FACTS_OVERLAP_MS) : undefined;
    const out = { ...(await runRetention(store, { now: iso(now), days, ...(factsEndedFrom ? { factsEndedFrom } : {}) })), ...(deps.alsoPrune ? { fileOwners: await deps.alsoPrune(now) } : {}) };
    await store.putDoc('settings', { id: RETENTION_LAST_RUN_ID, at: iso(now), ...out });
    log.info(out, `retention: pruned ${out.pruned} finished run(s) that ended before ${out.before} (${out.factsWritten} KPI fact(s) written first)`);
    await arm(now + DAY_MS);
  });
  const lastAt = await lastPassAt();
  const now = clock.now();
  // overdue: due now, so the first timer pass (right after start) runs it
  if (!(now - lastAt < DAY_MS)) await arm(now);
  else if (!(await store.getTimer(RETENTION_TIMER_ID))) await arm(lastAt + DAY_MS);
}
