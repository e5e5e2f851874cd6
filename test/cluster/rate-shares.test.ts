// Webhook rate limits across instances (issue 18: scale-out that behaves like one instance): with
// FLOWDESK_HOOK_RATE / _BURST at 10 and two instances on one database, each allows half, so the two
// together let 10 of a burst through — not 10 each. Once one instance is gone (its heartbeat older than
// the lease), the other takes the whole rate back. The clock is a ManualClock: no bucket refills here.
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import type { ClusterView } from '@flowdesk/schema';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { waitFor } from '../support/wait.ts';

let pgServer: PostgresInstance | undefined;
const runtimes: TestRuntime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.dispose().catch(() => {});
  await pgServer?.stop();
});

const env = { FLOWDESK_HOOK_RATE: '10', FLOWDESK_HOOK_BURST: '10', FLOWDESK_LEASE_MS: '1500' };
const burstOf = async (rt: TestRuntime) => ((await rt.get('/api/cluster')).body as ClusterView).hookRate.burst;

const flow = { dsl: 1, id: 'leads', name: 'leads', trigger: { type: 'webhook', path: 'leads', auth: { type: 'none' } }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
const pathLimit = async (rt: TestRuntime) => ((await rt.get('/api/cluster')).body as ClusterView).hookRate.paths.leads;

/** Two instances on a fresh database, both serving the flow, each at half the rate (no requests yet). */
async function twoInstancesServingLeads(): Promise<[TestRuntime, TestRuntime]> {
  pgServer ??= await startPostgres();
  const db = await createDatabase(pgServer);
  const a = await startTestRuntime({ databaseUrl: db.url, env });
  runtimes.push(a);
  const b = await startTestRuntime({ databaseUrl: db.url, env });
  runtimes.push(b);
  expect((await a.put('/api/flows/leads', flow)).status).toBe(200);
  await waitFor('B serves the flow', async () => ((await b.get('/api/flows/leads')).status === 200 ? true : undefined));
  for (const rt of [a, b]) await waitFor('each instance takes half', async () => ((await burstOf(rt)) === 5 ? true : undefined));
  return [a, b];
}

describe('webhook rate limits with two instances', () => {
  it("a proxy that sends a path to one instance (sticky): that instance takes most of the path's rate, the other keeps a floor", { timeout: 60_000 }, async () => {
    const [a, b] = await twoInstancesServingLeads();

    // every request to the path arrives at A (allowed or refused, each counts as demand)
    let sending = true;
    const trickle = (async () => {
      while (sending) {
        await a.post('/hooks/leads', { n: 0 });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      // floor 1/8 each (a quarter of an even half), the rest by where the requests arrive: A 7/8, B 1/8
      await waitFor("A takes 7/8 of the path's burst", async () => ((await pathLimit(a))?.burst === 8.75 ? true : undefined));
      await waitFor('B keeps 1/8', async () => ((await pathLimit(b))?.burst === 1.25 ? true : undefined));
    } finally {
      sending = false;
      await trickle;
    }
    const view = (await a.get('/api/cluster')).body as ClusterView;
    expect(view.instances.find((i) => i.self)!.hookDemand!.leads).toBeGreaterThan(0);
    expect(view.instances.find((i) => !i.self)!.hookDemand).toEqual({});
    expect(view.hookRate.burst).toBe(5); // a path nobody sends to: the even share

    // both buckets refilled (the clocks are manual): A lets 8 of 16 through — not the 5 an even split allows
    await a.advance(10_000);
    await b.advance(10_000);
    const onA: number[] = [];
    for (let i = 0; i < 16; i++) onA.push((await a.post('/hooks/leads', { n: i })).status);
    expect(onA.filter((s) => s === 202)).toHaveLength(8);
    expect(onA.filter((s) => s === 429)).toHaveLength(8);
    await b.dispose();
    await a.dispose();
    runtimes.length = 0;
  });

  it('each allows its share, together the configured burst; one gone, the other takes it all', { timeout: 60_000 }, async () => {
    const [a, b] = await twoInstancesServingLeads();

    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) statuses.push((await (i % 2 ? b : a).post('/hooks/leads', { n: i })).status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);

    await b.dispose(); // B's heartbeat stops; once it is older than the lease, A takes the whole rate
    runtimes.pop();
    await waitFor('A takes the whole rate back', async () => ((await burstOf(a)) === 10 ? true : undefined));
    expect(((await a.get('/api/cluster')).body as ClusterView).hookRate.perSecond).toBe(10);
  });
});
