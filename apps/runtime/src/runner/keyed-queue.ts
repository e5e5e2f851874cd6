// Runs that touch the same record key run one at a time, in arrival order: one promise chain per key.
export class KeyedQueue {
  private tails = new Map<string, Promise<void>>();
  private pending = new Set<Promise<void>>();

  /** Appends `task` to the key's chain; the returned promise settles when the task has run. */
  push(key: string, task: () => Promise<void>): Promise<void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task).catch(() => undefined);
    this.tails.set(key, next);
    this.pending.add(next);
    void next.finally(() => {
      this.pending.delete(next);
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once every queued task (including tasks queued meanwhile) has run. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/** At most `limit` tasks at once; the rest wait in arrival order. */
export class Semaphore {
  private active = 0;
  // a FIFO with a moving head: Array#shift is O(n), and a backlog can hold thousands of waiters
  private waiting: ((() => void) | undefined)[] = [];
  private head = 0;
  constructor(private limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((ok) => this.waiting.push(ok));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.wakeNext();
    }
  }

  private wakeNext(): void {
    if (this.head >= this.waiting.length) return;
    const next = this.waiting[this.head];
    this.waiting[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next?.();
  }
}
