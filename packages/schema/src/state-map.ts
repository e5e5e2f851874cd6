// The state map: per entity, its states, who owns each, and which transitions are legal. Flows move
// records between states (record.setState, an end node's exitState); record triggers and cancelOn hang
// work off those states. The TypeBox source below yields both state-map.schema.json and the types.
import { Type, type Static } from '@sinclair/typebox';
import { toFieldErrors, type FieldError } from './ajv-errors.ts';
import { toPointer } from './pointer.ts';
import { schemaCheck } from './schema-checks.ts';

export const STATE_MAP_SCHEMA_ID = 'https://flowdesk.dev/schema/state-map/v1.json';

/** An entity's or a state's name (the editor checks a new one against it as it is typed). */
export const STATE_NAME_PATTERN = '^[a-z][a-z0-9_]{0,63}$';
const Name = Type.String({ pattern: STATE_NAME_PATTERN, description: 'lower-case name: letters, digits and _' });

export const StateDef = Type.Object(
  {
    owner: Type.String({ minLength: 1, description: 'who is responsible while a record is in this state, e.g. "founder" or "automation"' }),
    description: Type.Optional(Type.String()),
    next: Type.Array(Name, { uniqueItems: true, description: 'the states a record may move to from this one' }),
    terminal: Type.Optional(Type.Boolean({ description: 'the end of the lifecycle: no transitions leave it' })),
    entryAllowed: Type.Optional(
      Type.Boolean({ description: 'a new record may be created directly in this state (besides the initial state)' }),
    ),
  },
  { additionalProperties: false },
);

export const EntityDef = Type.Object(
  {
    description: Type.Optional(Type.String()),
    initial: Name,
    states: Type.Record(Name, StateDef, { additionalProperties: false, minProperties: 1 }),
  },
  { additionalProperties: false },
);

export const StateMapSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    version: Type.Literal(1),
    description: Type.Optional(Type.String()),
    entities: Type.Record(Name, EntityDef, {
      additionalProperties: false,
      description: 'by entity name (the /api/records/:entity segment)',
    }),
  },
  { additionalProperties: false, $id: STATE_MAP_SCHEMA_ID, title: 'Flowdesk state map' },
);

export type StateDef = Static<typeof StateDef>;
export type EntityDef = Static<typeof EntityDef>;
export type StateMap = Static<typeof StateMapSchema>;

export interface StateMapValidation {
  ok: boolean;
  errors: FieldError[];
  map?: StateMap;
}


/** Validates a state map: its shape, that `initial` and every `next` name a state of the entity, and that terminal states have no `next`. */
export function validateStateMap(doc: unknown): StateMapValidation {
  const checkShape = schemaCheck('state-map', StateMapSchema);
  const errors: FieldError[] = checkShape(doc) ? [] : toFieldErrors(checkShape.errors);
  const entities = (doc as { entities?: unknown } | null)?.entities;
  if (entities && typeof entities === 'object' && !Array.isArray(entities)) {
    for (const [entity, def] of Object.entries(entities as Record<string, unknown>)) {
      const d = def as Partial<EntityDef> | null;
      if (!d || typeof d !== 'object' || !d.states || typeof d.states !== 'object') continue;
      const states = d.states as Record<string, Partial<StateDef> | null>;
      if (typeof d.initial === 'string' && !Object.hasOwn(states, d.initial)) {
        errors.push({ path: toPointer(['entities', entity, 'initial']), message: `initial state "${d.initial}" is not a state of ${entity}` });
      }
      for (const [state, s] of Object.entries(states)) {
        if (!s || typeof s !== 'object' || !Array.isArray(s.next)) continue;
        s.next.forEach((to, i) => {
          if (typeof to === 'string' && !Object.hasOwn(states, to)) {
            errors.push({ path: toPointer(['entities', entity, 'states', state, 'next', i]), message: `"${to}" is not a state of ${entity}` });
          }
        });
        if (s.terminal === true && s.next.length > 0) {
          errors.push({ path: toPointer(['entities', entity, 'states', state, 'next']), message: `terminal state "${state}" cannot have next states` });
        }
      }
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, errors, map: doc as StateMap };
}

export type TransitionCheck = { ok: true } | { ok: false; reason: string };

const q = (s: string | null): string => (s === null ? '(new record)' : `"${s}"`);

/**
 * Whether a record of `entity` may move from `from` to `to`. `from: null` creates the record: allowed
 * into the initial state or a state marked `entryAllowed`. Staying in the same state is always allowed
 * (a no-op: a repeated event must not fail a run).
 */
export function canTransition(map: StateMap, entity: string, from: string | null, to: string): TransitionCheck {
  const def = Object.hasOwn(map.entities, entity) ? map.entities[entity] : undefined;
  if (!def) return { ok: false, reason: `unknown entity "${entity}"` };
  const illegal = `illegal transition for ${entity}: ${q(from)} → ${q(to)}`;
  const target = Object.hasOwn(def.states, to) ? def.states[to] : undefined;
  if (!target) return { ok: false, reason: `${illegal} ("${to}" is not a state of ${entity})` };
  if (from === null) {
    if (to === def.initial || target.entryAllowed === true) return { ok: true };
    const entries = [def.initial, ...Object.keys(def.states).filter((s) => s !== def.initial && def.states[s]!.entryAllowed === true)];
    return {
      ok: false,
      reason: `${illegal} (a new record starts in ${entries.map((s) => q(s)).join(' or ')})`,
    };
  }
  const source = Object.hasOwn(def.states, from) ? def.states[from] : undefined;
  if (!source) return { ok: false, reason: `${illegal} ("${from}" is not a state of ${entity})` };
  if (from === to || source.next.includes(to)) return { ok: true };
  return { ok: false, reason: illegal };
}

/** Whether `entity` exists in the map and, when given, has `state`. */
export function hasState(map: StateMap, entity: string, state?: string): boolean {
  const def = Object.hasOwn(map.entities, entity) ? map.entities[entity] : undefined;
  if (!def) return false;
  return state === undefined || Object.hasOwn(def.states, state);
}
