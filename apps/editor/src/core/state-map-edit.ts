// Edits of a state map as the States page makes them: each returns a new map (the draft is never
// changed in place) or says why it cannot be made. The runtime has the last word (PUT /api/state-map
// checks the map, the stored flows and the records); these keep a draft well-formed as it is edited and
// say, before saving, what a change adds and removes.
import { STATE_NAME_PATTERN, type EntityDef, type StateDef, type StateMap } from '@flowdesk/schema';

export type Edit = { ok: true; map: StateMap } | { ok: false; error: string };

const NAME = new RegExp(STATE_NAME_PATTERN);
const clone = (m: StateMap): StateMap => structuredClone(m);
const entityOf = (m: StateMap, entity: string): EntityDef | undefined => (Object.hasOwn(m.entities, entity) ? m.entities[entity] : undefined);

/** Why `name` cannot name a new entity or state (null: it can). */
export function nameProblem(name: string, taken: string[], what: 'entity' | 'state'): string | null {
  if (!name) return `the ${what} needs a name`;
  if (!NAME.test(name)) return `"${name}": lower-case letters, digits and _, starting with a letter (at most 64)`;
  if (taken.includes(name)) return `there is already a${what === 'entity' ? 'n entity' : ' state'} "${name}"`;
  return null;
}

/** A new entity whose records start in `firstState`. */
export function addEntity(m: StateMap, entity: string, firstState: string): Edit {
  const bad = nameProblem(entity, Object.keys(m.entities), 'entity') ?? nameProblem(firstState, [], 'state');
  if (bad) return { ok: false, error: bad };
  const out = clone(m);
  out.entities[entity] = { initial: firstState, states: { [firstState]: { owner: 'founder', next: [] } } };
  return { ok: true, map: out };
}

export function removeEntity(m: StateMap, entity: string): StateMap {
  const out = clone(m);
  delete out.entities[entity];
  return out;
}

export function addState(m: StateMap, entity: string, state: string): Edit {
  const def = entityOf(m, entity);
  if (!def) return { ok: false, error: `unknown entity "${entity}"` };
  const bad = nameProblem(state, Object.keys(def.states), 'state');
  if (bad) return { ok: false, error: bad };
  const out = clone(m);
  out.entities[entity]!.states[state] = { owner: 'founder', next: [] };
  return { ok: true, map: out };
}

/** Removes a state and every move into it; the initial state stays until another is chosen. */
export function removeState(m: StateMap, entity: string, state: string): Edit {
  const def = entityOf(m, entity);
  if (!def || !Object.hasOwn(def.states, state)) return { ok: false, error: `"${state}" is not a state of ${entity}` };
  if (def.initial === state) return { ok: false, error: `"${state}" is where new ${entity} records start: choose another initial state first` };
  const out = clone(m);
  const states = out.entities[entity]!.states;
  delete states[state];
  for (const s of Object.values(states)) s.next = s.next.filter((to) => to !== state);
  return { ok: true, map: out };
}

/** Allows (or stops allowing) records to move from `from` to `to`. */
export function setMove(m: StateMap, entity: string, from: string, to: string, allowed: boolean): Edit {
  const def = entityOf(m, entity);
  const source = def && Object.hasOwn(def.states, from) ? def.states[from] : undefined;
  if (!def || !source || !Object.hasOwn(def.states, to)) return { ok: false, error: `${entity}: no move ${from} → ${to}` };
  if (allowed && source.terminal) return { ok: false, error: `"${from}" is terminal: no move leaves it (untick "terminal" first)` };
  const out = clone(m);
  const s = out.entities[entity]!.states[from]!;
  s.next = allowed ? (s.next.includes(to) ? s.next : [...s.next, to]) : s.next.filter((x) => x !== to);
  return { ok: true, map: out };
}

/** A terminal state ends the lifecycle, so marking one terminal drops its moves. */
export function setTerminal(m: StateMap, entity: string, state: string, terminal: boolean): StateMap {
  const out = clone(m);
  const s = entityOf(out, entity)?.states[state];
  if (!s) return out;
  if (terminal) {
    s.terminal = true;
    s.next = [];
  } else delete s.terminal;
  return out;
}

/** Owner, description, entry allowed; an empty description or `entryAllowed: false` leaves the key out. */
export function updateState(m: StateMap, entity: string, state: string, patch: Partial<Pick<StateDef, 'owner' | 'description' | 'entryAllowed'>>): StateMap {
  const out = clone(m);
  const s = entityOf(out, entity)?.states[state];
  if (!s) return out;
  if (patch.owner !== undefined) s.owner = patch.owner;
  if (patch.description !== undefined) {
    if (patch.description) s.description = patch.description;
    else delete s.description;
  }
  if (patch.entryAllowed !== undefined) {
    if (patch.entryAllowed) s.entryAllowed = true;
    else delete s.entryAllowed;
  }
  return out;
}

export function setInitial(m: StateMap, entity: string, state: string): StateMap {
  const out = clone(m);
  const def = entityOf(out, entity);
  if (def && Object.hasOwn(def.states, state)) def.initial = state;
  return out;
}

const STATE_FIELDS = ['owner', 'description', 'terminal', 'entryAllowed'] as const;

/** What saving `after` over `before` does, one line each, in the map's order. */
export function describeChanges(before: StateMap, after: StateMap): string[] {
  const lines: string[] = [];
  for (const entity of Object.keys(before.entities)) if (!entityOf(after, entity)) lines.push(`removes entity ${entity} and its states`);
  for (const [entity, def] of Object.entries(after.entities)) {
    const was = entityOf(before, entity);
    if (!was) {
      lines.push(`adds entity ${entity} (states: ${Object.keys(def.states).join(', ')})`);
      continue;
    }
    if (was.initial !== def.initial) lines.push(`${entity}: new records start in ${def.initial} (was ${was.initial})`);
    if ((was.description ?? '') !== (def.description ?? '')) lines.push(`${entity}: changes the description`);
    for (const state of Object.keys(was.states)) if (!Object.hasOwn(def.states, state)) lines.push(`removes state ${entity}.${state}`);
    for (const [state, s] of Object.entries(def.states)) {
      const old = Object.hasOwn(was.states, state) ? was.states[state] : undefined;
      if (!old) {
        lines.push(`adds state ${entity}.${state}`);
        continue;
      }
      const changed = STATE_FIELDS.filter((f) => (old[f] ?? null) !== (s[f] ?? null));
      if (changed.length) lines.push(`${entity}.${state}: changes ${changed.join(', ')}`);
    }
    for (const [state, s] of Object.entries(def.states)) {
      const oldNext = Object.hasOwn(was.states, state) ? was.states[state]!.next : [];
      for (const to of s.next) if (!oldNext.includes(to)) lines.push(`${entity}: allows ${state} → ${to}`);
      for (const to of oldNext) if (!s.next.includes(to) && Object.hasOwn(def.states, to) && Object.hasOwn(def.states, state)) lines.push(`${entity}: no longer allows ${state} → ${to}`);
    }
  }
  return lines;
}
