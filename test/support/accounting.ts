// The crash tests' bookkeeping: what was acknowledged against the runs the store holds.
export interface RunSummary {
  id: string;
  status: string;
  idempotencyKey: string;
}

/** `acked`: idempotency key → the run ids the runtime answered with (202 or 200 duplicate). */
export function accountRuns<R extends RunSummary>(acked: Map<string, Set<string>>, runs: R[]) {
  const byKey = new Map<string, string[]>();
  for (const r of runs) byKey.set(r.idempotencyKey, [...(byKey.get(r.idempotencyKey) ?? []), r.id]);
  return {
    /** acknowledged keys with no run */
    lost: [...acked.keys()].filter((k) => !byKey.has(k)).length,
    /** keys with more than one run */
    duplicateRuns: [...byKey.values()].filter((ids) => ids.length > 1).length,
    /** keys answered with different run ids */
    splitAnswers: [...acked.values()].filter((ids) => ids.size > 1).length,
    succeeded: runs.filter((r) => r.status === 'succeeded'),
  };
}
