// The code/JSONata sandbox, for real: QuickJS (WebAssembly) in a worker thread. Each guarantee of the
// code node and the set node's JSONata is a case here; the HTTP behaviour is in test/runtime/code-set.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import type { SandboxCommand } from '@flowdesk/engine';
import { Sandbox } from './sandbox.ts';

const sandbox = new Sandbox();
afterAll(() => sandbox.close());

const NOW = '2026-03-02T09:00:00.000Z';
const js = (source: string, input: Record<string, unknown> = {}, seed = 7): SandboxCommand => ({ kind: 'sandbox', nodeId: 'n', language: 'javascript', source, input, now: NOW, seed });
const jsonata = (source: string, input: Record<string, unknown> = {}, seed = 7): SandboxCommand => ({ kind: 'sandbox', nodeId: 'n', language: 'jsonata', source, input, now: NOW, seed });

describe('code node (JavaScript in QuickJS)', { timeout: 120_000 }, () => {
  it('returns the function body’s JSON value computed from input', async () => {
    const r = await sandbox.run(js('const total = input.payload.items.reduce((s, i) => s + i.price * i.qty, 0); return { total, n: input.payload.items.length, fit: input.vars.fit };', {
      payload: { items: [{ price: 2, qty: 3 }, { price: 5, qty: 1 }] },
      vars: { fit: 80 },
    }));
    expect(r).toEqual({ ok: true, output: { total: 11, n: 2, fit: 80 } });
  });

  it('undefined becomes null; non-JSON values are dropped as JSON.stringify drops them', async () => {
    expect(await sandbox.run(js('let x = 1;'))).toEqual({ ok: true, output: null });
    expect(await sandbox.run(js('return { f() {}, a: [1, undefined] };'))).toEqual({ ok: true, output: { a: [1, null] } });
  });

  it('a thrown error fails the step with its message', async () => {
    const r = await sandbox.run(js('throw new TypeError("no customer on " + input.payload.id);', { payload: { id: 'inv-9' } }));
    expect(r).toEqual({ ok: false, reason: 'error', error: 'TypeError: no customer on inv-9' });
    const plain = await sandbox.run(js('throw new Error("plain");'));
    expect(plain).toEqual({ ok: false, reason: 'error', error: 'plain' });
  });

  it('an infinite loop is stopped by the interrupt budget', async () => {
    const r = await sandbox.run(js('while (true) {}'));
    expect(r).toMatchObject({ ok: false, reason: 'budget' });
    expect((r as { error: string }).error).toMatch(/budget/);
    // the worker survives and answers the next command
    expect(await sandbox.run(js('return 1 + 1;'))).toEqual({ ok: true, output: 2 });
    expect(sandbox.restarts).toBe(0);
  });

  it('the budget counts work, not time: a loop just under it finishes, the same loop a little longer does not', async () => {
    // ~5k simple iterations per interrupt check: 2,000 checks ≈ 10M iterations
    expect(await sandbox.run(js('let i = 0; for (; i < 2e6; i++) {} return i;'))).toEqual({ ok: true, output: 2e6 });
    expect(await sandbox.run(js('let i = 0; for (; i < 1e9; i++) {} return i;'))).toMatchObject({ ok: false, reason: 'budget' });
  });

  it('a memory bomb is stopped by the memory cap', async () => {
    const r = await sandbox.run(js('const keep = []; while (true) keep.push(new Array(100000).fill(1));'));
    expect(r).toMatchObject({ ok: false, reason: 'memory' });
    expect((r as { error: string }).error).toMatch(/memory cap/);
    expect(await sandbox.run(js('return "still here";'))).toEqual({ ok: true, output: 'still here' });
    // QuickJS's allocator is slow to reach the cap the first time in a fresh WebAssembly instance (seconds
    // of CPU, as the probe saw): a generous budget for a loaded machine
  }, 240_000);

  it('deep recursion is a clean stack overflow (256 KB stack), not a crash of the host', async () => {
    const r = await sandbox.run(js('function f(n) { return f(n + 1) + 1; } return f(0);'));
    expect(r).toMatchObject({ ok: false, reason: 'stack' });
    expect(await sandbox.run(js('return 3;'))).toEqual({ ok: true, output: 3 });
  });

  it('process, require, fetch, timers and the host’s globals are absent', async () => {
    const r = await sandbox.run(
      js('return [typeof process, typeof require, typeof fetch, typeof setTimeout, typeof setInterval, typeof XMLHttpRequest, typeof module, typeof globalThis.Buffer, typeof WebAssembly];'),
    );
    expect(r).toEqual({ ok: true, output: Array(9).fill('undefined') });
    const req = await sandbox.run(js('return require("node:fs").readFileSync("/etc/passwd", "utf8");'));
    expect(req).toMatchObject({ ok: false, reason: 'error' });
    expect((req as { error: string }).error).toMatch(/require/);
    const proc = await sandbox.run(js('return process.env;'));
    expect(proc).toMatchObject({ ok: false, reason: 'error' });
    // a constructor escape reaches only QuickJS's own Function, inside the sandbox
    expect(await sandbox.run(js('return (function(){}).constructor("return typeof process")();'))).toEqual({ ok: true, output: 'undefined' });
  });

  it('now is the one passed in; Math.random is seeded: same seed, same numbers; another seed, others', async () => {
    const src = 'return { now: input.now, dateNow: new Date().toISOString(), ms: Date.now(), r: [Math.random(), Math.random()], parsed: new Date("2020-01-01T00:00:00Z").getTime() };';
    const a = (await sandbox.run(js(src, {}, 42))) as { ok: true; output: { now: string; dateNow: string; ms: number; r: number[]; parsed: number } };
    const b = (await sandbox.run(js(src, {}, 42))) as typeof a;
    const c = (await sandbox.run(js(src, {}, 43))) as typeof a;
    expect(a.output.now).toBe(NOW);
    expect(a.output.dateNow).toBe(NOW);
    expect(a.output.ms).toBe(Date.parse(NOW));
    expect(a.output.parsed).toBe(Date.parse('2020-01-01T00:00:00Z'));
    expect(a.output.r).toEqual(b.output.r);
    expect(a.output.r).not.toEqual(c.output.r);
    for (const x of a.output.r) expect(x >= 0 && x < 1).toBe(true);
  });

  it('a result larger than the output cap is refused', async () => {
    const small = new Sandbox({ maxOutputBytes: 1000 });
    try {
      expect(await small.run(js('return "x".repeat(2000);'))).toMatchObject({ ok: false, reason: 'memory' });
    } finally {
      await small.close();
    }
  });
});

describe('set node JSONata (in the same sandbox)', { timeout: 120_000 }, () => {
  it('evaluates over the input', async () => {
    const r = await sandbox.run(jsonata('{ "total": $sum(payload.items.(price * qty)), "names": payload.items.sku, "who": $uppercase(vars.name) }', {
      payload: { items: [{ sku: 'a', price: 2, qty: 3 }, { sku: 'b', price: 1, qty: 4 }] },
      vars: { name: 'ada' },
    }));
    expect(r).toEqual({ ok: true, output: { total: 10, names: ['a', 'b'], who: 'ADA' } });
  });

  it('$now, $millis and $random read the passed-in time and seed', async () => {
    const a = await sandbox.run(jsonata('[$now(), $millis(), $random()]', {}, 5));
    const b = await sandbox.run(jsonata('[$now(), $millis(), $random()]', {}, 5));
    expect(a).toEqual(b);
    expect((a as { output: unknown[] }).output.slice(0, 2)).toEqual([NOW, Date.parse(NOW)]);
  });

  it('an evaluation error names the JSONata message', async () => {
    const r = await sandbox.run(jsonata('$number("abc") + $undefinedFn()'));
    expect(r).toMatchObject({ ok: false, reason: 'error' });
    expect((r as { error: string }).error).toMatch(/function|undefined|number/i);
  });

  it('a catastrophic regular expression in $match is stopped by the budget', async () => {
    const r = await sandbox.run(jsonata('$match(s, /(a+)+$/)', { s: `${'a'.repeat(40)}!` }));
    expect(r).toMatchObject({ ok: false, reason: 'budget' });
    expect(await sandbox.run(jsonata('1 + 1'))).toEqual({ ok: true, output: 2 });
  });
});

describe('the worker as a last resort', { timeout: 120_000 }, () => {
  it('a worker that does not answer within the hard limit is terminated, replaced, and the next command runs', async () => {
    const s = new Sandbox({ interruptBudget: 1e12, hardTimeoutMs: 1500 });
    try {
      const r = await s.run(js('while (true) {}'));
      expect(r).toMatchObject({ ok: false, reason: 'budget' });
      expect((r as { error: string }).error).toMatch(/terminated/);
      expect(s.restarts).toBe(1);
      expect(await s.run(js('return "fresh worker";'))).toEqual({ ok: true, output: 'fresh worker' });
    } finally {
      await s.close();
    }
  });
});
