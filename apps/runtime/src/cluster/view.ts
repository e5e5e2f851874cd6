// What an operator of several instances asks first: which instances are alive, what each is driving,
// and who holds each lease (a mailbox, a polling trigger). GET /api/cluster answers it from the
// database, as every instance sees it; on the embedded store there is one process and no instance list.
// The answer's shape is @flowdesk/schema's ClusterView (the editor reads it too).
import type { ClusterView, InstanceView } from '@flowdesk/schema';
import type { Leases } from './leases.ts';
import type { RateLimiter } from '../security/rate-limit.ts';

interface SharedStore {
  instanceId: string;
  instances(): Promise<InstanceView[]>;
}
const isShared = (store: object): store is SharedStore => typeof (store as Partial<SharedStore>).instances === 'function';

export async function clusterView(store: object, leases: Leases, hookLimiter: RateLimiter): Promise<ClusterView> {
  const held = await leases.list();
  const hookRate = { perSecond: hookLimiter.ratePerSecond, burst: hookLimiter.burst, paths: hookLimiter.ownLimits() };
  if (!isShared(store)) return { store: 'embedded', leaseMs: leases.leaseMs, instances: [], leases: held, hookRate };
  const instances = await store.instances();
  return {
    store: 'postgres',
    self: store.instanceId,
    leaseMs: leases.leaseMs,
    instances: instances.map((i) => ({ ...i, self: i.id === store.instanceId })),
    // a holder is `<instance id>#<process>`: which instance, for the reader
    leases: held.map((l) => ({ ...l, instance: l.holder.slice(0, l.holder.lastIndexOf('#')) || l.holder })),
    hookRate,
  };
}
