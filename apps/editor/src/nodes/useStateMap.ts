// The runtime's state map (GET /api/state-map): entity and state pickers. Fetched once per page, and
// again when the window regains focus — the map can change through the API (PUT /api/state-map) or
// another instance while the editor is open, and the pickers then offer the map in force.
import { useEffect, useState } from 'react';
import type { StateMap } from '@flowdesk/schema';
import { tagged } from '../api.ts';

const EMPTY = { version: 1, entities: {} } as unknown as StateMap;

let current: StateMap | null = null;
/** the ETag the runtime answered with `current`: a change made from it sends it as If-Match */
let currentTag: string | null = null;
let loading: Promise<void> | null = null;
const listeners = new Set<(m: StateMap) => void>();

/** Asks the runtime for the map in force again (on focus, and after a change was refused as made from an older one). */
export function reloadStateMap(): Promise<void> {
  loading ??= tagged<StateMap>('GET', '/api/state-map')
    .then(({ data: m, tag }) => {
      const changed = JSON.stringify(m) !== JSON.stringify(current);
      current = m;
      currentTag = tag;
      if (changed) for (const fn of listeners) fn(m);
    })
    .catch(() => {
      if (!current) {
        current = EMPTY; // asked again at the next focus
        for (const fn of listeners) fn(EMPTY);
      }
    })
    .finally(() => {
      loading = null;
    });
  return loading;
}

/** The tag of the map the pickers offer (undefined before the first answer). */
export const stateMapTag = (): string | undefined => currentTag ?? undefined;

/** The map just saved through this page (PUT /api/state-map answered it): every picker offers it at once. */
export function publishStateMap(m: StateMap, tag: string | null): void {
  current = m;
  currentTag = tag;
  for (const fn of listeners) fn(m);
}

let watching = false;
function watchFocus(): void {
  if (watching || typeof window === 'undefined') return;
  watching = true;
  window.addEventListener('focus', () => void reloadStateMap());
}

export function useStateMap(): StateMap | null {
  const [map, setMap] = useState<StateMap | null>(current);
  useEffect(() => {
    listeners.add(setMap);
    watchFocus();
    if (current) setMap(current);
    else void reloadStateMap();
    return () => {
      listeners.delete(setMap);
    };
  }, []);
  return map;
}

/** The entity names, and the states of one entity (empty when unknown). */
export const entitiesOf = (m: StateMap | null): string[] => Object.keys(m?.entities ?? {});
export const statesOf = (m: StateMap | null, entity: string | undefined): string[] => (entity ? Object.keys(m?.entities[entity]?.states ?? {}) : []);
