// Keeps this instance's caches in step with the cluster: a change made through any instance sharing the
// store (PostgreSQL) is applied here within milliseconds, or by the periodic reconcile if its
// notification was lost. On the embedded store there is no one else, and nothing to follow.
import type { Logger } from '../observability/logger.ts';
import type { FlowRegistry } from '../flows/registry.ts';
import { STATE_MAP_DOC_ID } from '../flows/state-map-source.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ClusterChange, ChangeSource, Store } from '../store/types.ts';

export interface FollowDeps {
  store: Store;
  flows: FlowRegistry;
  log: Logger;
  metrics?: Pick<Metrics, 'clusterChange'>;
  /**
   * after a flow changed through another instance: its e-mail trigger's IDLE session follows it here,
   * and a flow switched back on releases the events this instance held for it
   */
  onFlowChanged?: (flowId: string) => Promise<void>;
  /** after the state map changed through another instance: re-read it */
  onStateMapChanged?: () => Promise<void>;
}

/** What each topic refreshes here. A cache of a watched collection adds its `docs:<collection>` entry. */
function appliers(deps: FollowDeps): Record<string, (c: ClusterChange) => Promise<void>> {
  return {
    flows: async (c) => {
      await deps.flows.refresh(c.id);
      await deps.onFlowChanged?.(c.id);
    },
    'docs:settings': async (c) => {
      if (c.id === STATE_MAP_DOC_ID) await deps.onStateMapChanged?.();
    },
  };
}

export interface ClusterFollower {
  /** Applies what arrived while the caches were loading, then applies changes as they come. */
  start(): Promise<void>;
  stop(): void;
}

/**
 * Subscribes to the store's change feed. Call before loading the caches and `start()` after: a change
 * that arrives in between is held and applied then, so none falls between the load and the subscription.
 */
export function followClusterChanges(deps: FollowDeps): ClusterFollower {
  const feed = deps.store.changes;
  if (!feed) return { start: async () => {}, stop: () => {} };
  const apply = appliers(deps);
  const applyOne = async (c: ClusterChange, via: ChangeSource) => {
    deps.metrics?.clusterChange(c.topic, via);
    try {
      await apply[c.topic]?.(c);
    } catch (e) {
      deps.log.warn({ topic: c.topic, id: c.id, via, err: (e as Error).message }, 'could not apply a cluster change; the next reconcile tries again');
      throw e; // the feed forgets it as applied, so the reconcile delivers it again
    }
  };
  let held: [ClusterChange, ChangeSource][] | undefined = [];
  const unsubscribe = feed.subscribe((c, via) => (held ? void held.push([c, via]) : applyOne(c, via)));
  return {
    async start() {
      const list = held ?? [];
      held = undefined;
      for (const [c, via] of list) await applyOne(c, via).catch(() => undefined); // logged by applyOne
    },
    stop: unsubscribe,
  };
}
