// Leases: long-lived inbound work — an IMAP mailbox, a polling trigger — is done by one instance of the
// cluster at a time. The holder renews its lease every third of the lease length; if it dies (or cannot
// reach the database), the lease expires and another instance takes the work over within one lease
// length. On the embedded store there is one process, and every lease is simply its own.
//
//   const owner = ctx.leases.own(`poll:${flow.id}`, (lease) => {
//     const poller = startPolling(flow, { fence: lease.token });
//     return () => poller.stop();          // called when the lease is lost or the owner stops
//   });
//   …
//   await owner.stop();                    // stops the work and hands the lease over at once

import type { LeaseView } from '@flowdesk/schema';

export interface Lease {
  readonly name: string;
  /** Grows by one with every new holder of this name: work done under an older token is stale. */
  readonly token: number;
  /** True once the lease is lost or released: the work must stop. */
  readonly lost: boolean;
  /**
   * `fn` is called once when the lease is lost: taken over (this holder failed to renew in time) or not
   * renewable (the database unreachable) before it would expire — so the work stops before anyone else
   * may start it. At once if already lost.
   */
  onLost(fn: (reason: string) => void): void;
  /** Gives the lease up now (another instance may take it at once). */
  release(): Promise<void>;
}

export interface Leases {
  /** This process's holder id (unique per process, also across restarts). */
  readonly holder: string;
  readonly leaseMs: number;
  /** Takes `name` if it is free, expired or already held here; undefined while another holder has it. */
  acquire(name: string): Promise<Lease | undefined>;
  /**
   * Keeps trying to hold `name` (every third of the lease length) and runs `work` while it does. `work`
   * may return a stop function, called when the lease is lost or `stop()` is called.
   */
  own(name: string, work: (lease: Lease) => void | (() => void | Promise<void>)): LeaseOwner;
  /** Every lease, by name: who holds it (or last held it), with what token, until when. */
  list(): Promise<LeaseView[]>;
  /** Stops every owner and releases every lease held here. */
  close(): Promise<void>;
}

export interface LeaseOwner {
  /** the lease while this instance holds it */
  readonly current: Lease | undefined;
  stop(): Promise<void>;
}

/** A lease object whose loss is signalled once. */
export class HeldLease implements Lease {
  private lostReason: string | undefined;
  private listeners: ((reason: string) => void)[] = [];
  constructor(
    readonly name: string,
    readonly token: number,
    private releaseFn: (l: HeldLease) => Promise<void>,
  ) {}
  get lost(): boolean {
    return this.lostReason !== undefined;
  }
  onLost(fn: (reason: string) => void): void {
    if (this.lostReason !== undefined) fn(this.lostReason);
    else this.listeners.push(fn);
  }
  /** Marks the lease lost and tells the listeners (once). */
  markLost(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    for (const fn of this.listeners.splice(0)) {
      try {
        fn(reason);
      } catch {
        // a listener's failure must not keep the others from stopping their work
      }
    }
  }
  async release(): Promise<void> {
    if (this.lost) return;
    this.markLost('released');
    await this.releaseFn(this);
  }
}

/**
 * The owner loop shared by every implementation: acquire, run the work, stop it when the lease is lost,
 * try again. `acquire` errors (the database unreachable) are retried on the same period.
 */
export function ownLease(
  leases: Pick<Leases, 'acquire' | 'leaseMs'>,
  name: string,
  work: (lease: Lease) => void | (() => void | Promise<void>),
  log?: { warn(o: object, msg: string): void },
): LeaseOwner {
  let stopped = false;
  let current: HeldLease | undefined;
  let stopWork: (() => void | Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> | undefined;
  const period = Math.max(10, Math.floor(leases.leaseMs / 3));

  const endWork = async () => {
    const fn = stopWork;
    stopWork = undefined;
    try {
      await fn?.();
    } catch (e) {
      log?.warn({ lease: name, err: (e as Error).message }, 'stopping the work of a lease failed');
    }
  };

  const tryAcquire = async () => {
    if (stopped || current) return;
    let lease: Lease | undefined;
    try {
      lease = await leases.acquire(name);
    } catch (e) {
      log?.warn({ lease: name, err: (e as Error).message }, 'could not try to take a lease; trying again');
    }
    if (!lease) return;
    if (stopped) return void (await lease.release());
    current = lease as HeldLease;
    lease.onLost(() => {
      current = undefined;
      void endWork();
    });
    if (lease.lost) return;
    try {
      stopWork = work(lease) ?? undefined;
    } catch (e) {
      log?.warn({ lease: name, err: (e as Error).message }, 'the work of a lease failed to start; the lease is given back');
      await lease.release();
    }
  };

  const loop = () => {
    attempt = tryAcquire().finally(() => {
      attempt = undefined;
      if (!stopped) timer = setTimeout(loop, period);
    });
  };
  loop();

  return {
    get current() {
      return current;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await attempt;
      const lease = current;
      current = undefined;
      await endWork();
      await lease?.release();
    },
  };
}

/** The embedded store's leases: one process per data dir, so every lease is this process's. */
export function createLocalLeases(opts: { leaseMs?: number; holder?: string } = {}): Leases {
  const held = new Map<string, HeldLease>();
  const owners = new Set<LeaseOwner>();
  const tokens = new Map<string, number>();
  const since = new Map<string, string>();
  const leases: Leases = {
    holder: opts.holder ?? `local-${process.pid}`,
    leaseMs: opts.leaseMs ?? 15_000,
    async acquire(name) {
      const cur = held.get(name);
      if (cur && !cur.lost) return cur;
      const token = (tokens.get(name) ?? 0) + 1;
      tokens.set(name, token);
      const lease = new HeldLease(name, token, async (l) => {
        if (held.get(name) !== l) return;
        held.delete(name);
        since.delete(name);
      });
      held.set(name, lease);
      since.set(name, new Date().toISOString());
      return lease;
    },
    async list() {
      return [...held.values()]
        .filter((l) => !l.lost)
        .map((l) => ({ name: l.name, holder: leases.holder, token: l.token, acquiredAt: since.get(l.name)!, held: true }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    own(name, work) {
      const o = ownLease(leases, name, work);
      owners.add(o);
      return { get current() { return o.current; }, stop: async () => { owners.delete(o); await o.stop(); } };
    },
    async close() {
      for (const o of [...owners]) await o.stop();
      owners.clear();
      for (const l of [...held.values()]) await l.release();
    },
  };
  return leases;
}

/** The leases of a store: PostgreSQL's shared ones when it has them, else this process's own. */
export function leasesFor(store: object, leaseMs?: number): { leases: Leases; shared: boolean } {
  const shared = (store as { leases?: Leases }).leases;
  return shared ? { leases: shared, shared: true } : { leases: createLocalLeases({ leaseMs }), shared: false };
}
