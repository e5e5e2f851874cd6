// Compactions replace and delete journal and snapshot files; a backup copies them. The gate keeps the
// two apart: any number of compactions may run together, and a freeze (a backup's copy) waits for the
// running ones to finish and holds new ones at their start until it is released. Appends never wait.
export class CompactionGate {
  private running = 0;
  private frozen = 0;
  private readonly thawed: (() => void)[] = [];
  private readonly drained: (() => void)[] = [];

  /** A compaction starts: waits while frozen; call the returned function when it is done. */
  async enter(): Promise<() => void> {
    while (this.frozen > 0) await new Promise<void>((ok) => this.thawed.push(ok));
    this.running++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.running--;
      if (this.running === 0) for (const ok of this.drained.splice(0)) ok();
    };
  }

  /** Holds new compactions and waits for the running ones; call the returned function to release. */
  async freeze(): Promise<() => void> {
    this.frozen++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.frozen--;
      if (this.frozen === 0) for (const ok of this.thawed.splice(0)) ok();
    };
    while (this.running > 0) await new Promise<void>((ok) => this.drained.push(ok));
    return release;
  }

  get isFrozen(): boolean {
    return this.frozen > 0;
  }
}
