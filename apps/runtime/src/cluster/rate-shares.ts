// Rate limits across instances: FLOWDESK_HOOK_RATE is what the cluster allows, so the alive instances
// split it (N independent buckets would let N times it through). Each path's rate is split by where its
// requests arrive: every instance reports the requests it saw per path in the last interval, and takes
// a share of each path in proportion to its part of them, above a floor — so behind a proxy that sends
// a path to one instance (sticky routing), that instance gets nearly all of the path's rate, and behind
// one that spreads evenly, each gets an equal part. Paths nobody saw requests for, and the failed-auth
// allowance, are split evenly. Read every third of the lease, so the shares follow the traffic, and a
// dead instance's part goes back to the others, within about a lease.
import type { InstanceView } from '@flowdesk/schema';
import type { RateLimiter } from '../security/rate-limit.ts';

/** The share each alive instance takes (none read as alive, e.g. this one's first heartbeat not yet seen: all of it). */
export const shareOf = (instances: Pick<InstanceView, 'alive'>[]): number => 1 / Math.max(1, instances.filter((i) => i.alive).length);

/**
 * This instance's share of each path with requests anywhere: a floor of a quarter of an even share (so
 * traffic moving to it is not refused outright before the next reading), plus the rest in proportion to
 * its part of the path's requests. The shares of one path over the alive instances add up to 1.
 */
export function demandShares(instances: Pick<InstanceView, 'id' | 'alive' | 'hookDemand'>[], self: string): Map<string, number> {
  const alive = instances.filter((i) => i.alive);
  const out = new Map<string, number>();
  if (!alive.some((i) => i.id === self)) return out; // this instance not seen as alive yet: the even share until it is
  // an instance that reports nothing (an earlier release, mid rolling upgrade) takes the even share:
  // the others do too, or together they would allow more than the configured rate
  const reported = alive.flatMap((i) => (i.hookDemand ? [{ id: i.id, demand: i.hookDemand }] : []));
  if (reported.length < alive.length) return out;
  const mine = reported.find((i) => i.id === self)!.demand;
  const floor = 1 / (4 * alive.length);
  const totals = new Map<string, number>();
  for (const i of reported) for (const [path, n] of Object.entries(i.demand)) if (n > 0) totals.set(path, (totals.get(path) ?? 0) + n);
  for (const [path, total] of totals) out.set(path, Math.min(1, floor + (1 - alive.length * floor) * ((mine[path] ?? 0) / total)));
  return out;
}

/**
 * The demand an instance reports: each path's requests of the last interval plus half of what it
 * reported before, so that shares follow a path's traffic through short gaps instead of falling back to
 * the even split between two bursts; a path whose figure decays below one half is dropped.
 */
export function decayedDemand(before: ReadonlyMap<string, number>, seen: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [path, n] of before) out.set(path, n / 2);
  for (const [path, n] of seen) out.set(path, (out.get(path) ?? 0) + n);
  for (const [path, n] of out) if (n < 0.5) out.delete(path);
  return out;
}

export interface SharedInstances {
  readonly instanceId: string;
  instances(): Promise<InstanceView[]>;
  reportHookDemand(demand: Record<string, number>): Promise<void>;
}

export function followRateShares(
  store: SharedInstances,
  limiters: { hooks: RateLimiter; even: RateLimiter[] },
  leaseMs: number,
  log: { warn(o: object, msg: string): void },
): { stop(): void; refresh(): Promise<void> } {
  let demand = new Map<string, number>();
  const refresh = async () => {
    try {
      demand = decayedDemand(demand, limiters.hooks.takeDemand());
      await store.reportHookDemand(Object.fromEntries(demand));
      const instances = await store.instances();
      const even = shareOf(instances);
      limiters.hooks.setShares(demandShares(instances, store.instanceId), even);
      for (const l of limiters.even) l.setShare(even);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'rate shares: instances not read; the last shares stay');
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer), refresh };
}
