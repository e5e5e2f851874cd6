// GET /api/cluster's answer: the instances sharing one database and the leases — what the runtime
// builds (apps/runtime/src/cluster/view.ts) and the editor's Cluster page reads.

export interface InstanceView {
  id: string;
  startedAt: string;
  heartbeatAt: string;
  /** a heartbeat within the lease length: its runs and leases are its own; once false, others take them */
  alive: boolean;
  /** its runs that have not ended — queued, running or waiting (an instance not alive: what the others take over) */
  openRuns: number;
  /**
   * its recent webhook requests per path (allowed or not; halved each rate-share interval without new
   * ones): what the rate shares are weighed by. null: an instance of an earlier release, which does not
   * report it.
   */
  hookDemand: Record<string, number> | null;
}

export interface LeaseView {
  name: string;
  /** the holder's id: `<instance id>#<process>` on PostgreSQL */
  holder: string;
  token: number;
  acquiredAt: string;
  /** absent on the embedded store (one process: its leases never run out) */
  expiresAt?: string;
  /** false once it ran out or was given up: the next instance to ask takes it */
  held: boolean;
}

export interface ClusterView {
  store: 'postgres' | 'embedded';
  /** this instance's id (PostgreSQL) */
  self?: string;
  leaseMs: number;
  /** PostgreSQL: every instance heard from in the last day, this one marked `self` */
  instances: (InstanceView & { self: boolean })[];
  leases: (LeaseView & { instance?: string })[];
  /** what this instance allows per webhook path: its share of FLOWDESK_HOOK_RATE / _BURST */
  hookRate: {
    perSecond: number;
    burst: number;
    /** paths given a share of their own, weighed by where their requests arrive (the rest: the figures above) */
    paths: Record<string, { perSecond: number; burst: number }>;
  };
}
