// Runs one sandbox command inside QuickJS (WebAssembly): a code node's JavaScript or a set node's
// JSONata. Nothing is ever evaluated in the host's own realm; the QuickJS context has no I/O, no
// require, no timers; `now` is fixed and Math.random seeded. Synchronous: the worker calls it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { SandboxCommand, SandboxResult } from '@flowdesk/engine';
import { wrapCodeSource } from '@flowdesk/schema';
import type { SandboxLimits } from './limits.ts';

/** Fixes the clock and seeds Math.random (mulberry32) before any user code runs. */
const PRELUDE = `(function () {
  'use strict';
  var NOW = Date.parse(globalThis.__now);
  var s = globalThis.__seed >>> 0;
  Math.random = function () {
    s = (s + 0x6d2b79f5) >>> 0;
    var t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  var D = Date;
  function FixedDate() {
    if (!new.target) return new D(NOW).toString();
    return arguments.length ? new (Function.prototype.bind.apply(D, [null].concat(Array.prototype.slice.call(arguments))))() : new D(NOW);
  }
  FixedDate.prototype = D.prototype;
  FixedDate.now = function () { return NOW; };
  FixedDate.parse = D.parse;
  FixedDate.UTC = D.UTC;
  globalThis.Date = FixedDate;
})();`;

let jsonataSource: string | undefined;
const jsonataLib = (): string => (jsonataSource ??= readFileSync(createRequire(import.meta.url).resolve('jsonata/jsonata.min.js'), 'utf8'));

export class QuickJsSandbox {
  constructor(
    private readonly mod: QuickJSWASMModule,
    private readonly limits: SandboxLimits,
  ) {}

  run(cmd: SandboxCommand): SandboxResult {
    const rt = this.mod.newRuntime();
    let checks = 0;
    const over = () => checks > this.limits.interruptBudget;
    try {
      rt.setMemoryLimit(this.limits.memoryBytes);
      rt.setMaxStackSize(this.limits.stackBytes);
      rt.setInterruptHandler(() => ++checks > this.limits.interruptBudget);
      const ctx = rt.newContext();
      try {
        return this.runIn(rt, ctx, cmd, over);
      } finally {
        ctx.dispose();
      }
    } catch (e) {
      return failure(String((e as Error)?.message ?? e), over());
    } finally {
      try {
        rt.dispose();
      } catch {
        // a runtime stopped by its memory cap may not free cleanly; it is dropped either way
      }
    }
  }

  private runIn(rt: QuickJSRuntime, ctx: QuickJSContext, cmd: SandboxCommand, over: () => boolean): SandboxResult {
    const setGlobal = (name: string, h: QuickJSHandle) => {
      ctx.setProp(ctx.global, name, h);
      h.dispose();
    };
    setGlobal('__now', ctx.newString(cmd.now));
    setGlobal('__seed', ctx.newNumber(cmd.seed));
    setGlobal('__input', ctx.newString(JSON.stringify(cmd.input)));
    const pre = this.evaluate(ctx, PRELUDE, over);
    if (pre) return pre;
    if (cmd.language === 'javascript') {
      const input = `Object.assign(JSON.parse(globalThis.__input), { now: globalThis.__now })`;
      const code = `'use strict';\nvar __fn = ${wrapCodeSource(cmd.source)};\nvar __r = __fn(${input});\nJSON.stringify(__r === undefined ? null : __r);`;
      return this.answer(ctx, code, over);
    }
    const lib = this.evaluate(ctx, `var module = { exports: {} }; var exports = module.exports;\n${jsonataLib()}\n;globalThis.__jsonata = module.exports;`, over);
    if (lib) return lib;
    setGlobal('__expr', ctx.newString(cmd.source));
    const started = this.evaluate(
      ctx,
      `globalThis.__out = undefined;
       __jsonata(globalThis.__expr)
         .evaluate(JSON.parse(globalThis.__input), {
           now: function () { return globalThis.__now; },
           millis: function () { return Date.now(); },
           random: function () { return Math.random(); },
         })
         .then(function (v) { globalThis.__out = { ok: true, json: JSON.stringify(v === undefined ? null : v) }; },
               function (e) { globalThis.__out = { ok: false, error: (e && e.message) || String(e), position: e && e.position }; });`,
      over,
    );
    if (started) return started;
    const jobs = rt.executePendingJobs(-1);
    if (jobs.error) {
      const msg = errorText(ctx, jobs.error);
      jobs.error.dispose();
      return failure(msg, over());
    }
    const out = ctx.getProp(ctx.global, '__out');
    const v = ctx.dump(out) as { ok: boolean; json?: string; error?: string; position?: number } | undefined;
    out.dispose();
    if (!v) return failure('the JSONata expression did not finish', over());
    if (!v.ok) return failure(`${v.error ?? 'JSONata error'}${typeof v.position === 'number' ? ` (at character ${v.position})` : ''}`, over());
    return this.parsed(v.json ?? 'null');
  }

  /** Evaluates code for its effect; a failure as a result, else undefined. */
  private evaluate(ctx: QuickJSContext, code: string, over: () => boolean): SandboxResult | undefined {
    const r = ctx.evalCode(code, 'sandbox.js');
    if (r.error) {
      const msg = errorText(ctx, r.error);
      r.error.dispose();
      return failure(msg, over());
    }
    r.value.dispose();
    return undefined;
  }

  /** Evaluates code whose value is the output's JSON text. */
  private answer(ctx: QuickJSContext, code: string, over: () => boolean): SandboxResult {
    const r = ctx.evalCode(code, 'code.js');
    if (r.error) {
      const msg = errorText(ctx, r.error);
      r.error.dispose();
      return failure(msg, over());
    }
    const json = ctx.typeof(r.value) === 'string' ? ctx.getString(r.value) : 'null';
    r.value.dispose();
    return this.parsed(json);
  }

  private parsed(json: string): SandboxResult {
    if (json.length > this.limits.maxOutputBytes) return { ok: false, reason: 'memory', error: `the output is larger than ${this.limits.maxOutputBytes} bytes of JSON` };
    return { ok: true, output: JSON.parse(json) as unknown };
  }
}

function errorText(ctx: QuickJSContext, h: QuickJSHandle): string {
  try {
    const e = ctx.dump(h) as { name?: string; message?: string } | string;
    if (e && typeof e === 'object') return e.name && e.name !== 'Error' ? `${e.name}: ${e.message ?? ''}` : String(e.message ?? 'error');
    return String(e);
  } catch {
    return 'error';
  }
}

/** Names why the sandbox stopped: the budget, the memory cap, the stack limit, or the code's own error. */
function failure(message: string, budgetSpent: boolean): SandboxResult {
  if (budgetSpent || /\binterrupted\b/.test(message)) return { ok: false, reason: 'budget', error: 'stopped: the code used up its budget of work (an endless loop?)' };
  if (/out of memory/i.test(message)) return { ok: false, reason: 'memory', error: 'stopped: the code went over its memory cap' };
  if (/stack overflow/i.test(message)) return { ok: false, reason: 'stack', error: 'stopped: stack overflow (recursion too deep)' };
  return { ok: false, reason: 'error', error: message.slice(0, 2000) };
}
