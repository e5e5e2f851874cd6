// The runtime's state map (GET /api/state-map): entity and state pickers. Fetched once per page, and
// again when the window regains focus — the map can change through the API (PUT /api/state-map) or
// another instance while the editor is open, and the pickers then offer the map in force.
import { useEffect, useState } from 'react';
import type { StateMap } from '@flowdesk/schema';
import { get } from '../api.ts';

const EMPTY = { version: 1, entities: {} } as unknown as StateMap;

let current: StateMap | null = null;
let loading: Promise<void> | null = null;
const listeners = new Set<(m: StateMap) => void>();

function load(): Promise<void> {
  loading ??= get<StateMap>('/api/state-map')
    .then((m) => {
      const changed = JSON.stringify(m) !== JSON.stringify(current);
      current = m;
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

/** The map just saved through this page (PUT /api/state-map answered it): every picker offers it at once. */
export function publishStateMap(m: StateMap): void {
  current = m;
  for (const fn of listeners) fn(m);
}

let watching = false;
function watchFocus(): void {
  if (watching || typeof window === 'undefined') return;
  watching = true;
  window.addEventListener('focus', () => void load());
}

export function useStateMap(): StateMap | null {
  const [map, setMap] = useState<StateMap | null>(current);
  useEffect(() => {
    listeners.add(setMap);
    watchFocus();
    if (current) setMap(current);
    else void load();
    return () => {
      listeners.delete(setMap);
    };
  }, []);
  return map;
}

/** The entity names, and the states of one entity (empty when unknown). */
export const entitiesOf = (m: StateMap | null): string[] => Object.keys(m?.entities ?? {});
export const statesOf = (m: StateMap | null, entity: string | undefined): string[] => (entity ? Object.keys(m?.entities[entity]?.states ?? {}) : []);
