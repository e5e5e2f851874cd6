import { emptyProvenance } from '@flowdesk/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLowdbStore } from '../store/lowdb/index.ts';
import type { Store } from '../store/types.ts';
import { ManualClock } from '../clock.ts';
import type { ActionCommand, ActionDeps } from './types.ts';
import { resolveDue, taskCreate, taskIdFor } from './task-create.ts';

// the runtime's default store (lowdb + journal) in a temp data dir, reopened to prove tasks are on disk
const opened: { store: Store; dir: string }[] = [];
async function lowdbStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-task-'));
  const store = createLowdbStore({ dataDir: dir, fsync: false });
  await store.open();
  opened.push({ store, dir });
  return store;
}
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.store.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
});

const cmd = (params: Record<string, unknown>, over: Partial<ActionCommand> = {}): ActionCommand => ({
  kind: 'action',
  nodeId: 'kickoff-task',
  action: 'task.create',
  params,
  provenance: emptyProvenance(),
  idempotencyKey: 'run-3:kickoff-task',
  attempt: 1,
  timeoutMs: 5_000,
  ...over,
});
const deps = (store: Store, clock: ManualClock, record?: { entity: string; key: string }): ActionDeps => ({
  store,
  clock,
  env: {},
  dataDir: '/nonexistent',
  log: { info() {}, warn() {}, error() {} },
  run: { id: 'run-3', flowId: 'client-onboarding', flowVersion: 2, record },
});

describe('task.create', () => {
  it('stores an open task with a due date from a duration, and the run record by default', async () => {
    const store = await lowdbStore();
    const clock = new ManualClock(Date.parse('2026-01-05T09:00:00.000Z'));
    const r = await taskCreate(cmd({ title: 'Schedule the kickoff call with Acme Corp', due: '2d', owner: 'founder', notes: 'Use the kickoff agenda.' }), deps(store, clock, { entity: 'account', key: 'ops@acme.example' }));
    expect(r.ok).toBe(true);
    const task = {
      id: taskIdFor('run-3:kickoff-task'),
      title: 'Schedule the kickoff call with Acme Corp',
      due: '2026-01-07T09:00:00.000Z',
      owner: 'founder',
      record: { entity: 'account', key: 'ops@acme.example' },
      notes: 'Use the kickoff agenda.',
      runId: 'run-3',
      flowId: 'client-onboarding',
      nodeId: 'kickoff-task',
      status: 'open',
      createdAt: '2026-01-05T09:00:00.000Z',
      idempotencyKey: 'run-3:kickoff-task',
    };
    expect(r.output).toEqual(task);
    expect(await store.listDocs('tasks')).toEqual([task]);
    // on disk: a reopened store lists it
    const { dir } = opened[opened.length - 1]!;
    await store.close();
    const again = createLowdbStore({ dataDir: dir, fsync: false });
    await again.open();
    opened[opened.length - 1] = { store: again, dir };
    expect(await again.listDocs('tasks')).toEqual([task]);
  });

  it('a retried attempt does not create a second task (id derived from the idempotency key)', async () => {
    const store = await lowdbStore();
    const clock = new ManualClock();
    const first = await taskCreate(cmd({ title: 'Send the packet' }), deps(store, clock));
    clock.advance(60_000);
    const again = await taskCreate(cmd({ title: 'Send the packet' }, { attempt: 2 }), deps(store, clock));
    expect(again.output).toEqual(first.output);
    expect(await store.listDocs('tasks')).toHaveLength(1);
    // another node or run is another task
    await taskCreate(cmd({ title: 'Another' }, { nodeId: 'other', idempotencyKey: 'run-3:other' }), deps(store, clock));
    expect(await store.listDocs('tasks')).toHaveLength(2);
  });

  it('takes an ISO due time and an explicit record; no due/owner is null', async () => {
    const store = await lowdbStore();
    const clock = new ManualClock();
    const r = await taskCreate(cmd({ title: 'Chase invoice INV-7', due: '2026-02-01T12:00:00+01:00', record: { entity: 'invoice', key: 7 } }), deps(store, clock, { entity: 'account', key: 'a' }));
    expect(r.output).toMatchObject({ due: '2026-02-01T11:00:00.000Z', record: { entity: 'invoice', key: '7' } });
    const bare = await taskCreate(cmd({ title: 'x' }, { idempotencyKey: 'k2' }), deps(store, clock));
    expect(bare.output).toMatchObject({ due: null, owner: null, record: null });
  });

  it('refuses a missing title, a bad due or a bad record (error class "error", nothing stored)', async () => {
    const store = await lowdbStore();
    const clock = new ManualClock();
    for (const p of [{}, { title: '  ' }, { title: 't', due: 'tomorrow' }, { title: 't', due: 5 }, { title: 't', record: { entity: 'account' } }]) {
      expect(await taskCreate(cmd(p), deps(store, clock))).toMatchObject({ ok: false, errorClass: 'error' });
    }
    expect(await store.listDocs('tasks')).toEqual([]);
  });

  it('resolveDue', () => {
    const now = Date.parse('2026-01-05T09:00:00.000Z');
    expect(resolveDue('30m', now)).toBe('2026-01-05T09:30:00.000Z');
    expect(resolveDue('24h', now)).toBe('2026-01-06T09:00:00.000Z');
    expect(resolveDue('2026-03-01', now)).toBe('2026-03-01T00:00:00.000Z');
    expect(resolveDue(undefined, now)).toBeNull();
    expect(() => resolveDue('2026-13-45', now)).toThrow(/ISO time/);
  });
});
