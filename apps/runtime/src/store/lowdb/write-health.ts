// Whether the store can write: a file whose append fails (ENOSPC, EIO) makes the store unhealthy until
// one of its appends works again. While unhealthy, a small probe write tells when the disk has room
// again, so health (and the runs a failed write stalled) come back by themselves, without a restart.
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreHealth } from '../types.ts';
import type { WriteHealthSink } from './append-log.ts';

const PROBE_BYTES = 256 * 1024;

export class WriteHealth implements WriteHealthSink {
  private readonly failing = new Map<string, { cause: string; since: string }>();
  private readonly listeners: ((h: StoreHealth) => void)[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    private readonly dir: string,
    private readonly dataDir: string,
    private readonly probeMs = 1000,
  ) {}

  failed(file: string, error: unknown): void {
    const wasOk = this.failing.size === 0;
    const e = error as NodeJS.ErrnoException;
    const rel = file.startsWith(this.dataDir) ? file.slice(this.dataDir.length + 1) : file;
    if (!this.failing.has(file)) this.failing.set(file, { cause: `${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)} (writing ${rel})`, since: new Date().toISOString() });
    if (wasOk) {
      this.emit();
      this.startProbe();
    }
  }

  succeeded(file: string): void {
    if (!this.failing.delete(file) || this.failing.size > 0) return;
    this.stopProbe();
    this.emit();
  }

  health(): StoreHealth {
    const first = this.failing.values().next();
    if (first.done) return { ok: true };
    return { ok: false, cause: first.value.cause, since: first.value.since };
  }

  onChange(fn: (h: StoreHealth) => void): void {
    this.listeners.push(fn);
  }

  private emit(): void {
    const h = this.health();
    for (const fn of this.listeners) {
      try {
        fn(h);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  private startProbe(): void {
    if (this.probeTimer) return;
    this.probeTimer = setInterval(() => void this.probe(), this.probeMs);
    this.probeTimer.unref();
  }

  private stopProbe(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  /** Writes and syncs a scratch file: when that works, the failed files are given another try. */
  private async probe(): Promise<void> {
    if (this.probing || this.failing.size === 0) return;
    this.probing = true;
    const file = join(this.dir, '.write-probe');
    try {
      const fh = await open(file, 'w', 0o600);
      try {
        await fh.write(Buffer.alloc(PROBE_BYTES));
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.failing.clear();
      this.stopProbe();
      this.emit();
    } catch {
      // still failing: try again later
    } finally {
      await unlink(file).catch(() => {});
      this.probing = false;
    }
  }

  close(): void {
    this.stopProbe();
  }
}
