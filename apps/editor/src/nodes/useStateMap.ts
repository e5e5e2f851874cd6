// The runtime's state map (GET /api/state-map), fetched once per page: entity and state pickers.
import { useEffect, useState } from 'react';
import type { StateMap } from '@flowdesk/schema';
import { get } from '../api.ts';

let cached: Promise<StateMap> | null = null;

export function useStateMap(): StateMap | null {
  const [map, setMap] = useState<StateMap | null>(null);
  useEffect(() => {
    let live = true;
    cached ??= get<StateMap>('/api/state-map').catch(() => {
      cached = null; // asked again next time
      return { version: 1, entities: {} } as unknown as StateMap;
    });
    void cached.then((m) => live && setMap(m));
    return () => {
      live = false;
    };
  }, []);
  return map;
}

/** The entity names, and the states of one entity (empty when unknown). */
export const entitiesOf = (m: StateMap | null): string[] => Object.keys(m?.entities ?? {});
export const statesOf = (m: StateMap | null, entity: string | undefined): string[] => (entity ? Object.keys(m?.entities[entity]?.states ?? {}) : []);
