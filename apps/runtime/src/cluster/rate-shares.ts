// Rate limits across instances: FLOWDESK_HOOK_RATE is what the cluster allows, so each of N alive
// instances allows 1/N of it (a proxy spreading requests evenly then lets the configured rate through;
// N independent buckets would let N times it). The alive count is read from the database every third
// of the lease, so a dead instance's share goes back to the others within about a lease.
import type { InstanceView } from '@flowdesk/schema';
import type { RateLimiter } from '../security/rate-limit.ts';

/** The share each alive instance takes (none read as alive, e.g. this one's first heartbeat not yet seen: all of it). */
export const shareOf = (instances: Pick<InstanceView, 'alive'>[]): number => 1 / Math.max(1, instances.filter((i) => i.alive).length);

export function followRateShares(
  store: { instances(): Promise<InstanceView[]> },
  limiters: RateLimiter[],
  leaseMs: number,
  log: { warn(o: object, msg: string): void },
): { stop(): void; refresh(): Promise<void> } {
  const refresh = async () => {
    try {
      const share = shareOf(await store.instances());
      for (const l of limiters) l.setShare(share);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'rate shares: instances not read; the last shares stay');
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer), refresh };
}
