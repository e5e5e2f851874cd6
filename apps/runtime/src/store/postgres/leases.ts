// Leases on PostgreSQL (the `leases` table, migration 004): a row per name with its holder, a fencing
// token and an expiry on the database's clock. Taking a lease is one statement that succeeds only when
// the row is absent or expired; the holder renews all its leases in one statement every third of the
// lease length. A lease is given up as lost, and its work stopped, when a renewal shows another holder,
// or when no renewal has succeeded for the lease length minus a margin — before anyone else can take it.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { HeldLease, ownLease, type Lease, type LeaseOwner, type Leases } from '../../cluster/leases.ts';

export interface PostgresLeasesOptions {
  /** a pool of its own (one connection is enough): renewals never wait behind the hot path's queries */
  pool: () => pg.Pool;
  /** a name for this process (its instance id); a random suffix makes the holder unique per process */
  instanceId: string;
  /** default 15 s */
  leaseMs?: number;
  log?: { warn(msg: string): void };
}

const TAKE = `
INSERT INTO leases AS l (name, holder, token, acquired_at, expires_at)
VALUES ($1, $2, 1, clock_timestamp(), clock_timestamp() + make_interval(secs => $3::double precision / 1000))
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = l.token + 1, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
WHERE l.expires_at <= clock_timestamp()
RETURNING token`;

const RENEW = `
UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
WHERE holder = $1 AND name = ANY($2::text[])
RETURNING name`;

const LIST = 'SELECT name, holder, token, acquired_at, expires_at, expires_at > clock_timestamp() AS held FROM leases ORDER BY name';

// an expired row is kept (not deleted) so that tokens keep growing across holders
const GIVE_UP = `UPDATE leases SET expires_at = clock_timestamp() WHERE name = $1 AND holder = $2`;

export function createPostgresLeases(opts: PostgresLeasesOptions): Leases {
  const leaseMs = opts.leaseMs ?? 15_000;
  const holder = `${opts.instanceId}#${randomUUID().slice(0, 8)}`;
  const held = new Map<string, { lease: HeldLease; validUntil: number }>();
  const owners = new Set<LeaseOwner>();
  // give up this long before the database would let someone else take the lease over; deadlines are
  // checked every tenth of the lease, renewals sent every third
  const margin = Math.max(20, Math.floor(leaseMs / 5));
  const renewEvery = Math.max(10, Math.floor(leaseMs / 3));
  let renewing = false;
  let lastRenew = 0;
  let timer: NodeJS.Timeout | undefined;

  const lose = (name: string, reason: string) => {
    const h = held.get(name);
    if (!h) return;
    held.delete(name);
    h.lease.markLost(reason);
    if (held.size === 0) stopRenewing();
  };

  async function renew(): Promise<void> {
    const now = performance.now();
    for (const [name, h] of held) if (now >= h.validUntil - margin) lose(name, `not renewed for ${leaseMs} ms (database unreachable?)`);
    if (renewing || held.size === 0 || now - lastRenew < renewEvery) return;
    renewing = true;
    lastRenew = now;
    const names = [...held.keys()];
    const sentAt = performance.now();
    try {
      const { rows } = await opts.pool().query<{ name: string }>(RENEW, [holder, names, leaseMs]);
      const kept = new Set(rows.map((r) => r.name));
      for (const name of names) {
        const h = held.get(name);
        if (!h) continue;
        if (kept.has(name)) h.validUntil = sentAt + leaseMs;
        else lose(name, 'taken over by another instance');
      }
    } catch (e) {
      opts.log?.warn(`lease renewal failed: ${(e as Error).message}`);
    } finally {
      renewing = false;
    }
  }

  function startRenewing(): void {
    if (timer) return;
    lastRenew = performance.now();
    timer = setInterval(() => void renew(), Math.max(5, Math.floor(leaseMs / 10)));
    timer.unref();
  }
  function stopRenewing(): void {
    clearInterval(timer);
    timer = undefined;
  }

  const leases: Leases = {
    holder,
    leaseMs,
    async acquire(name: string): Promise<Lease | undefined> {
      const cur = held.get(name);
      if (cur && !cur.lease.lost) return cur.lease;
      const sentAt = performance.now();
      const { rows } = await opts.pool().query<{ token: string }>(TAKE, [name, holder, leaseMs]);
      if (!rows[0]) return undefined;
      const lease = new HeldLease(name, Number(rows[0].token), async () => {
        held.delete(name);
        if (held.size === 0) stopRenewing();
        await opts
          .pool()
          .query(GIVE_UP, [name, holder])
          .catch((e: Error) => opts.log?.warn(`lease ${name}: giving it up failed (it expires on its own): ${e.message}`));
      });
      held.set(name, { lease, validUntil: sentAt + leaseMs });
      startRenewing();
      return lease;
    },
    async list() {
      const { rows } = await opts.pool().query<{ name: string; holder: string; token: string; acquired_at: Date; expires_at: Date; held: boolean }>(LIST);
      return rows.map((r) => ({ name: r.name, holder: r.holder, token: Number(r.token), acquiredAt: r.acquired_at.toISOString(), expiresAt: r.expires_at.toISOString(), held: r.held }));
    },
    own(name, work) {
      const o = ownLease(leases, name, work, opts.log && { warn: (o2, msg) => opts.log!.warn(`${msg}: ${JSON.stringify(o2)}`) });
      owners.add(o);
      return {
        get current() {
          return o.current;
        },
        stop: async () => {
          owners.delete(o);
          await o.stop();
        },
      };
    },
    async close() {
      for (const o of [...owners]) await o.stop();
      owners.clear();
      for (const { lease } of [...held.values()]) await lease.release();
      stopRenewing();
    },
  };
  return leases;
}
