// What a run's end asks of the store: a run that went straight through (its first drive, just created)
// has no run timer to remove and no dead letter to mark, so it asks for neither (one batch statement
// fewer per run on PostgreSQL); a run that waited has its timer removed; a replay that succeeds marks
// its dead letter replayed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** Deploys a manual flow whose nodes run one after the other, starts it once; answers the run's id. */
async function deployAndStart(on: TestRuntime, id: string, nodes: ({ id: string } & Record<string, unknown>)[]): Promise<string> {
  const edges = nodes.map((n, i) => ({ from: i === 0 ? 'trigger' : nodes[i - 1]!.id, to: n.id }));
  expect((await on.put(`/api/flows/${id}`, { dsl: 1, id, name: id, trigger: { type: 'manual' }, nodes, edges })).status).toBe(200);
  const res = await on.post(`/api/flows/${id}/run`, { payload: {} });
  expect(res.status).toBe(202);
  return res.body.runId as string;
}

let rt: TestRuntime;
let receiver: Server;
let failing = true;
const timerDeletes: string[] = [];
const deadLetterReads: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    res.writeHead(failing ? 400 : 200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  rt = await startTestRuntime();
  // watch the real store's calls (the calls still go through)
  const store = rt.store;
  const deleteTimer = store.deleteTimer.bind(store);
  store.deleteTimer = (id) => (timerDeletes.push(id), deleteTimer(id));
  const getDoc = store.getDoc.bind(store) as typeof store.getDoc;
  store.getDoc = ((c, id) => (c === 'deadLetters' && deadLetterReads.push(id), getDoc(c, id))) as typeof store.getDoc;
});
afterAll(async () => {
  await rt?.dispose();
  receiver?.close();
});

describe('the end of a run', { timeout: 60_000 }, () => {
  it('straight through: no run-timer removal, no dead-letter look-up', async () => {
    const runId = await deployAndStart(rt, 'straight', [{ id: 'calc', type: 'compute', set: { x: 1 } }, { id: 'end', type: 'end' }]);
        await rt.settle();
    expect((await rt.get(`/api/runs/${runId}`)).body.status).toBe('succeeded');
    expect(timerDeletes).not.toContain(`run:${runId}`);
    expect(deadLetterReads).not.toContain(runId);
  });

  it('a run that waited: its timer is removed when it ends', async () => {
    const runId = await deployAndStart(rt, 'pausing', [{ id: 'pause', type: 'wait', for: '1h' }, { id: 'end', type: 'end' }]);
        await rt.settle();
    expect((await rt.get(`/api/runs/${runId}`)).body.status).toBe('waiting');
    expect((await rt.store.listTimers()).map((t) => t.id)).toContain(`run:${runId}`);
    await rt.advance(3_600_000);
    await rt.settle();
    expect((await rt.get(`/api/runs/${runId}`)).body.status).toBe('succeeded');
    expect(timerDeletes).toContain(`run:${runId}`);
    expect((await rt.store.listTimers()).map((t) => t.id)).not.toContain(`run:${runId}`);
  });

  it('a replay that succeeds: its dead letter is looked up and marked replayed', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/charge`;
    const runId = await deployAndStart(rt, 'charging', [{ id: 'call', type: 'action', action: 'http.request', params: { method: 'POST', url, body: {} } }, { id: 'end', type: 'end' }]);
        await rt.settle();
    expect((await rt.get(`/api/runs/${runId}`)).body.status).toBe('dead');
    expect(deadLetterReads).not.toContain(runId);
    failing = false;
    expect((await rt.post(`/api/dead-letters/${runId}/replay`, {})).status).toBeLessThan(300);
    await rt.settle();
    expect((await rt.get(`/api/runs/${runId}`)).body.status).toBe('succeeded');
    expect(deadLetterReads).toContain(runId);
    const dl = (await rt.get('/api/dead-letters?status=replayed')).body.find((d: { runId: string }) => d.runId === runId);
    expect(dl?.status).toBe('replayed');
  });
});

describe('the finished-run hooks (KPI fact, metrics)', { timeout: 120_000 }, () => {
  let pgServer: PostgresInstance | undefined;
  afterAll(async () => {
    await pgServer?.stop();
  });

  // the embedded store frees the run's slot at its end (its KPI facts are written every 25 ms);
  // PostgreSQL keeps it until the hooks are done (Store.holdSlotForFinishHooks)
  for (const backend of ['lowdb', 'postgres'] as const) {
    it(`${backend}: run after the run has ended (${backend === 'lowdb' ? 'its slot already free' : 'holding its slot'}); settle waits for them; the KPI fact is stored`, async () => {
      let databaseUrl: string | undefined;
      if (backend === 'postgres') {
        pgServer ??= await startPostgres();
        databaseUrl = (await createDatabase(pgServer)).url;
      }
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seen: string[] = [];
      const own = await startTestRuntime({
        databaseUrl,
        hooks: {
          async onRunFinished(run) {
            seen.push(run.id);
            await gate;
          },
        },
      });
      try {
        const runId = await deployAndStart(own, 'straight2', [{ id: 'calc', type: 'compute', set: { x: 1 } }, { id: 'end', type: 'end' }]);
                for (let i = 0; i < 500 && !seen.includes(runId); i++) await new Promise((r) => setTimeout(r, 5));
        expect(seen).toEqual([runId]);
        // the hook is still waiting: the run has ended all the same
        expect((await own.get(`/api/runs/${runId}`)).body.status).toBe('succeeded');
        // its queue (its record's lane, its slot): free on the embedded store, held on PostgreSQL
        let idle = false;
        void own.ctx.runner.queue.idle().then(() => (idle = true));
        for (let i = 0; i < 20 && !idle; i++) await new Promise((r) => setImmediate(r));
        expect(idle).toBe(backend === 'lowdb');
        let settled = false;
        const settling = own.settle().then(() => (settled = true));
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        expect(settled).toBe(false);
        release();
        await settling;
        expect(await own.store.getDoc('kpiFacts', `run:${runId}`)).toMatchObject({ runId: runId, status: 'succeeded' });
      } finally {
        release();
        await own.dispose();
      }
    });
  }
});
