// Two instances on one PostgreSQL take changes checked against what is stored one at a time
// (Store.exclusive under CONFIG_CHANGES: an advisory lock): a deploy through A and a state-map change
// through B that together would break a flow, or two flows given one webhook path through A and B, are
// never both accepted. Each instance's listing of the flows answers late here (a busy database), so
// without the lock both changes would be checked before either wrote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateMap } from '@flowdesk/schema';
import { createDatabase } from '../../apps/runtime/src/store/postgres/harness.ts';
import { StoreBusyError } from '../../apps/runtime/src/store/types.ts';
import { CONFIG_CHANGES } from '../../apps/runtime/src/flows/registry.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { flowEndingIn, slowFlowListing, withAccountState } from '../support/state-flows.ts';

let pgServer: PostgresInstance | undefined;
let a: TestRuntime;
let b: TestRuntime;

beforeAll(async () => {
  pgServer = await startPostgres();
  const db = await createDatabase(pgServer);
  const flowsDir = flowsDirWith([]);
  a = await startTestRuntime({ databaseUrl: db.url, flowsDir });
  b = await startTestRuntime({ databaseUrl: db.url, flowsDir });
  slowFlowListing(a.ctx.store);
  slowFlowListing(b.ctx.store);
}, 120_000);

afterAll(async () => {
  await a?.dispose();
  await b?.dispose();
  await pgServer?.stop();
});



describe('config changes through two instances at once (PostgreSQL)', () => {
  it('a deploy on A naming a state and a state-map change on B removing it: exactly one is accepted, every round', { timeout: 120_000 }, async () => {
    let current = (await a.get('/api/state-map')).body as StateMap;
    for (let i = 0; i < 8; i++) {
      const state = `paused_${i}`;
      const added = withAccountState(current, state);
      expect((await a.put('/api/state-map', added)).status).toBe(200);
      const [deploy, removal] = await Promise.all([a.put(`/api/flows/f${i}`, flowEndingIn(`f${i}`, state)), b.put('/api/state-map', current)]);
      expect([deploy.status, removal.status]).toContain(200);
      if (deploy.status === 200) {
        expect(removal.status).toBe(409);
        expect(JSON.stringify(removal.body.errors)).toContain(`flow f${i}`);
        current = added;
      } else {
        expect(deploy.status).toBe(422);
        expect(JSON.stringify(deploy.body.errors)).toContain(state);
      }
    }
  });

  it('two flows given one webhook path through A and B at once: one gets it, the other is refused naming it', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 8; i++) {
      const [onA, onB] = await Promise.all([a.put(`/api/flows/pa${i}`, flowEndingIn(`pa${i}`, 'won', `shared-${i}`)), b.put(`/api/flows/pb${i}`, flowEndingIn(`pb${i}`, 'won', `shared-${i}`))]);
      expect([onA.status, onB.status].sort()).toEqual([200, 409]);
      const winner = onA.status === 200 ? `pa${i}` : `pb${i}`;
      expect((onA.status === 409 ? onA : onB).body.error).toBe(`hook path "shared-${i}" belongs to flow "${winner}"`);
    }
  });

  it('a change that waited its limit for the lock (StoreBusyError) is answered 503 with Retry-After, nothing changed', async () => {
    const store = b.ctx.store;
    const exclusive = store.exclusive.bind(store);
    store.exclusive = () => Promise.reject(new StoreBusyError(CONFIG_CHANGES, 30_000));
    try {
      const deploy = await b.put('/api/flows/late', flowEndingIn('late', 'won'));
      expect(deploy.status).toBe(503);
      expect(deploy.headers.get('retry-after')).toBe('1');
      expect(deploy.body).toEqual({ error: 'another instance has been making a change under "config-changes" for 30000 ms; nothing was changed, try again' });
      expect((await b.put('/api/state-map', (await b.get('/api/state-map')).body)).status).toBe(503);
    } finally {
      store.exclusive = exclusive;
    }
    expect((await a.get('/api/flows/late')).status).toBe(404);
    expect((await b.put('/api/flows/late', flowEndingIn('late', 'won'))).status).toBe(200);
  });
});
