import { describe, expect, it } from 'vitest';
import type { StateMap } from '@flowdesk/schema';
import { createMemoryStore } from '../store/memory/index.ts';
import type { Store } from '../store/types.ts';
import { changeStateMap, removedStates, storedStateMap, STATE_MAP_DOC_ID } from './state-map-source.ts';

const map = (entities: Record<string, string[]>): StateMap => ({
  version: 1,
  entities: Object.fromEntries(
    Object.entries(entities).map(([e, states]) => [e, { initial: states[0]!, states: Object.fromEntries(states.map((s) => [s, { owner: 'founder', next: [] }])) }]),
  ),
});

describe('removedStates', () => {
  it('lists each state the new map drops, every state of a dropped entity, and nothing for additions', () => {
    const current = map({ account: ['captured', 'won', 'lost'], invoice: ['issued', 'paid'] });
    expect(removedStates(current, map({ account: ['captured', 'won', 'lost', 'paused'], invoice: ['issued', 'paid'] }))).toEqual([]);
    expect(removedStates(current, map({ account: ['captured', 'won'] }))).toEqual([
      { entity: 'account', state: 'lost' },
      { entity: 'invoice', state: 'issued' },
      { entity: 'invoice', state: 'paid' },
    ]);
    expect(removedStates(undefined, map({ account: ['captured'] }))).toEqual([]);
  });
});

describe('changeStateMap', () => {
  const AT = '2026-12-04T15:00:00.000Z';
  const m0 = map({ account: ['captured', 'won'] });
  const seeded = async () => {
    const store = createMemoryStore();
    await store.putDoc('settings', { id: STATE_MAP_DOC_ID, map: m0, changedAt: AT, changedBy: 'file', fileSha256: 'abc' });
    return store;
  };

  it('writes a change that breaks nothing, keeping the file hash', async () => {
    const store = await seeded();
    const next = map({ account: ['captured', 'won', 'on_hold'] });
    expect(await changeStateMap(store, next, AT, async () => 0)).toEqual({ problems: [], stranded: [] });
    expect(await store.getDoc('settings', STATE_MAP_DOC_ID)).toEqual({ id: STATE_MAP_DOC_ID, map: next, changedAt: AT, changedBy: 'api', fileSha256: 'abc' });
  });

  it('a change stored elsewhere between the check and the write: checked again against it, not overwritten unchecked', async () => {
    const store = await seeded();
    // another instance adds "paused" and a record moves into it, between this change's check and its write
    const m1 = map({ account: ['captured', 'won', 'paused'] });
    const inPaused = { n: 0 };
    let interposed = false;
    const racing: Store = {
      ...store,
      updateDoc: async (c, id, update) => {
        if (!interposed) {
          interposed = true;
          await store.putDoc('settings', { id: STATE_MAP_DOC_ID, map: m1, changedAt: AT, changedBy: 'api', fileSha256: 'abc' });
          inPaused.n = 1;
        }
        return store.updateDoc(c, id, update);
      },
    };
    const mine = map({ account: ['captured', 'won', 'on_hold'] }); // made from m0: it lacks "paused"
    const { problems } = await changeStateMap(racing, mine, AT, async (_e, state) => (state === 'paused' ? inPaused.n : 0));
    expect(problems).toEqual([{ path: '/entities/account/states/paused', message: '1 account record is in "paused", which this map removes: move it first' }]);
    expect(await storedStateMap(store)).toEqual(m1); // the other change stands
  });

  it('a record moved into a removed state between the check and the write: the change stands, the record is reported stranded', async () => {
    const store = await seeded();
    let movedIn = 0;
    const racing: Store = {
      ...store,
      updateDoc: async (c, id, update) => {
        movedIn = 2; // two records moved into "won" just before the write
        return store.updateDoc(c, id, update);
      },
    };
    const next = map({ account: ['captured', 'lost'] }); // drops "won"
    const out = await changeStateMap(racing, next, AT, async (_e, state) => (state === 'won' ? movedIn : 0));
    expect(out).toEqual({ problems: [], stranded: [{ entity: 'account', state: 'won', count: 2 }] });
    expect(await storedStateMap(store)).toEqual(next);
  });

  it('gives up with a problem when the stored map keeps changing under it', async () => {
    const store = await seeded();
    let n = 0;
    const busy: Store = {
      ...store,
      updateDoc: async (c, id, update) => {
        await store.putDoc('settings', { id: STATE_MAP_DOC_ID, map: map({ account: ['captured', 'won', `s${n++}`] }), changedAt: AT, changedBy: 'api' });
        return store.updateDoc(c, id, update);
      },
    };
    const { problems } = await changeStateMap(busy, map({ account: ['captured', 'won', 's0', 's1', 's2', 's3', 's4', 's5'] }), AT, async () => 0);
    expect(problems).toEqual([{ path: '', message: expect.stringContaining('changed 5 times while this change was being checked; nothing changed') }]);
    expect(n).toBe(5);
  });
});
