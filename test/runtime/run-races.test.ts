// A run changed by another instance at the moment this one acts on it (a shared PostgreSQL store; the
// embedded store keeps the same contract): a replay, or a drive waking a run, writes only over the state
// it read, so a run is never replayed twice at once and a run cancelled elsewhere is never driven on.
// The interleavings are made exact by writing, as the other instance would, between the read and the write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cancelRun, prepareReplay } from '@flowdesk/engine';
import { startFailServer, type FailServer } from '../support/fail-server.ts';
import { afterRunRead } from '../support/interleave.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let pgServer: PostgresInstance | undefined;
afterAll(async () => pgServer?.stop());

describe.each(['lowdb', 'postgres'] as const)('on %s', (storeKind) => {
  let rt: TestRuntime;
  let dep: FailServer;
  beforeAll(async () => {
    dep = await startFailServer();
    let databaseUrl: string | undefined;
    if (storeKind === 'postgres') {
      pgServer ??= await startPostgres();
      databaseUrl = (await createDatabase(pgServer)).url;
    }
    rt = await startTestRuntime({ databaseUrl });
  }, 120_000);
  afterAll(async () => {
    await rt?.dispose();
    await dep?.close();
  });

  /** Deploys a manual flow whose nodes run one after the other, starts it once; answers the run's id. */
  async function deployAndStart(id: string, nodes: ({ id: string } & Record<string, unknown>)[]): Promise<string> {
    const edges = nodes.map((n, i) => ({ from: i === 0 ? 'trigger' : nodes[i - 1]!.id, to: n.id }));
    expect((await rt.put(`/api/flows/${id}`, { dsl: 1, id, name: id, trigger: { type: 'manual' }, nodes, edges })).status).toBe(200);
    const res = await rt.post(`/api/flows/${id}/run`, { payload: {} });
    expect(res.status).toBe(202);
    return res.body.runId as string;
  }
  const call = (path: string) => ({ id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url: `${dep.url}${path}`, body: {} }, retry: { delays: [] } });
  const callsTo = (path: string) => dep.requests.filter((r) => r.url === path).length;
  const status = async (runId: string) => (await rt.get(`/api/runs/${runId}`)).body.status as string;
  const nowIso = () => new Date(rt.clock.now()).toISOString();

  describe('run races', { timeout: 60_000 }, () => {
    it('a dead run replayed here and on another instance at once is replayed once: the later replay answers 409', async () => {
      dep.script([{ status: 400 }]);
      const runId = await deployAndStart('replayed-twice', [call('/replayed-twice'), { id: 'end', type: 'end' }]);
      await rt.settle();
      expect(await status(runId)).toBe('dead');
      // the other instance's replay is written between this replay's read and its write
      afterRunRead(rt.ctx.store, runId, 1, async (run) => {
        const flow = (await rt.ctx.flows.version(run.flowId, run.flowVersion))!;
        expect(await rt.ctx.store.saveRunFrom(prepareReplay(flow, run, nowIso()), 'dead')).toBe(true);
      });
      const replay = await rt.post(`/api/runs/${runId}/replay`, {});
      expect(replay.status).toBe(409);
      expect(replay.body.error).toMatch(/replayed/);
      // the other instance drives its replay (this runtime's runner stands in for it): the call once
      await rt.ctx.runner.enqueue({ id: runId });
      await rt.settle();
      const run = (await rt.get(`/api/runs/${runId}`)).body;
      expect(run).toMatchObject({ status: 'succeeded', replays: 1 });
      expect(callsTo('/replayed-twice')).toBe(2); // the first attempt (400) and the one replay
    });

    it('a waiting run cancelled elsewhere as it wakes stays cancelled: the step after the wait is never performed', async () => {
      const runId = await deployAndStart('woken', [{ id: 'pause', type: 'wait', for: '1h' }, call('/woken'), { id: 'end', type: 'end' }]);
      await rt.settle();
      expect(await status(runId)).toBe('waiting');
      // the wake reads the run twice (the timer, then the drive); the cancel lands before the drive acts
      afterRunRead(rt.ctx.store, runId, 2, async (run) => {
        expect(run.status).toBe('waiting');
        expect(await rt.ctx.store.saveRunFrom(cancelRun(run, nowIso(), 'cancelled elsewhere'), 'waiting')).toBe(true);
      });
      await rt.advance(3_600_000);
      await rt.settle();
      expect((await rt.get(`/api/runs/${runId}`)).body).toMatchObject({ status: 'cancelled', error: 'cancelled elsewhere' });
      expect(callsTo('/woken')).toBe(0);
    });

    it('a replayed run cancelled elsewhere before its drive starts stays cancelled and is not performed', async () => {
      dep.script([{ status: 400 }]);
      const runId = await deployAndStart('replay-cancelled', [call('/replay-cancelled'), { id: 'end', type: 'end' }]);
      await rt.settle();
      expect(await status(runId)).toBe('dead');
      // the replay reads the run once, its drive once more: the cancel lands between the two
      afterRunRead(rt.ctx.store, runId, 2, async (run) => {
        expect(run.status).toBe('queued');
        expect(await rt.ctx.store.saveRunFrom(cancelRun(run, nowIso(), 'cancelled elsewhere'), 'queued')).toBe(true);
      });
      expect((await rt.post(`/api/runs/${runId}/replay`, {})).status).toBe(202);
      await rt.settle();
      expect((await rt.get(`/api/runs/${runId}`)).body).toMatchObject({ status: 'cancelled', error: 'cancelled elsewhere' });
      expect(callsTo('/replay-cancelled')).toBe(1); // the first attempt only
    });
  });
});

describe('on PostgreSQL, a cancel through one instance of a run another instance is driving', { timeout: 120_000 }, () => {
  let a: TestRuntime;
  let b: TestRuntime;
  let dep: FailServer;
  let slow: Server;
  let answerSlow: () => void = () => {};
  const slowCalls: string[] = [];
  beforeAll(async () => {
    dep = await startFailServer();
    // a dependency that answers only when the test says so: the run on A stays in its first call meanwhile
    slow = createServer((req, res) => {
      slowCalls.push(req.url ?? '');
      answerSlow = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((ok) => slow.listen(0, '127.0.0.1', ok));
    pgServer ??= await startPostgres();
    const { url } = await createDatabase(pgServer);
    a = await startTestRuntime({ databaseUrl: url });
    b = await startTestRuntime({ databaseUrl: url });
  }, 120_000);
  afterAll(async () => {
    await a?.dispose();
    await b?.dispose();
    slow?.closeAllConnections();
    slow?.close();
    await dep?.close();
  });

  it('waits until the run parks there, then cancels it: nothing after the park is performed', async () => {
    const first = { id: 'first', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/first`, body: {} } };
    const later = { id: 'later', type: 'action', action: 'http.request', params: { method: 'POST', url: `${dep.url}/later`, body: {} } };
    const nodes = [first, { id: 'pause', type: 'wait', for: '1h' }, later, { id: 'end', type: 'end' }];
    const edges = nodes.map((n, i) => ({ from: i === 0 ? 'trigger' : nodes[i - 1]!.id, to: n.id }));
    expect((await a.put('/api/flows/driven-on-a', { dsl: 1, id: 'driven-on-a', name: 'driven on A', trigger: { type: 'manual' }, nodes, edges })).status).toBe(200);
    const started = await a.post('/api/flows/driven-on-a/run', { payload: {} });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    // A is in the run's first call; B's cancel reads the run (still queued on disk) — only then does the
    // first call answer, and A goes on to park the run at its wait
    let readByB!: () => void;
    const bRead = new Promise<void>((ok) => (readByB = ok));
    afterRunRead(b.ctx.store, runId, 1, async (run) => {
      expect(run.status).toBe('queued');
      readByB();
    });
    while (!slowCalls.length) await new Promise((ok) => setTimeout(ok, 10));
    const cancel = b.post(`/api/runs/${runId}/cancel`, {});
    await bRead;
    answerSlow();
    expect(await cancel).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    await a.settle();
    await b.settle();
    const run = (await a.get(`/api/runs/${runId}`)).body;
    expect(run.status).toBe('cancelled');
    expect(run.steps.find((s: { nodeId: string }) => s.nodeId === 'first')?.status).toBe('succeeded');
    // the hour passes on both: the run does not wake, its later call is never made
    await a.advance(3_600_000);
    await b.advance(3_600_000);
    expect((await a.get(`/api/runs/${runId}`)).body.status).toBe('cancelled');
    expect(dep.requests.filter((r) => r.url === '/later')).toHaveLength(0);
  });
});
