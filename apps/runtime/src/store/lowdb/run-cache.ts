// Open runs' latest JSON, kept in memory up to a byte budget (oldest use evicted first): the runs being
// driven are read from here, parked ones fall out and are read back from their segment when needed.
// A budget in bytes, not runs: a run may be large (its payload, a long idempotency key).
export class RunCache {
  private readonly map = new Map<number, string>();
  bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.map.size;
  }

  get(slot: number): string | undefined {
    return this.map.get(slot);
  }

  set(slot: number, json: string): void {
    this.delete(slot);
    // one run may not take more than a quarter of the budget
    if (json.length * 4 > this.maxBytes) return;
    this.map.set(slot, json);
    this.bytes += json.length;
    for (const [s, j] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(s);
      this.bytes -= j.length;
    }
  }

  delete(slot: number): void {
    const j = this.map.get(slot);
    if (j === undefined) return;
    this.map.delete(slot);
    this.bytes -= j.length;
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
