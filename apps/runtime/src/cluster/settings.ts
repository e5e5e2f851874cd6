// Cluster timing from the environment (PostgreSQL only; the embedded store has no cluster).
export interface ClusterSettings {
  /** FLOWDESK_CLUSTER_RECONCILE_MS: how often each instance compares shared configuration with the database (default 5,000) */
  reconcileMs?: number;
  /**
   * FLOWDESK_LEASE_MS: how long an instance, or the holder of a lease (a mailbox, a polling trigger), may
   * stay silent before its work is taken over (default 15,000). Holders renew every third of it.
   */
  leaseMs?: number;
}

const positiveMs = (env: Record<string, string | undefined>, name: string, min: number): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of milliseconds ≥ ${min} (got "${raw}")`);
  return n;
};

export function clusterSettingsFromEnv(env: Record<string, string | undefined>): ClusterSettings {
  return { reconcileMs: positiveMs(env, 'FLOWDESK_CLUSTER_RECONCILE_MS', 50), leaseMs: positiveMs(env, 'FLOWDESK_LEASE_MS', 300) };
}
