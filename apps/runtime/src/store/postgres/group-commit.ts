// Group commit for the PostgreSQL store: calls of one kind that arrive while the previous batch of that
// kind is in flight are gathered and sent as ONE multi-row statement — one round trip, one commit (one
// WAL flush) for the whole batch, as the embedded store's journal does with one fdatasync per batch.
// Each caller's promise settles only when the statement that carries its item has committed (or
// failed), so "a 202 means committed" holds. A batch that fails for a reason other than the database
// being unreachable is retried item by item, so one bad item never fails the others.

export interface BatcherOptions<I, O> {
  /** runs one batch as one statement; returns one result per item, in order */
  run(items: I[]): Promise<O[]>;
  /** at most this many items per statement (default 500) */
  maxBatch?: number;
  /** batches of this kind in flight at once (default 1: the next batch gathers while one commits) */
  maxInFlight?: number;
  /** errors after which a whole batch is tried again as is (deadlock, serialization failure) */
  retryable?(e: unknown): boolean;
  /** errors for which item-by-item retries are pointless (the database is unreachable) */
  fatal?(e: unknown): boolean;
}

interface Pending<I, O> {
  item: I;
  ok(o: O): void;
  fail(e: unknown): void;
}

export interface BatcherStats {
  batches: number;
  items: number;
  /** the largest batch so far */
  largest: number;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  readonly stats: BatcherStats = { batches: 0, items: 0, largest: 0 };

  constructor(private opts: BatcherOptions<I, O>) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.maxInFlight = opts.maxInFlight ?? 1;
  }

  push(item: I): Promise<O> {
    return new Promise<O>((ok, fail) => {
      this.queue.push({ item, ok, fail });
      this.kick();
    });
  }

  /** Settles once nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.queue.length || this.inFlight) await new Promise((r) => setImmediate(r));
  }

  private kick(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // after this turn's I/O callbacks: every request parsed in this turn joins the batch
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.stats.batches++;
      this.stats.items += batch.length;
      if (batch.length > this.stats.largest) this.stats.largest = batch.length;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.kick();
      });
    }
  }

  private async send(batch: Pending<I, O>[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.opts.run(batch.map((p) => p.item));
        batch.forEach((p, i) => p.ok(out[i]!));
        return;
      } catch (e) {
        if (attempt < 3 && this.opts.retryable?.(e)) continue;
        if (batch.length === 1 || this.opts.fatal?.(e)) {
          for (const p of batch) p.fail(e);
          return;
        }
        // one bad item must not fail the rest: each on its own
        await Promise.all(
          batch.map(async (p) => {
            try {
              p.ok((await this.opts.run([p.item]))[0]!);
            } catch (e1) {
              p.fail(e1);
            }
          }),
        );
        return;
      }
    }
  }
}

/** PostgreSQL errors a batch may simply be sent again after: deadlock detected, serialization failure. */
export const retryablePgError = (e: unknown): boolean => ['40P01', '40001'].includes((e as { code?: string })?.code ?? '');

/** The database cannot be used now (connection lost or refused, shutting down, out of resources). */
export function unavailablePgError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return /Connection terminated|connection timeout|ECONNREFUSED/i.test(String((e as Error)?.message ?? ''));
  return /^(08|53|57P|58)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code);
}
