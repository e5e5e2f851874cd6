// Shared fixtures for the copy / migrate tests: a store filled with a bit of everything, and a
// whole-store comparison through the Store interface.
import { expect } from 'vitest';
import { at, makeFlow, makeRun } from '../store.contract.ts';
import type { Store } from '../types.ts';

/** Fills a store with a bit of everything; returns what to compare. */
export async function fill(s: Store) {
  await s.putFlow(makeFlow('lead', { name: 'v1' }), at(1));
  await s.putFlow(makeFlow('lead', { name: 'v2' }), at(2));
  await s.putFlow(makeFlow('lead', { name: 'v3' }), at(3));
  await s.setFlowActive('lead', false); // v3 inactive, v1/v2 keep their flags
  await s.putFlow(makeFlow('invoice', { active: false }), at(4));
  const open = makeRun(10, { idempotencyKey: 'ada', status: 'waiting', wakeAt: at(500), record: { entity: 'account', key: 'ada' }, dedupeExpiresAt: at(10 + 86400) });
  const done = makeRun(11, { idempotencyKey: 'bob', dedupeExpiresAt: at(11 + 86400) });
  const old = makeRun(12, { idempotencyKey: 'cyd', dedupeExpiresAt: at(12) });
  await s.createRun(open, { flowId: 'f1', key: 'ada', now: at(10), expiresAt: at(10 + 86400) });
  await s.createRun(done, { flowId: 'f1', key: 'bob', now: at(11), expiresAt: at(11 + 86400) });
  await s.createRun(old, { flowId: 'f1', key: 'cyd', now: at(0), expiresAt: at(12) });
  const doneRun = { ...done, status: 'succeeded' as const, cursor: null, endedAt: at(20), updatedAt: at(20) };
  const oldRun = { ...old, status: 'dead' as const, cursor: null, endedAt: at(21), updatedAt: at(21) };
  await s.saveRun(doneRun);
  await s.saveRun(oldRun);
  await s.transitionRecord({ entity: 'account', key: 'ada', to: 'captured', at: at(10), cause: { runId: open.id } });
  await s.transitionRecord({ entity: 'account', key: 'ada', to: 'qualified', at: at(30), cause: { manual: true }, data: { score: 80 } });
  await s.transitionRecord({ entity: 'invoice', key: 'INV-1', to: 'issued', at: at(31), cause: {} });
  await s.putTimer({ id: `run:${open.id}`, kind: 'run', dueAt: at(500), runId: open.id });
  await s.putTimer({ id: 'schedule:lead', kind: 'schedule', dueAt: at(600), flowId: 'lead', data: { cron: '0 9 * * *' } });
  await s.putDoc('deadLetters', { id: old.id, runId: old.id, flowId: 'f1', flowVersion: 1, nodeId: 'done', payload: {}, attempts: [], error: 'HTTP 503', sop: ['call'], severity: 'P1', status: 'open', createdAt: at(21), updatedAt: at(21) });
  await s.putDoc('reviews', { id: 'rv1', runId: open.id, flowId: 'f1', nodeId: 'manual', queue: 'leads', title: 'Check', decisions: ['approved', 'rejected'], sop: [], context: {}, status: 'open', createdAt: at(10) });
  await s.putDoc('alerts', { id: 'al1', flowId: 'f1', kind: 'dead_letter', severity: 'P1', message: 'dead', at: at(21) });
  await s.putDoc('tasks', { id: 'tk1', title: 'Call Ada' });
  await s.putDoc('outbox', { id: 'ob1', to: 'ada@example.com', subject: 'Hi' });
  await s.putDoc('settings', { id: 'smtp', host: 'localhost' });
  await s.putDoc('kpiFacts', { id: 'kf1', minutes: 5 });
  // a connection as the vault stores it: its secrets sealed, copied as they are (same master key)
  await s.putDoc('connections', { id: 'slack', app: 'slack', name: 'Slack', authType: 'bearer', auth: { v: 1, kid: 'abc123def456', iv: 'aXY=', tag: 'dGFn', data: 'ZGF0YQ==' }, createdAt: at(5), updatedAt: at(5) });
  await s.addRejected({ id: 'rej1', at: at(5), flowId: 'lead', path: 'lead', status: 422, reason: 'payload schema' });
  return { open, doneRun, oldRun };
}

export async function expectSameStores(src: Store, dst: Store) {
  expect(await dst.listFlows()).toEqual(expect.arrayContaining(await src.listFlows()));
  for (const f of await src.listFlows()) expect(await dst.listFlowVersions(f.id)).toEqual(await src.listFlowVersions(f.id));
  expect(await dst.listRuns({ limit: 1000 })).toEqual(await src.listRuns({ limit: 1000 }));
  expect(await dst.listOpenRuns()).toEqual(await src.listOpenRuns());
  const byKey = (l: { entity: string; key: string }[]) => [...l].sort((a, b) => `${a.entity}:${a.key}`.localeCompare(`${b.entity}:${b.key}`));
  expect(byKey(await dst.listRecords({}))).toEqual(byKey(await src.listRecords({})));
  const byId = <T extends { id: string }>(l: T[]) => [...l].sort((a, b) => a.id.localeCompare(b.id));
  expect(byId(await dst.listTimers())).toEqual(byId(await src.listTimers()));
  for (const c of ['deadLetters', 'reviews', 'alerts', 'tasks', 'outbox', 'settings', 'kpiFacts'] as const)
    expect(byId((await dst.listDocs(c)) as { id: string }[])).toEqual(byId((await src.listDocs(c)) as { id: string }[]));
  expect(await dst.listRejected({})).toEqual(await src.listRejected({}));
}

