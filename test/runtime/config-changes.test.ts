// Changes checked against what is stored, then written — a deploy, a rollback, switching a flow on, a
// state-map change — run one at a time (Store.exclusive under CONFIG_CHANGES), so two sent at once are
// checked one after the other: never both accepted when together they break a flow or a record.
import { afterAll, describe, expect, it } from 'vitest';
import type { StateMap } from '@flowdesk/schema';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { flowEndingIn, slowFlowListing, withAccountState } from '../support/state-flows.ts';

let rt: TestRuntime | undefined;
afterAll(async () => {
  await rt?.dispose();
});



describe('config changes sent at once (embedded store)', () => {
  it('a deploy naming a state and a state-map change removing it, sent together: exactly one is accepted, every round', { timeout: 120_000 }, async () => {
    rt = await startTestRuntime({ flowsDir: flowsDirWith([]) });
    slowFlowListing(rt.ctx.store);
    let current = (await rt.get('/api/state-map')).body as StateMap;
    let deploysWon = 0;
    let removalsWon = 0;
    for (let i = 0; i < 12; i++) {
      const state = `paused_${i}`;
      const added = withAccountState(current, state);
      expect((await rt.put('/api/state-map', added)).status).toBe(200);
      const [deploy, removal] = await Promise.all([rt.put(`/api/flows/f${i}`, flowEndingIn(`f${i}`, state)), rt.put('/api/state-map', current)]);
      if (deploy.status === 200) {
        deploysWon++;
        expect(removal.status).toBe(409); // the flow names the state: the removal is refused
        expect(JSON.stringify(removal.body.errors)).toContain(`flow f${i}`);
        current = added;
      } else {
        removalsWon++;
        expect(removal.status).toBe(200);
        expect(deploy.status).toBe(422); // checked against the map without it
        expect(JSON.stringify(deploy.body.errors)).toContain(state);
        expect((await rt.get(`/api/flows/f${i}`)).status).toBe(404);
      }
    }
    expect(deploysWon + removalsWon).toBe(12);
    // what is stored holds together: every stored flow passes against the stored map
    const map = (await rt.get('/api/state-map')).body as StateMap;
    for (const f of (await rt.get('/api/flows')).body as { id: string; nodes: { exitState?: { state: string } }[] }[]) {
      for (const n of f.nodes) if (n.exitState) expect(Object.keys(map.entities.account!.states)).toContain(n.exitState.state);
    }
  });

  it('two flows deployed at once with one webhook path: one gets it, the other is refused naming it', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 10; i++) {
      const [a, b] = await Promise.all([rt!.put(`/api/flows/pa${i}`, flowEndingIn(`pa${i}`, 'won', `shared-${i}`)), rt!.put(`/api/flows/pb${i}`, flowEndingIn(`pb${i}`, 'won', `shared-${i}`))]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const loser = a.status === 409 ? a : b;
      expect(loser.body.error).toMatch(new RegExp(`hook path "shared-${i}" belongs to flow "p[ab]${i}"`));
    }
  });

  it('a flow switched off whose path another flow took meanwhile cannot be switched on (or held) again: 409 naming that flow', async () => {
    expect((await rt!.put('/api/flows/first', flowEndingIn('first', 'won', 'inbox'))).status).toBe(200);
    expect((await rt!.del('/api/flows/first')).status).toBe(200);
    expect((await rt!.put('/api/flows/second', flowEndingIn('second', 'won', 'inbox'))).status).toBe(200);
    const on = await rt!.post('/api/flows/first/active', { active: true });
    expect(on.status).toBe(409);
    expect(on.body.error).toBe('hook path "inbox" belongs to flow "second"');
    expect(on.body.errors).toEqual([{ path: '/trigger/path', message: 'already used by flow "second"' }]);
    expect((await rt!.post('/api/flows/first/active', { active: false, hold: true })).status).toBe(409);
    expect((await rt!.get('/api/flows/first')).body.active).toBe(false);
    // events to the path still reach the flow that owns it
    const hook = await rt!.post('/hooks/inbox', { email: 'a@example.com' });
    expect(hook.status).toBe(202);
    expect((await rt!.get(`/api/runs/${hook.body.runId}`)).body.flowId).toBe('second');
    // once the path is free again, switching on works
    expect((await rt!.del('/api/flows/second')).status).toBe(200);
    expect((await rt!.post('/api/flows/first/active', { active: true })).status).toBe(200);
  });

  it('a record moved into a state while a change removing it is checked: the change stands and a P1 alert names the stranded record', async () => {
    const before = (await rt!.get('/api/state-map')).body as StateMap;
    const account = before.entities.account!;
    const withHold: StateMap = {
      ...before,
      entities: { ...before.entities, account: { ...account, states: { ...account.states, on_hold: { owner: 'founder', next: [] }, captured: { ...account.states.captured!, next: [...account.states.captured!.next, 'on_hold'] } } } },
    };
    expect((await rt!.put('/api/state-map', withHold)).status).toBe(200);
    expect((await rt!.post('/api/records/account/late@example.com/state', { state: 'captured' })).status).toBe(200);
    // the change's check counts the records (none in on_hold); the record moves in right after that count
    const store = rt!.ctx.store;
    const countRecords = store.countRecords.bind(store);
    let moved = false;
    store.countRecords = async () => {
      const counts = await countRecords();
      if (!moved) {
        moved = true;
        expect((await rt!.post('/api/records/account/late@example.com/state', { state: 'on_hold' })).status).toBe(200);
      }
      return counts;
    };
    const removal = await rt!.put('/api/state-map', before);
    store.countRecords = countRecords;
    expect(removal.status).toBe(200);
    expect((await rt!.get('/api/records/account/late@example.com')).body.state).toBe('on_hold');
    const alerts = (await rt!.get('/api/alerts?flowId=state-map')).body as { kind: string; severity: string; message: string }[];
    const stranded = alerts.filter((a) => a.kind === 'state_map_stranded');
    expect(stranded).toHaveLength(1);
    expect(stranded[0]!.severity).toBe('P1');
    expect(stranded[0]!.message).toContain('1 account record in "on_hold"');
  });
});
