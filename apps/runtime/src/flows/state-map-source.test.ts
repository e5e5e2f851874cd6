import { describe, expect, it } from 'vitest';
import type { StateMap } from '@flowdesk/schema';
import { removedStates } from './state-map-source.ts';

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
