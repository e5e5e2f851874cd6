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

describe('webhook rate limits with two instances', () => {
  it('each allows its share, together the configured burst; one gone, the other takes it all', { timeout: 60_000 }, async () => {
    pgServer = await startPostgres();
    const db = await createDatabase(pgServer);
    const a = await startTestRuntime({ databaseUrl: db.url, env });
    runtimes.push(a);
    const b = await startTestRuntime({ databaseUrl: db.url, env });
    runtimes.push(b);
    const flow = { dsl: 1, id: 'leads', name: 'leads', trigger: { type: 'webhook', path: 'leads', auth: { type: 'none' } }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
    expect((await a.put('/api/flows/leads', flow)).status).toBe(200);
    await waitFor('B serves the flow', async () => ((await b.get('/api/flows/leads')).status === 200 ? true : undefined));
    for (const rt of [a, b]) await waitFor('each instance takes half', async () => ((await burstOf(rt)) === 5 ? true : undefined));

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
