// The sandbox pool: runs code and JSONata commands in a worker thread hosting QuickJS, one at a time,
// in order. QuickJS's own budget, memory cap and stack limit stop bad code deterministically; a worker
// that still does not answer within the hard wall-clock limit (or dies) is terminated and replaced,
// and its command fails.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.ts';
import type { SandboxCommand, SandboxResult } from '@flowdesk/engine';
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from './limits.ts';

interface Job {
  cmd: SandboxCommand;
  resolve(r: SandboxResult): void;
}

export class Sandbox {
  readonly limits: SandboxLimits;
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private queue: Job[] = [];
  private busy = false;
  private nextId = 1;
  private closed = false;
  /** workers replaced after a hard timeout or a crash */
  restarts = 0;

  /** commands queued or running */
  get pending(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  constructor(limits: Partial<SandboxLimits> = {}) {
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...limits };
  }

  run(cmd: SandboxCommand): Promise<SandboxResult> {
    if (this.closed) return Promise.resolve({ ok: false, reason: 'error', error: 'the sandbox is shut down' });
    return new Promise((resolve) => {
      this.queue.push({ cmd, resolve });
      void this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.resolve({ ok: false, reason: 'error', error: 'the sandbox is shut down' });
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (w) await w.terminate();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    try {
      job.resolve(await this.runOne(job.cmd));
    } finally {
      this.busy = false;
      void this.pump();
    }
  }

  private spawn(): { worker: Worker; ready: Promise<void> } {
    const worker = spawnWorker(this.limits);
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean }) => {
        if (!m.ready) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return { worker, ready };
  }

  private async runOne(cmd: SandboxCommand): Promise<SandboxResult> {
    if (!this.worker) {
      const s = this.spawn();
      this.worker = s.worker;
      this.ready = s.ready;
    }
    const worker = this.worker;
    try {
      await this.ready;
    } catch (e) {
      this.drop(worker);
      return { ok: false, reason: 'error', error: `the sandbox did not start: ${(e as Error).message}` };
    }
    const id = this.nextId++;
    return new Promise<SandboxResult>((resolve) => {
      let settled = false;
      const settle = (r: SandboxResult, replace: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onGone);
        worker.off('exit', onGone);
        if (replace) this.drop(worker);
        resolve(r);
      };
      const onMessage = (m: { id?: number; result?: SandboxResult }) => {
        if (m.id === id && m.result) settle(m.result, false);
      };
      const onGone = (e?: unknown) => settle({ ok: false, reason: 'error', error: `the sandbox stopped unexpectedly${e instanceof Error ? `: ${e.message}` : ''}` }, true);
      const timer = setTimeout(
        () => settle({ ok: false, reason: 'budget', error: `stopped: no answer within ${this.limits.hardTimeoutMs} ms (the worker was terminated)` }, true),
        this.limits.hardTimeoutMs,
      );
      worker.on('message', onMessage);
      worker.once('error', onGone);
      worker.once('exit', onGone);
      worker.postMessage({ id, cmd });
    });
  }

  private drop(worker: Worker): void {
    if (this.worker === worker) {
      this.worker = undefined;
      this.ready = undefined;
    }
    this.restarts++;
    void worker.terminate();
  }
}

function spawnWorker(limits: SandboxLimits): Worker {
  return startWorker(new URL('./worker.ts', import.meta.url), new URL('./sandbox-worker.mjs', import.meta.url), { workerData: { limits } });
}
