// The loop thread's side of the egress worker (egress-worker.ts). An outbound exchange — the HTTP client
// (egress-exchange.ts), the socket's reads and writes, the response's parsing — cost the thread that takes
// webhooks and runs flows about a fifth of each event's CPU (bench/client-call.ts, bench/ab.ts); on the
// worker it runs beside that thread. Requests go over in batches, one message per turn of the event loop each way.
//
// A worker that stops (crash, terminate) fails the exchanges it held with code EGRESS_WORKER_GONE (the
// executors' 'network' class: retried under the flow's policy, with the same Idempotency-Key); the next
// request starts a new one. The worker keeps the process alive only while an exchange is in flight.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.ts';
import type { IncomingHttpHeaders } from 'node:http';

/** What one exchange needs, as sent to the worker (the policy by its source text). */
export interface EgressJob {
  id: number;
  policy: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs: number;
  maxBodyBytes?: number;
  originFromEvent: boolean;
  credential: boolean;
  credentialHosts?: readonly string[];
}
export interface ThreadResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}
export interface ThreadError {
  name: string;
  message: string;
  code?: string;
}
export type EgressReply = { id: number; res: ThreadResponse } | { id: number; err: ThreadError };

/** One worker and how many exchanges it holds (it keeps the process alive only while that is above 0). */
interface Slot {
  worker: Worker;
  held: number;
}

interface Pending {
  slot: Slot;
  resolve(r: ThreadResponse): void;
  reject(e: Error): void;
}

export class EgressThread {
  private slot: Slot | undefined;
  private readonly pending = new Map<number, Pending>();
  private queue: EgressJob[] = [];
  private nextId = 1;
  private flushing = false;

  /** @param revive turns an error the worker reported back into the class the callers test for */
  constructor(private readonly revive: (e: ThreadError) => Error) {}

  send(job: Omit<EgressJob, 'id'>): Promise<ThreadResponse> {
    return new Promise((resolve, reject) => {
      const slot = this.ensure();
      const id = this.nextId++;
      if (slot.held++ === 0) slot.worker.ref();
      this.pending.set(id, { slot, resolve, reject });
      (job as EgressJob).id = id;
      this.queue.push(job as EgressJob);
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(this.flush);
      }
    });
  }

  /**
   * Calls `listener` when a worker stops with exchanges or requests it held (why, and how many failed);
   * returns the unsubscribe. A runtime logs it once (each failed step says the code and why, see networkFailureText).
   */
  onGone(listener: (why: string, failed: number) => void): () => void {
    this.goneListeners.add(listener);
    return () => this.goneListeners.delete(listener);
  }
  private readonly goneListeners = new Set<(why: string, failed: number) => void>();

  /** Exchanges sent and not yet answered. */
  get size(): number {
    return this.pending.size;
  }

  /** Stops the worker; what it held fails with EGRESS_WORKER_GONE. */
  async close(): Promise<void> {
    const w = this.slot?.worker;
    if (w) await w.terminate();
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length && this.slot) this.slot.worker.postMessage(jobs);
  };

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (--p.slot.held === 0) p.slot.worker.unref();
    return p;
  }

  private ensure(): Slot {
    if (this.slot) return this.slot;
    const slot: Slot = { worker: spawnEgressWorker(), held: 0 };
    slot.worker.on('message', (replies: EgressReply[]) => {
      for (const r of replies) {
        const p = this.settle(r.id);
        if (!p) continue;
        if ('res' in r) p.resolve(r.res);
        else p.reject(this.revive(r.err));
      }
    });
    const gone = (why: string) => {
      if (this.slot === slot) this.slot = undefined;
      let failed = 0;
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.settle(id);
        failed++;
        p.reject(Object.assign(new Error(`the egress worker stopped (${why}) before the answer came`), { code: 'EGRESS_WORKER_GONE' }));
      }
      if (failed > 0) for (const l of this.goneListeners) l(why, failed);
      // requests not yet handed over are never sent: their callers were just told they failed
      this.queue = this.queue.filter((j) => this.pending.has(j.id));
    };
    slot.worker.on('error', (e) => gone(e.message));
    slot.worker.on('exit', (code) => gone(`exit code ${code}`));
    slot.worker.unref();
    this.slot = slot;
    return slot;
  }
}

// A small young generation: the worker's garbage is short-lived sockets' buffers and parsed headers, and
// V8's default (16 MB semi-spaces) cost ~20 MB of RSS for nothing (bench:memory).
const LIMITS = { maxYoungGenerationSizeMb: 4 };

function spawnEgressWorker(): Worker {
  return startWorker(new URL('./egress-worker.ts', import.meta.url), new URL('./egress-worker.mjs', import.meta.url), { resourceLimits: LIMITS });
}
