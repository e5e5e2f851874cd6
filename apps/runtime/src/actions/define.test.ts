// defineExecutor's part of every action: the resolved params checked against the spec, the timing and
// the error classes; and the executor registry (generated, one per action type).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_TYPES, specOf } from '@flowdesk/schema';
import { emptyProvenance } from '@flowdesk/engine';
import { executorIndexText, EXECUTORS_DIR } from '../../scripts/executor-index.ts';
import { ActionFailure, defineExecutor } from './define.ts';
import { EXECUTORS } from './index.ts';
import type { ActionCommand, ActionDeps } from './types.ts';

const cmd = (params: Record<string, unknown>): ActionCommand => ({ kind: 'action', nodeId: 'n', action: 'task.create', params, idempotencyKey: 'r:n', attempt: 1, timeoutMs: 1000, provenance: emptyProvenance() });
const deps = {} as ActionDeps;

describe('defineExecutor', () => {
  it('checks the resolved params against the spec before performing, naming the param (a final error)', async () => {
    const seen: unknown[] = [];
    const ex = defineExecutor(specOf('task.create'), async (p) => {
      seen.push(p);
      return { output: p.title };
    });
    const bad = await ex(cmd({ title: 'x', due: 5, record: { entity: 'invoice' } }), deps);
    expect(bad).toMatchObject({ ok: false, errorClass: 'error' });
    expect(bad.error).toMatch(/^params of task\.create do not match its schema: /);
    expect(bad.error).toContain('/due must be string');
    expect(bad.error).toContain("/record/key must have required property 'key'");
    expect(await ex(cmd({ due: '1d' }), deps)).toMatchObject({ ok: false, errorClass: 'error', error: expect.stringContaining("must have required property 'title'") });
    expect(seen).toEqual([]);
  });

  it('an optional param resolved to null counts as not given; a required one does not', async () => {
    const ex = defineExecutor(specOf('task.create'), async (p) => ({ output: p }));
    expect(await ex(cmd({ title: 'x', owner: null, due: null }), deps)).toMatchObject({ ok: true, output: { title: 'x' } });
    expect((await ex(cmd({ title: 'x', owner: null }), deps)).output).not.toHaveProperty('owner');
    expect(await ex(cmd({ title: null }), deps)).toMatchObject({ ok: false, errorClass: 'error' });
  });

  it('keeps an ActionFailure’s class and detail, makes anything else thrown a final error, and times the attempt', async () => {
    const failing = defineExecutor(specOf('http.request'), async () => {
      throw new ActionFailure('429', 'slow down', { status: 429, retryAfterMs: 5000, response: '{}' });
    });
    const r = await failing({ ...cmd({ url: 'http://127.0.0.1:9/x' }), action: 'http.request' }, deps);
    expect(r).toMatchObject({ ok: false, errorClass: '429', error: 'slow down', status: 429, retryAfterMs: 5000, response: '{}' });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    const crashing = defineExecutor(specOf('task.create'), async () => {
      throw new TypeError('boom');
    });
    expect(await crashing(cmd({ title: 'x' }), deps)).toMatchObject({ ok: false, errorClass: 'error', error: 'boom' });
    const ok = defineExecutor(specOf('task.create'), async () => ({ output: { done: true }, status: 201 }));
    expect(await ok(cmd({ title: 'x' }), deps)).toMatchObject({ ok: true, output: { done: true }, status: 201 });
  });
});

describe('the executor registry', () => {
  it('has one executor per action type, keyed by its type', () => {
    expect(Object.keys(EXECUTORS).sort()).toEqual([...ACTION_TYPES].sort());
    for (const [type, ex] of Object.entries(EXECUTORS)) expect(ex.type).toBe(type);
  });

  it('index.ts is what npm run schema:build generates from the folder', () => {
    expect(readFileSync(join(EXECUTORS_DIR, 'index.ts'), 'utf8'), 'stale: run npm run schema:build').toBe(executorIndexText());
  });
});
