// The sandbox's limits, shared by the worker and the pool that drives it.

export interface SandboxLimits {
  /**
   * QuickJS interrupt checks allowed per run (QuickJS polls its interrupt handler every ~10k
   * operations): a budget of work, not of time, so the same input stops at the same point however
   * busy the machine is. 2,000 checks ≈ 0.3–0.6 s of JavaScript on an idle core.
   */
  interruptBudget: number;
  /** QuickJS heap cap; an allocation past it throws "out of memory" inside the sandbox */
  memoryBytes: number;
  /** QuickJS stack cap: deep recursion throws "stack overflow" instead of crashing the process */
  stackBytes: number;
  /** the answer's JSON, at most */
  maxOutputBytes: number;
  /** last resort, wall-clock: a worker that has not answered by then is terminated and replaced */
  hardTimeoutMs: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  interruptBudget: 2_000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
  maxOutputBytes: 1024 * 1024,
  hardTimeoutMs: 60_000,
};
