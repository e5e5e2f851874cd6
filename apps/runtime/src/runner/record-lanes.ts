// Runs that touch one record key run one at a time, in arrival order. Within a process the KeyedQueue
// does it; across the processes of a cluster the store's lanes do (PostgreSQL: an advisory lock per
// record key, taken only once no earlier-arrived run of that key is still waiting to start).
import type { Run } from '@flowdesk/schema';

export interface RecordLanes {
  /**
   * Runs `task` while no other instance works on the run's record, after the runs of that record that
   * arrived earlier have started. Runs without a record go straight on.
   */
  exclusive<T>(run: Pick<Run, 'id' | 'record'>, task: () => Promise<T>): Promise<T>;
}

/** One process per store (the embedded store): the KeyedQueue is all the ordering there is. */
export const inProcessLanes: RecordLanes = { exclusive: (_run, task) => task() };
