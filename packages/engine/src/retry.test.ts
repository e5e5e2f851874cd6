// Retry schedules: the closed form of each policy, and the same schedule as a run lives it — the
// interpreter stepped on an injected clock that jumps exactly to each due time.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_DURATION_MS, type ActionNode, type ErrorClass, type Flow, type Run } from '@flowdesk/schema';
import { advance, applyActionResult, newRun } from './interpreter.ts';
import { DEFAULT_RETRY, nextRetry, retryPolicy } from './retry.ts';

type Retry = NonNullable<ActionNode['retry']>;
type Backoff = NonNullable<Retry['backoff']>;

const SEED = 'run-1:call';
const action = (retry?: Retry, kind: ActionNode['action'] = 'http.request'): ActionNode => ({ id: 'call', type: 'action', action: kind, params: {}, ...(retry ? { retry } : {}) });
const durationMs = (d: string) => Number(d.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[d.slice(-1) as 's']!;

/** FNV-1a (32 bit), written here from its specification, to pin the jitter's source independently. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

describe('retry schedules (closed form)', () => {
  it('the default for outside calls: 3 retries at 30s, 2m, 10m on 5xx, 429, timeout and network', () => {
    expect(DEFAULT_RETRY).toEqual({ delays: ['30s', '2m', '10m'], retryOn: ['5xx', '429', 'timeout', 'network'] });
    for (const kind of ['http.request', 'email.send', 'text.generate', 'flow.emit', 'report.weekly'] as const) {
      const p = retryPolicy(action(undefined, kind));
      expect([kind, p.maxAttempts, p.maxDelayMs, [1, 2, 3].map((a) => p.delaysMs(a, SEED))]).toEqual([kind, 4, 600_000, [30_000, 120_000, 600_000]]);
      expect(p.retryOn).toEqual(['5xx', '429', 'timeout', 'network']);
    }
  });

  it('internal actions fail at once unless their node says otherwise', () => {
    for (const kind of ['record.setState', 'task.create', 'alert.raise'] as const) {
      expect(retryPolicy(action(undefined, kind))).toMatchObject({ maxAttempts: 1, maxDelayMs: 0 });
      expect(nextRetry(action(undefined, kind), 1, '5xx', SEED)).toEqual({ retry: false, delayMs: 0, maxAttempts: 1 });
    }
    expect(nextRetry(action({ delays: ['5s'] }, 'task.create'), 1, '5xx', SEED)).toEqual({ retry: true, delayMs: 5000, maxAttempts: 2 });
  });

  it('delays: attempt k waits delays[k-1]; the last delay is the longest a Retry-After may ask', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.constantFrom('s', 'm', 'h', 'd')), { maxLength: 8 }), (parts) => {
        const delays = parts.map(([n, u]) => `${n}${u}`);
        const p = retryPolicy(action({ delays }));
        const ms = delays.map(durationMs);
        expect(p.maxAttempts).toBe(delays.length + 1);
        expect(p.maxDelayMs).toBe(ms.length ? Math.max(...ms) : 0);
        ms.forEach((d, i) => expect(p.delaysMs(i + 1, SEED)).toBe(d));
      }),
    );
  });

  it('backoff: initial × factor^(attempt−1) capped by max, the cap being the schedule’s longest delay', () => {
    fc.assert(
      fc.property(backoffArb(false), ({ backoff, initialMs, maxMs }) => {
        const p = retryPolicy(action({ backoff }));
        const factor = backoff.factor ?? 2;
        expect(p.maxAttempts).toBe(backoff.maxAttempts);
        for (let a = 1; a < backoff.maxAttempts; a++) expect(p.delaysMs(a, SEED)).toBe(Math.round(Math.min(initialMs * factor ** (a - 1), maxMs)));
        const longest = backoff.maxAttempts > 1 ? Math.min(initialMs * factor ** (backoff.maxAttempts - 2), maxMs) : 0;
        expect(p.maxDelayMs).toBe(longest);
      }),
    );
  });

  it('backoff examples: the first retry waits `initial`, the factor defaults to 2, `max` caps', () => {
    const p = retryPolicy(action({ backoff: { initial: '1s', maxAttempts: 6, max: '10s' } }));
    expect([1, 2, 3, 4, 5].map((a) => p.delaysMs(a, SEED))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    const q = retryPolicy(action({ backoff: { initial: '2s', factor: 3, maxAttempts: 4 } }));
    expect([1, 2, 3].map((a) => q.delaysMs(a, SEED))).toEqual([2000, 6000, 18_000]);
    expect(q.maxDelayMs).toBe(18_000);
    expect(retryPolicy(action({ backoff: { initial: '2s', maxAttempts: 1 } })).maxDelayMs).toBe(0);
  });

  it('backoff without max never overflows: delays stop at the longest duration the DSL accepts', () => {
    const p = retryPolicy(action({ backoff: { initial: '1d', factor: 1000, maxAttempts: 50 } }));
    expect(p.delaysMs(49, SEED)).toBe(MAX_DURATION_MS);
    expect(p.maxDelayMs).toBe(MAX_DURATION_MS);
    expect(() => new Date(Date.parse('2026-01-01T00:00:00Z') + p.delaysMs(49, SEED)).toISOString()).not.toThrow();
  });

  it('jitter stays within ±jitter of the base delay, is the same for the same run and attempt, and varies across runs', () => {
    fc.assert(
      fc.property(backoffArb(true), fc.string(), ({ backoff, initialMs, maxMs }, seed) => {
        const p = retryPolicy(action({ backoff }));
        const factor = backoff.factor ?? 2;
        const j = backoff.jitter ?? 0;
        for (let a = 1; a < backoff.maxAttempts; a++) {
          const base = Math.min(initialMs * factor ** (a - 1), maxMs);
          const d = p.delaysMs(a, seed);
          expect(d).toBeGreaterThanOrEqual(Math.max(0, Math.floor(base * (1 - j))));
          expect(d).toBeLessThanOrEqual(Math.ceil(base * (1 + j)));
          expect(p.delaysMs(a, seed)).toBe(d);
        }
      }),
    );
    // across many runs the jitter covers both sides of the base delay
    const p = retryPolicy(action({ backoff: { initial: '10s', maxAttempts: 3, jitter: 0.5 } }));
    const ds = Array.from({ length: 200 }, (_, i) => p.delaysMs(1, `run-${i}:call`));
    expect(Math.min(...ds)).toBeLessThan(7000);
    expect(Math.max(...ds)).toBeGreaterThan(13_000);
    expect(new Set(ds).size).toBeGreaterThan(150);
  });

  it('jitter is FNV-1a of "<seed>:<attempt>" mod 10,000, spread over ±jitter (deterministic: the engine is replayable)', () => {
    expect(fnv1a('a')).toBe(0xe40c292c); // the published test vector: the reference below is FNV-1a
    const p = retryPolicy(action({ backoff: { initial: '10s', maxAttempts: 5, jitter: 1 } }));
    for (const seed of ['r1:call', 'run-42:charge', '']) {
      for (const a of [1, 2, 3]) {
        const base = 10_000 * 2 ** (a - 1);
        const u = (fnv1a(`${seed}:${a}`) % 10_000) / 10_000;
        expect(p.delaysMs(a, seed)).toBe(Math.round(base + base * (u * 2 - 1)));
      }
    }
  });
});

describe('nextRetry', () => {
  const dflt = action();

  it('retries what the policy lists, and nothing else', () => {
    const all: (ErrorClass | undefined)[] = ['5xx', '429', 'timeout', 'network', '4xx', 'error', undefined];
    expect(all.map((c) => nextRetry(dflt, 1, c, SEED).retry)).toEqual([true, true, true, true, false, false, false]);
    const only4xx = action({ delays: ['1s'], retryOn: ['4xx'] });
    expect(all.map((c) => nextRetry(only4xx, 1, c, SEED).retry)).toEqual([false, false, false, false, true, false, false]);
    // retryOn defaults to the default policy's list when only delays are given
    expect(all.map((c) => nextRetry(action({ delays: ['1s'] }), 1, c, SEED).retry)).toEqual([true, true, true, true, false, false, false]);
  });

  it('stops after maxAttempts attempts', () => {
    expect([1, 2, 3, 4, 5].map((a) => nextRetry(dflt, a, '5xx', SEED))).toEqual([
      { retry: true, delayMs: 30_000, maxAttempts: 4 },
      { retry: true, delayMs: 120_000, maxAttempts: 4 },
      { retry: true, delayMs: 600_000, maxAttempts: 4 },
      { retry: false, delayMs: 0, maxAttempts: 4 },
      { retry: false, delayMs: 0, maxAttempts: 4 },
    ]);
  });

  it('Retry-After replaces the scheduled delay, capped by the policy’s longest delay', () => {
    expect(nextRetry(dflt, 1, '429', SEED, 5000).delayMs).toBe(5000);
    expect(nextRetry(dflt, 1, '429', SEED, 0).delayMs).toBe(0);
    expect(nextRetry(dflt, 1, '429', SEED, 3_600_000).delayMs).toBe(600_000);
    expect(nextRetry(dflt, 2, '5xx', SEED, -1).delayMs).toBe(120_000); // not a usable Retry-After: the schedule
    const backoff = action({ backoff: { initial: '1s', maxAttempts: 4 } }); // 1s, 2s, 4s: the cap is 4s
    expect(nextRetry(backoff, 1, '429', SEED, 86_400_000).delayMs).toBe(4000);
    fc.assert(
      fc.property(fc.oneof(retryArb(), fc.constant(undefined)), fc.integer({ min: 0, max: 10 * 86_400_000 }), (retry, retryAfter) => {
        const node = action(retry);
        const p = retryPolicy(node);
        fc.pre(p.maxAttempts > 1);
        const d = nextRetry(node, 1, '429', SEED, retryAfter);
        if (!d.retry) return; // 429 not in this policy's retryOn
        expect(d.delayMs).toBe(Math.min(retryAfter, p.maxDelayMs));
        expect(d.delayMs).toBeLessThanOrEqual(p.maxDelayMs);
      }),
    );
  });

  it('an explicitly absent backoff falls back to the delays; a policy with neither retries nothing', () => {
    expect(retryPolicy(action({ backoff: undefined, delays: ['7s'] })).delaysMs(1, SEED)).toBe(7000);
    for (const retry of [{ retryOn: ['5xx'] }, { delays: undefined, retryOn: ['5xx'] }] as Retry[]) {
      expect(retryPolicy(action(retry))).toMatchObject({ maxAttempts: 1, maxDelayMs: 0 });
      expect(nextRetry(action(retry), 1, '5xx', SEED)).toEqual({ retry: false, delayMs: 0, maxAttempts: 1 });
    }
  });
});

describe('the schedule as a run lives it (interpreter on an injected clock)', () => {
  const T0 = Date.parse('2026-01-01T00:00:00.000Z');
  const flowWith = (retry: Retry | undefined): Flow => ({
    dsl: 1, id: 'f', name: 'f', version: 1, trigger: { type: 'manual' },
    nodes: [action(retry), { id: 'end', type: 'end' }],
    edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'end' }],
  });

  /** Fails every attempt; the clock jumps to each due time. Returns the attempts' times and the run. */
  function liveFailing(flow: Flow, errorClass: ErrorClass, runId: string, retryAfterMs?: number): { at: number[]; run: Run } {
    let clock = T0;
    const iso = () => new Date(clock).toISOString();
    let run = newRun(flow, { id: runId, payload: {}, now: iso(), idempotencyKey: null, trigger: { type: 'manual' } });
    const at: number[] = [];
    for (let guard = 0; guard < 100; guard++) {
      const step = advance(flow, run, { now: iso() });
      if (step.command.kind === 'wait') {
        // not due yet: the run keeps waiting until the clock reaches its due time
        expect(Date.parse(step.command.until)).toBeGreaterThan(clock);
        clock = Date.parse(step.command.until);
        continue;
      }
      if (step.command.kind !== 'action') return { at, run: step.run };
      expect(step.command.attempt).toBe(at.length + 1);
      at.push(clock);
      run = applyActionResult(flow, step.run, { ok: false, errorClass, durationMs: 0, retryAfterMs }, iso(), iso());
      if (run.status !== 'waiting') return { at, run };
      // one tick early: still waiting
      expect(advance(flow, run, { now: new Date(Date.parse(run.wakeAt!) - 1).toISOString() }).command.kind).toBe('wait');
    }
    throw new Error('run did not end');
  }

  it('attempts fall exactly on the policy’s due times, then the run is dead with every attempt kept', () => {
    fc.assert(
      fc.property(retryArb(), fc.string({ minLength: 1, maxLength: 12 }), (retry, runId) => {
        const flow = flowWith(retry);
        const p = retryPolicy(flow.nodes[0] as ActionNode);
        const { at, run } = liveFailing(flow, p.retryOn[0]!, runId);
        expect(at).toHaveLength(p.maxAttempts);
        for (let k = 1; k < at.length; k++) expect(at[k]! - at[k - 1]!).toBe(p.delaysMs(k, `${runId}:call`));
        expect(run.status).toBe('dead');
        expect(run.steps[0]!.attempts).toHaveLength(p.maxAttempts);
      }),
      { numRuns: 150 },
    );
  });

  it('a Retry-After longer than the policy allows waits the policy’s longest delay', () => {
    const flow = flowWith(undefined); // the default: 30s, 2m, 10m
    const { at } = liveFailing(flow, '429', 'r', 3_600_000);
    expect(at.map((t) => (t - T0) / 1000)).toEqual([0, 600, 1200, 1800]);
    const backoff = flowWith({ backoff: { initial: '2s', factor: 3, maxAttempts: 4 } });
    expect(liveFailing(backoff, '5xx', 'r').at.map((t) => (t - T0) / 1000)).toEqual([0, 2, 8, 26]);
    expect(liveFailing(backoff, '429', 'r', 3_600_000).at.map((t) => (t - T0) / 1000)).toEqual([0, 18, 36, 54]);
  });
});

const unitArb = fc.constantFrom('s', 'm', 'h');
const durArb = fc.tuple(fc.integer({ min: 1, max: 90 }), unitArb).map(([n, u]) => `${n}${u}`);

function backoffArb(withJitter: boolean) {
  return fc
    .record({
      initial: durArb,
      factor: fc.option(fc.double({ min: 1, max: 4, noNaN: true }), { nil: undefined }),
      max: fc.option(durArb, { nil: undefined }),
      maxAttempts: fc.integer({ min: 1, max: 12 }),
      jitter: withJitter ? fc.double({ min: 0, max: 1, noNaN: true }) : fc.constant(undefined),
    })
    .map((r) => {
      const backoff: Backoff = { initial: r.initial, maxAttempts: r.maxAttempts };
      if (r.factor !== undefined) backoff.factor = r.factor;
      if (r.max !== undefined) backoff.max = r.max;
      if (r.jitter !== undefined) backoff.jitter = r.jitter;
      return { backoff, initialMs: durationMs(r.initial), maxMs: r.max ? durationMs(r.max) : MAX_DURATION_MS };
    });
}

function retryArb() {
  const retryOn = fc.option(fc.subarray(['5xx', '429', 'timeout', 'network', '4xx'] as const, { minLength: 1 }), { nil: undefined });
  return fc.oneof(
    fc.record({ delays: fc.array(durArb, { maxLength: 5 }), retryOn }).map(({ delays, retryOn }): Retry => (retryOn ? { delays, retryOn: [...retryOn] } : { delays })),
    fc.record({ b: backoffArb(true), retryOn }).map(({ b, retryOn }): Retry => (retryOn ? { backoff: b.backoff, retryOn: [...retryOn] } : { backoff: b.backoff })),
  );
}
