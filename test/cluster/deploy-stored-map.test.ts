// A deploy is checked against the stored state map and flows, not this instance's copies: they follow
// a change made through another instance by the change feed — milliseconds, or up to the reconcile
// period when the notification was lost. Here changes are written to the database with no notification
// and the reconcile is an hour away: a flow naming a state the stored map no longer has, or a webhook
// path another instance's flow took, is refused at once.
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { StateMap } from '@flowdesk/schema';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { flowEndingIn } from '../support/state-flows.ts';

let pgServer: PostgresInstance | undefined;
let rt: TestRuntime | undefined;
let dbUrl = '';
afterAll(async () => {
  await rt?.dispose();
  await pgServer?.stop();
});


describe('deploy against the stored state map and flows', () => {
  it('a state removed through another instance (its notification lost) is refused at deploy, and a rollback to a flow naming it too', { timeout: 60_000 }, async () => {
    pgServer = await startPostgres();
    const db = await createDatabase(pgServer);
    dbUrl = db.url;
    rt = await startTestRuntime({ databaseUrl: db.url, env: { FLOWDESK_CLUSTER_RECONCILE_MS: '3600000' } });
    expect((await rt.put('/api/flows/keep', flowEndingIn('keep', 'retained'))).status).toBe(200);
    expect((await rt.put('/api/flows/keep', flowEndingIn('keep', 'won'))).status).toBe(200); // version 2

    // another instance removes "retained" (written as its PUT would, without the NOTIFY reaching here)
    const map = (await rt.get('/api/state-map')).body as StateMap;
    const account = map.entities.account!;
    const { retained: _gone, ...states } = account.states;
    for (const s of Object.values(states)) s.next = s.next.filter((n) => n !== 'retained');
    const changed: StateMap = { ...map, entities: { ...map.entities, account: { ...account, states } } };
    const client = new pg.Client(db.url);
    await client.connect();
    await client.query("UPDATE docs SET doc = json_build_object('id', 'state-map', 'map', $1::json, 'changedAt', '2026-03-02T09:00:00Z', 'changedBy', 'api') WHERE collection = 'settings' AND id = 'state-map'", [JSON.stringify(changed)]);
    await client.end();
    expect(((await rt.get('/api/state-map')).body as StateMap).entities.account!.states.retained).toBeDefined(); // this instance's copy lags

    const refused = await rt.put('/api/flows/other', flowEndingIn('other', 'retained'));
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body.errors)).toContain('retained');
    expect((await rt.get('/api/flows/other')).status).toBe(404);
    // a rollback to version 1 (which ends in "retained") is refused the same way; version 2 stays
    const rollback = await rt.post('/api/flows/keep/rollback', { version: 1 });
    expect(rollback.status).toBe(422);
    expect((await rt.get('/api/flows/keep')).body.version).toBe(2);
    expect((await rt.put('/api/flows/other', flowEndingIn('other', 'won'))).status).toBe(200);
  });

  it("a webhook path taken through another instance (its notification lost) is refused at deploy, naming that flow", { timeout: 60_000 }, async () => {
    const theirs = { dsl: 1, id: 'theirs', name: 'theirs', version: 1, trigger: { type: 'webhook', path: 'leads', auth: { type: 'none' } }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
    const client = new pg.Client(dbUrl);
    await client.connect();
    await client.query('INSERT INTO flows (id, version, active, doc, deployed_at) VALUES ($1, 1, true, $2::json, now())', ['theirs', JSON.stringify(theirs)]);
    await client.end();
    expect((await rt!.get('/api/flows/theirs')).status).toBe(404); // this instance has not heard of it

    const mine = { ...theirs, id: 'mine', name: 'mine', version: undefined };
    const refused = await rt!.put('/api/flows/mine', mine);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('hook path "leads" belongs to flow "theirs"');
    expect((await rt!.get('/api/flows/theirs')).status).toBe(200); // and now it has
  });
});
