// The crash tests' bookkeeping: what was acknowledged against the runs the store holds, counted the
// moment the runtime's work has drained — loss shows as `lost=N`, never as a timeout.
import { isTerminal, type RunStatus } from '@flowdesk/schema';

export interface RunSummary {
  id: string;
  status: string;
  idempotencyKey: string | null;
}

export interface Accounting<R extends RunSummary = RunSummary> {
  /** keys acknowledged (202, or 200 duplicate) */
  ackedKeys: number;
  /** acknowledged runIds with no stored run of that id for their key (missing, or another run stored instead) */
  lost: number;
  /** keys with more than one stored run */
  duplicateRuns: number;
  /** keys answered with different runIds */
  splitAnswers: number;
  /** stored runs of acknowledged keys that are not terminal once the work has drained */
  unfinished: number;
  lostIds: string[];
  unfinishedIds: string[];
  succeeded: R[];
}

/** `acked`: idempotency key → the runIds the runtime answered with. */
export function accountRuns<R extends RunSummary>(acked: Map<string, Set<string>>, runs: R[]): Accounting<R> {
  const byKey = new Map<string, R[]>();
  for (const r of runs) if (r.idempotencyKey !== null) byKey.set(r.idempotencyKey, [...(byKey.get(r.idempotencyKey) ?? []), r]);
  const lostIds: string[] = [];
  const unfinishedIds = new Set<string>();
  for (const [key, ids] of acked) {
    const stored = byKey.get(key) ?? [];
    for (const id of ids) if (!stored.some((r) => r.id === id)) lostIds.push(id);
    for (const r of stored) if (!isTerminal(r.status as RunStatus)) unfinishedIds.add(r.id);
  }
  return {
    ackedKeys: acked.size,
    lost: lostIds.length,
    duplicateRuns: [...byKey.values()].filter((rs) => rs.length > 1).length,
    splitAnswers: [...acked.values()].filter((ids) => ids.size > 1).length,
    unfinished: unfinishedIds.size,
    lostIds,
    unfinishedIds: [...unfinishedIds],
    succeeded: runs.filter((r) => r.status === 'succeeded'),
  };
}

export function formatAccounting(a: Accounting): string {
  const sample = (ids: string[]) => (ids.length ? ` (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})` : '');
  return `acked_keys=${a.ackedKeys} lost=${a.lost}${sample(a.lostIds)} duplicate_runs=${a.duplicateRuns} split_answers=${a.splitAnswers} unfinished=${a.unfinished}${sample(a.unfinishedIds)}`;
}

/** One look at the runtime(s): the runs they have in hand, and the open runs in the store. */
export interface DrainProbe {
  /** runs queued or being driven, summed over the processes (`flowdesk_queue_depth{queue="runner"}`) */
  inHand: number;
  /** open runs in the store: queued, running, or waiting (with their due time) */
  open: { status: string; wakeAt?: string }[];
}

export interface DrainResult {
  /** true: nothing in hand and nothing open; false: nothing in hand but open runs no process will move */
  clean: boolean;
  waitedMs: number;
  polls: number;
}

/**
 * Waits until the runtime's work has drained: no process has a run in hand and the store holds no
 * open run — seen twice in a row. Runs waiting for a timer are waited for until their due time (plus
 * `graceMs` for the scheduler to claim them). When no process has anything in hand and the open runs
 * have not changed for `graceMs` past their due times, nothing will move them: the drain ends there
 * and they count as unfinished. `maxMs` only bounds a runtime that never stops working.
 */
export async function waitForDrain(probe: () => Promise<DrainProbe>, opts: { graceMs?: number; pollMs?: number; maxMs?: number } = {}): Promise<DrainResult> {
  const graceMs = opts.graceMs ?? 3000;
  const pollMs = opts.pollMs ?? 250;
  const maxMs = opts.maxMs ?? 300_000;
  const started = Date.now();
  let quietPolls = 0;
  let lastShape = '';
  let shapeSince = Date.now();
  for (let polls = 1; ; polls++) {
    const p = await probe();
    const now = Date.now();
    const shape = JSON.stringify(p.open.map((r) => `${r.status}:${r.wakeAt ?? ''}`).sort());
    if (shape !== lastShape || p.inHand > 0) {
      lastShape = shape;
      shapeSince = now;
    }
    if (p.inHand === 0 && p.open.length === 0) {
      if (++quietPolls >= 2) return { clean: true, waitedMs: now - started, polls };
    } else quietPolls = 0;
    const lastDue = Math.max(0, ...p.open.map((r) => (r.wakeAt ? Date.parse(r.wakeAt) : 0)));
    if (p.inHand === 0 && p.open.length > 0 && now - shapeSince >= graceMs && now >= lastDue + graceMs) {
      return { clean: false, waitedMs: now - started, polls };
    }
    if (now - started > maxMs) return { clean: false, waitedMs: now - started, polls };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** `flowdesk_queue_depth{queue="runner"}` from a runtime's /metrics. */
export async function runsInHand(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const m = /^flowdesk_queue_depth\{queue="runner"\} (\d+)$/m.exec(text);
  if (!m) throw new Error(`${baseUrl}/metrics has no flowdesk_queue_depth{queue="runner"}`);
  return Number(m[1]);
}
