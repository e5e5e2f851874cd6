// Replay from the dead-letter queue or the run page: on the version the run failed on, or on the
// latest deployed version (after a fix), and then what the replay did — its new status and, when it
// failed again, the step and the error.
import { useCallback, useState } from 'react';
import type { Run } from '@flowdesk/schema';
import { get, post } from '../api.ts';

export interface ReplayOutcome {
  runId: string;
  /** the version it replayed on */
  version?: number;
  status: string;
  failing?: { nodeId: string; error: string };
  error?: string;
}

const SETTLED = new Set(['succeeded', 'dead', 'failed', 'cancelled', 'needs_review', 'waiting']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a replay and follows the run until it settles (or 60 s pass). */
export function useReplay(): { outcomes: Record<string, ReplayOutcome>; replay: (url: string, runId: string, latest: boolean) => Promise<void> } {
  const [outcomes, setOutcomes] = useState<Record<string, ReplayOutcome>>({});
  const replay = useCallback(async (url: string, runId: string, latest: boolean) => {
    const set = (o: ReplayOutcome) => setOutcomes((cur) => ({ ...cur, [runId]: o }));
    // the run's own replay count tells this replay's end from the failure it replays
    const replaysOf = (r: Run | null) => (r?.replays ?? 0);
    const before = replaysOf(await get<Run>(`/api/runs/${runId}`).catch(() => null));
    try {
      await post(url, latest ? { version: 'latest' } : {});
    } catch (e) {
      set({ runId, status: 'refused', error: (e as Error).message });
      return;
    }
    set({ runId, status: 'running' });
    for (let i = 0; i < 120; i++) {
      await sleep(i < 10 ? 200 : 500);
      const run = await get<Run>(`/api/runs/${runId}`).catch(() => null);
      if (!run || !SETTLED.has(run.status) || replaysOf(run) <= before) continue;
      const failed = [...run.steps].reverse().find((s) => s.status === 'failed');
      set({ runId, version: run.flowVersion, status: run.status, ...(failed && run.status !== 'succeeded' ? { failing: { nodeId: failed.nodeId, error: String(failed.error ?? run.error ?? '') } } : {}) });
      return;
    }
  }, []);
  return { outcomes, replay };
}

export function ReplayResult(props: { outcome: ReplayOutcome; onOpen?: (runId: string) => void }) {
  const o = props.outcome;
  const cls = o.status === 'succeeded' ? 'ok' : o.status === 'running' ? '' : 'error';
  return (
    <div className={`fd-banner ${cls}`} data-testid="replay-result" data-run={o.runId} data-status={o.status}>
      {o.status === 'running' && <>Replay started. Following the run…</>}
      {o.status === 'refused' && <>Replay refused: {o.error}</>}
      {o.status !== 'running' && o.status !== 'refused' && (
        <>
          Replay started on v{o.version} — the run is now <b data-testid="replay-status">{o.status}</b>
          {o.failing && (
            <>
              {' '}
              — fails again at <b data-testid="replay-failing-node">{o.failing.nodeId}</b>: {o.failing.error}
            </>
          )}
          {props.onOpen && (
            <>
              {' '}
              <button type="button" className="fd-link" onClick={() => props.onOpen!(o.runId)}>
                open the run
              </button>
            </>
          )}
        </>
      )}
    </div>
  );
}
