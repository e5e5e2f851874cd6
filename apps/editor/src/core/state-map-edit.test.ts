import { describe, expect, it } from 'vitest';
import { validateStateMap, type StateMap } from '@flowdesk/schema';
import { addEntity, addState, describeChanges, nameProblem, removeEntity, removeState, setInitial, setMove, setTerminal, updateState, type Edit } from './state-map-edit.ts';

const MAP: StateMap = {
  version: 1,
  entities: {
    deal: {
      initial: 'open',
      states: {
        open: { owner: 'founder', next: ['won', 'lost'] },
        won: { owner: 'founder', next: [] },
        lost: { owner: 'automation', next: [], terminal: true },
      },
    },
  },
};
const frozen = JSON.stringify(MAP);

function mapOf(e: Edit): StateMap {
  if (!e.ok) throw new Error(e.error);
  expect(validateStateMap(e.map).errors).toEqual([]); // every edit leaves a map the runtime accepts
  return e.map;
}

describe('state map edits', () => {
  it('adds an entity with its first state, refusing a bad or taken name', () => {
    const m = mapOf(addEntity(MAP, 'project', 'scoped'));
    expect(m.entities.project).toEqual({ initial: 'scoped', states: { scoped: { owner: 'founder', next: [] } } });
    expect(addEntity(MAP, 'deal', 'x')).toEqual({ ok: false, error: 'there is already an entity "deal"' });
    expect(addEntity(MAP, 'Project', 'x')).toMatchObject({ ok: false, error: expect.stringContaining('lower-case') });
    expect(addEntity(MAP, 'project', '')).toEqual({ ok: false, error: 'the state needs a name' });
    expect(JSON.stringify(MAP)).toBe(frozen); // the draft it started from is untouched
  });

  it('adds a state; refuses a taken or malformed name and an unknown entity', () => {
    const m = mapOf(addState(MAP, 'deal', 'on_hold'));
    expect(m.entities.deal!.states.on_hold).toEqual({ owner: 'founder', next: [] });
    expect(addState(MAP, 'deal', 'won')).toEqual({ ok: false, error: 'there is already a state "won"' });
    expect(addState(MAP, 'deal', '9lives')).toMatchObject({ ok: false });
    expect(addState(MAP, 'ghost', 'x')).toEqual({ ok: false, error: 'unknown entity "ghost"' });
    expect(nameProblem('a'.repeat(65), [], 'state')).toMatch(/at most 64/);
    expect(nameProblem('a'.repeat(64), [], 'state')).toBeNull();
  });

  it('removes a state with every move into it, but not the initial state', () => {
    const m = mapOf(removeState(MAP, 'deal', 'won'));
    expect(Object.keys(m.entities.deal!.states)).toEqual(['open', 'lost']);
    expect(m.entities.deal!.states.open!.next).toEqual(['lost']);
    expect(removeState(MAP, 'deal', 'open')).toMatchObject({ ok: false, error: expect.stringContaining('choose another initial state first') });
    const moved = mapOf({ ok: true, map: setInitial(MAP, 'deal', 'won') });
    expect(mapOf(removeState(moved, 'deal', 'open')).entities.deal!.initial).toBe('won');
    expect(removeState(MAP, 'deal', 'nope')).toMatchObject({ ok: false });
  });

  it('allows and stops allowing moves; none out of a terminal state, and marking one terminal drops its moves', () => {
    const m = mapOf(setMove(MAP, 'deal', 'won', 'open', true));
    expect(m.entities.deal!.states.won!.next).toEqual(['open']);
    expect(mapOf(setMove(m, 'deal', 'won', 'open', true)).entities.deal!.states.won!.next).toEqual(['open']); // no duplicate
    expect(mapOf(setMove(m, 'deal', 'won', 'open', false)).entities.deal!.states.won!.next).toEqual([]);
    expect(setMove(MAP, 'deal', 'lost', 'open', true)).toMatchObject({ ok: false, error: expect.stringContaining('terminal') });
    expect(setMove(MAP, 'deal', 'open', 'nowhere', true)).toMatchObject({ ok: false });
    const t = mapOf({ ok: true, map: setTerminal(MAP, 'deal', 'open', true) });
    expect(t.entities.deal!.states.open).toEqual({ owner: 'founder', next: [], terminal: true });
    expect(mapOf({ ok: true, map: setTerminal(t, 'deal', 'open', false) }).entities.deal!.states.open).toEqual({ owner: 'founder', next: [] });
  });

  it('changes owner, description and entry; an empty description and entry off leave their keys out', () => {
    const m = updateState(MAP, 'deal', 'won', { owner: 'automation', description: 'Signed', entryAllowed: true });
    expect(m.entities.deal!.states.won).toEqual({ owner: 'automation', description: 'Signed', entryAllowed: true, next: [] });
    expect(updateState(m, 'deal', 'won', { description: '', entryAllowed: false }).entities.deal!.states.won).toEqual({ owner: 'automation', next: [] });
  });

  it('says what a save adds and removes', () => {
    let m = mapOf(addState(MAP, 'deal', 'on_hold'));
    m = mapOf(setMove(m, 'deal', 'open', 'on_hold', true));
    m = mapOf(setMove(m, 'deal', 'open', 'lost', false));
    m = mapOf(removeState(m, 'deal', 'won'));
    m = updateState(m, 'deal', 'lost', { owner: 'founder' });
    m = mapOf(addEntity(m, 'project', 'scoped'));
    expect(describeChanges(MAP, m)).toEqual([
      'removes state deal.won',
      'deal.lost: changes owner',
      'adds state deal.on_hold',
      'deal: allows open → on_hold',
      'deal: no longer allows open → lost',
      'adds entity project (states: scoped)',
    ]);
    expect(describeChanges(MAP, removeEntity(MAP, 'deal'))).toEqual(['removes entity deal and its states']);
    expect(describeChanges(MAP, setInitial(MAP, 'deal', 'won'))).toEqual(['deal: new records start in won (was open)']);
    expect(describeChanges(MAP, MAP)).toEqual([]);
  });
});
