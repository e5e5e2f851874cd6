// Where the state map in force comes from: the store (settings doc `state-map`), so a change made through
// any instance (PUT /api/state-map) is what every instance checks flows and record moves against — the
// change feed carries it on PostgreSQL. The flows dir's state-map.json seeds it, and wins again at a
// start only when the file itself changed since it was last taken (an edit on disk is a change too; an
// unchanged file never undoes a change made through the API).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateFlow, validateStateMap, type StateMap } from '@flowdesk/schema';
import { EXECUTORS } from '../actions/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store, StoredFlow } from '../store/types.ts';
import { addedErrors } from './stored-logic.ts';

/** The settings document that holds the state map in force. */
export const STATE_MAP_DOC_ID = 'state-map';

interface StateMapDoc {
  id: typeof STATE_MAP_DOC_ID;
  map: StateMap;
  changedAt: string;
  changedBy: 'file' | 'api';
  /** sha256 of the state-map.json last taken: the same file at the next start changes nothing */
  fileSha256?: string;
  [k: string]: unknown;
}

export interface StateMapFile {
  path: string;
  map: StateMap;
  sha256: string;
}

/** `<flowsDir>/state-map.json`, else the repository's; undefined when there is none or it is invalid (logged). */
export function readStateMapFile(flowsDir: string | undefined, fallbackDir: string, log: Logger): StateMapFile | undefined {
  const own = flowsDir ? join(flowsDir, 'state-map.json') : undefined;
  const path = own && existsSync(own) ? own : join(fallbackDir, 'state-map.json');
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    log.error({ file: path, err: (e as Error).message }, 'state map is not valid JSON; not taken');
    return undefined;
  }
  const res = validateStateMap(doc);
  if (!res.ok) {
    log.error({ file: path, errors: res.errors }, 'state map is invalid; not taken');
    return undefined;
  }
  return { path, map: doc as StateMap, sha256: createHash('sha256').update(text).digest('hex') };
}

/** The stored document and its map, if that is valid. */
async function readStored(store: Store): Promise<{ doc: StateMapDoc | undefined; map: StateMap | undefined }> {
  const doc = (await store.getDoc('settings', STATE_MAP_DOC_ID)) as StateMapDoc | undefined;
  return { doc, map: doc && validateStateMap(doc.map).ok ? doc.map : undefined };
}

/** What is in force without a state map: no entities (GET /api/state-map answers it). */
export const NO_ENTITIES = { version: 1, entities: {} } as unknown as StateMap;

/**
 * A state map's tag (GET /api/state-map's ETag, PUT's If-Match): 16 hex of the sha256 of its JSON, quoted.
 * No map tags as the empty one GET answers then.
 */
export function stateMapTag(map: StateMap | undefined): string {
  return `"${createHash('sha256')
    .update(JSON.stringify(map ?? NO_ENTITIES))
    .digest('hex')
    .slice(0, 16)}"`;
}

/** The stored state map, if there is a valid one. */
export async function storedStateMap(store: Store): Promise<StateMap | undefined> {
  return (await readStored(store)).map;
}

/** How many records of `entity` are in `state`, for stateMapChangeProblems (counted, not read). */
export const recordsInState =
  (store: Store) =>
  async (entity: string, state: string): Promise<number> =>
    (await store.countRecords()).find((c) => c.entity === entity && c.state === state)?.count ?? 0;

/**
 * The state map to start with: the file's when it is new or changed since it was last taken (stored
 * then), else the stored one (an earlier release kept none: the file's is stored). `replaced`: the
 * stored map an edited file took over from (the caller says what that change breaks).
 */
export async function startStateMap(store: Store, file: StateMapFile | undefined, at: string, log: Logger): Promise<{ map: StateMap | undefined; replaced?: StateMap }> {
  const { doc, map: stored } = await readStored(store);
  if (file && (!stored || doc?.fileSha256 !== file.sha256)) {
    await store.putDoc('settings', { id: STATE_MAP_DOC_ID, map: file.map, changedAt: at, changedBy: 'file', fileSha256: file.sha256 } satisfies StateMapDoc);
    if (!stored) return { map: file.map };
    log.info({ file: file.path }, 'state map file changed: its map is now in force');
    return { map: file.map, replaced: stored };
  }
  return { map: stored };
}

/**
 * An edited state-map file is taken as the owner wrote it, but what it breaks — a stored flow naming a
 * state it dropped, records left in one — is raised once (the file is taken once) for the owner to fix.
 */
export async function alertStateMapFileProblems(deps: {
  replaced: StateMap;
  map: StateMap;
  flows: StoredFlow[];
  store: Store;
  log: Logger;
  raise: (a: { flowId: string; kind: string; severity: 'P1'; message: string }) => Promise<unknown>;
}): Promise<ChangeProblem[]> {
  const problems = await stateMapChangeProblems(deps.replaced, deps.map, deps.flows, recordsInState(deps.store));
  if (problems.length === 0) return problems;
  const where = problems.map((p) => `${p.path}: ${p.message}`);
  deps.log.warn({ problems: where }, 'the edited state map file breaks what is stored');
  await deps.raise({ flowId: 'state-map', kind: 'state_map_file', severity: 'P1', message: `the edited state-map.json is in force, and it breaks what is stored: ${where.join('; ')}` });
  return problems;
}

/** How often a change is checked again when the stored map changed under it before giving up (409). */
const CHANGE_ATTEMPTS = 5;

/**
 * Replaces the state map in force with `next` unless that breaks what is stored (the problems, nothing
 * written). Checked against the stored map and the stored flows — not this instance's copies, which can
 * lag a change made through another instance by the change feed's delay — and written only while the
 * stored map is still the one checked against; else checked again against the newer one, so two changes
 * through two instances at once are each checked against the other, never the later one overwriting
 * the earlier unchecked. The file's hash is kept (an unchanged file does not undo the change).
 * `stranded`: records found, once written, in a state the change removed — moved there between the
 * check and the write; they cannot move until the state is added back (the caller raises it).
 */
export async function changeStateMap(
  store: Store,
  next: StateMap,
  at: string,
  recordsIn: (entity: string, state: string) => Promise<number>,
): Promise<{ problems: ChangeProblem[]; stranded: { entity: string; state: string; count: number }[] }> {
  for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
    const { doc, map: current } = await readStored(store);
    const problems = await stateMapChangeProblems(current, next, await store.listFlows(), recordsIn);
    if (problems.length) return { problems, stranded: [] };
    const checked = JSON.stringify(doc ?? null);
    let written = false;
    await store.updateDoc('settings', STATE_MAP_DOC_ID, (cur) => {
      if (JSON.stringify(cur ?? null) !== checked) return undefined; // changed since it was read: check again
      written = true;
      const prev = cur as StateMapDoc | undefined;
      return { id: STATE_MAP_DOC_ID, map: next, changedAt: at, changedBy: 'api', ...(prev?.fileSha256 ? { fileSha256: prev.fileSha256 } : {}) } satisfies StateMapDoc;
    });
    if (!written) continue;
    const stranded: { entity: string; state: string; count: number }[] = [];
    for (const { entity, state } of removedStates(current, next)) {
      const count = await recordsIn(entity, state);
      if (count > 0) stranded.push({ entity, state, count });
    }
    return { problems: [], stranded };
  }
  return { problems: [{ path: '', message: `the state map changed ${CHANGE_ATTEMPTS} times while this change was being checked; nothing changed, try again` }], stranded: [] };
}

/** Each state of `current` that `next` no longer has (a whole entity removed: each of its states). */
export function removedStates(current: StateMap | undefined, next: StateMap): { entity: string; state: string }[] {
  const out: { entity: string; state: string }[] = [];
  for (const [entity, def] of Object.entries(current?.entities ?? {})) {
    const kept = Object.hasOwn(next.entities, entity) ? next.entities[entity]!.states : {};
    for (const state of Object.keys(def.states)) if (!Object.hasOwn(kept, state)) out.push({ entity, state });
  }
  return out;
}

export interface ChangeProblem {
  path: string;
  message: string;
}

/**
 * What replacing `current` by `next` would break: a stored flow (its latest version) that passes today
 * and would not — it names a state or move the new map lacks — and records sitting in a removed state,
 * which could then never move. `recordsIn` counts the records of one entity in one state.
 */
export async function stateMapChangeProblems(
  current: StateMap | undefined,
  next: StateMap,
  flows: StoredFlow[],
  recordsIn: (entity: string, state: string) => Promise<number>,
): Promise<ChangeProblem[]> {
  const problems: ChangeProblem[] = [];
  const implementedActions = Object.keys(EXECUTORS);
  for (const f of flows) {
    const before = validateFlow(f.doc, { implementedActions, stateMap: current }).errors;
    for (const e of addedErrors(validateFlow(f.doc, { implementedActions, stateMap: next }).errors, before)) {
      problems.push({ path: `/flows/${f.id}${e.path}`, message: `flow ${f.id} (version ${f.version}): ${e.message}` });
    }
  }
  for (const { entity, state } of removedStates(current, next)) {
    const n = await recordsIn(entity, state);
    if (n > 0) problems.push({ path: `/entities/${entity}/states/${state}`, message: `${n} ${entity} record${n === 1 ? ' is' : 's are'} in "${state}", which this map removes: move ${n === 1 ? 'it' : 'them'} first` });
  }
  return problems;
}
