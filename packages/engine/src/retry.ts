// Retry schedules: which failures retry, and when the next attempt is due. Pure.
import { actionSpec, DEFAULT_RETRY, MAX_DURATION_MS, NO_RETRY, parseDuration, type ActionNode, type ErrorClass, type RetryOn, type RetryPolicy } from '@flowdesk/schema';

export { DEFAULT_RETRY };

export interface RetryDecision {
  retry: boolean;
  delayMs: number;
  maxAttempts: number;
}

/** Deterministic jitter in [0,1) from a seed string (no Math.random: the engine must be replayable). */
function unitHash(seed: string): number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  return ((h >>> 0) % 10_000) / 10_000;
}

export function retryPolicy(node: ActionNode): { delaysMs: (attempt: number, seed: string) => number; maxAttempts: number; maxDelayMs: number; retryOn: RetryOn[] } {
  // no policy on the node: its action spec's default (outside calls retry, internal actions fail at once)
  const r: RetryPolicy = node.retry ?? actionSpec(node.action)?.retryDefault ?? NO_RETRY;
  const retryOn = r.retryOn ?? DEFAULT_RETRY.retryOn;
  if ('backoff' in r && r.backoff) {
    const b = r.backoff;
    const initial = parseDuration(b.initial);
    // no `max`: the longest duration the DSL accepts (an unbounded exponent would overflow dates)
    const max = b.max ? parseDuration(b.max) : MAX_DURATION_MS;
    const factor = b.factor ?? 2;
    const base = (attempt: number) => Math.min(initial * factor ** (attempt - 1), max);
    return {
      maxAttempts: b.maxAttempts,
      // the delay before the last attempt: the longest of the schedule (factor >= 1), jitter aside
      maxDelayMs: b.maxAttempts > 1 ? base(b.maxAttempts - 1) : 0,
      retryOn,
      delaysMs: (attempt, seed) => {
        const delay = base(attempt);
        const jitter = b.jitter ? delay * b.jitter * (unitHash(`${seed}:${attempt}`) * 2 - 1) : 0;
        return Math.max(0, Math.round(delay + jitter));
      },
    };
  }
  const delays = ('delays' in r && r.delays ? r.delays : []).map(parseDuration);
  return {
    maxAttempts: delays.length + 1,
    maxDelayMs: delays.length ? Math.max(...delays) : 0,
    retryOn,
    delaysMs: (attempt) => delays[Math.min(attempt, delays.length) - 1] ?? 0,
  };
}

/**
 * After failed attempt number `attempt` (1-based): retry or not, and after how long.
 * A Retry-After from the dependency replaces the scheduled delay, capped by the policy's longest delay.
 */
export function nextRetry(node: ActionNode, attempt: number, errorClass: ErrorClass | undefined, seed: string, retryAfterMs?: number): RetryDecision {
  const p = retryPolicy(node);
  // 'error' (a runtime error, not the dependency's) is no RetryOn: it never retries
  const retryable = p.retryOn.some((c) => c === errorClass);
  if (!retryable || attempt >= p.maxAttempts) return { retry: false, delayMs: 0, maxAttempts: p.maxAttempts };
  let delayMs = p.delaysMs(attempt, seed);
  if (retryAfterMs !== undefined && retryAfterMs >= 0) delayMs = Math.min(retryAfterMs, p.maxDelayMs);
  return { retry: true, delayMs, maxAttempts: p.maxAttempts };
}
