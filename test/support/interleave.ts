// Exact interleavings for races between a reader and another writer (another instance, in production).
import type { Run } from '@flowdesk/schema';
import type { Store } from '../../apps/runtime/src/store/types.ts';

/**
 * Right after the `nth` read of run `runId` through `store` — before its reader gets the run — `between`
 * runs once, as another instance's write at that moment would.
 */
export function afterRunRead(store: Store, runId: string, nth: number, between: (run: Run) => Promise<void>): void {
  const getRun = store.getRun.bind(store);
  let reads = 0;
  store.getRun = async (id) => {
    const run = await getRun(id);
    if (id === runId && ++reads === nth) {
      store.getRun = getRun;
      await between(run!);
    }
    return run;
  };
}
