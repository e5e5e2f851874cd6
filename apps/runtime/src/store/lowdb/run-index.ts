// The in-memory index of the runs journal, kept small on purpose (≈ 250 bytes per run with 64-bit
// pointers): one slot per run in typed arrays (struct of arrays) instead of one object per run.
// Per run it holds: id, flow, status, idempotency key, record (entity, key), createdAt, endedAt, the
// dedupe claim it holds, and where its latest snapshot is (segment, offset, length). Open runs'
// latest snapshot text is cached in a side map; finished runs are read back from their segment.
import type { RunStatus } from '@flowdesk/schema';

export const STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'needs_review', 'succeeded', 'dead', 'failed', 'cancelled'];
const STATUS_CODE = new Map<string, number>(STATUSES.map((s, i) => [s, i]));
const FIRST_TERMINAL = 4; // succeeded, dead, failed, cancelled

/** Interned strings by small integer (0 = none). */
class Table {
  readonly list: string[] = [''];
  private readonly map = new Map<string, number>();
  code(s: string): number {
    let c = this.map.get(s);
    if (c === undefined) {
      c = this.list.length;
      this.list.push(s);
      this.map.set(s, c);
    }
    return c;
  }
  find(s: string): number {
    return this.map.get(s) ?? -1;
  }
}

export interface RunFields {
  id: string;
  flowId: string;
  status: string;
  createdAt: string;
  endedAt?: string;
  key?: string;
  recordEntity?: string;
  recordKey?: string;
}

export interface Claim {
  flowId: string;
  key: string;
  expires: number; // ms
}

function grow<T extends Float64Array | Uint32Array | Uint8Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

export class RunIndex {
  private readonly slots = new Map<string, number>();
  private ids: (string | undefined)[] = [];
  private keys: (string | undefined)[] = [];
  private rkeys: (string | undefined)[] = [];
  private ckeys: (string | undefined)[] = [];
  private flow = new Uint32Array(0);
  private stat = new Uint8Array(0);
  private created = new Float64Array(0);
  private ended = new Float64Array(0); // NaN: not ended
  private rent = new Uint32Array(0); // record entity code, 0 = none
  private cflow = new Uint32Array(0); // claim flow code, 0 = no claim
  private cexp = new Float64Array(0);
  readonly seg = new Uint32Array(0) as Uint32Array;
  readonly off = new Uint32Array(0) as Uint32Array;
  readonly len = new Uint32Array(0) as Uint32Array;
  private cap = 0;
  private top = 0; // slots used so far
  private free: number[] = [];
  private readonly flows = new Table();
  private readonly entities = new Table();
  /** claims: flow code → key → slot */
  private readonly claims = new Map<number, Map<string, number>>();
  /** slots ordered by (createdAt, id) ascending; built lazily after bulk loading */
  private order = new Int32Array(0);
  private orderLen = 0;
  private bulk = false;
  /** latest snapshot text of open runs (and of runs whose write is in flight) */
  readonly json = new Map<number, string>();
  /** the creating write of a run, until durable */
  readonly ready = new Map<number, Promise<void>>();

  get size(): number {
    return this.slots.size;
  }

  slot(id: string): number {
    return this.slots.get(id) ?? -1;
  }

  id(slot: number): string {
    return this.ids[slot]!;
  }

  /** True while `slot` still holds run `id` (slots are reused after pruning). */
  holds(slot: number, id: string): boolean {
    return slot >= 0 && this.ids[slot] === id;
  }

  isTerminal(slot: number): boolean {
    return this.stat[slot] >= FIRST_TERMINAL;
  }

  status(slot: number): RunStatus {
    return STATUSES[this.stat[slot]];
  }

  endedAt(slot: number): number {
    return this.ended[slot];
  }

  claim(slot: number): Claim | undefined {
    const f = this.cflow[slot];
    return f === 0 ? undefined : { flowId: this.flows.list[f], key: this.ckeys[slot]!, expires: this.cexp[slot] };
  }

  private alloc(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    if (this.top === this.cap) {
      const cap = Math.max(1024, this.cap * 2);
      this.flow = grow(this.flow, cap);
      this.stat = grow(this.stat, cap);
      this.created = grow(this.created, cap);
      this.ended = grow(this.ended, cap);
      this.rent = grow(this.rent, cap);
      this.cflow = grow(this.cflow, cap);
      this.cexp = grow(this.cexp, cap);
      (this as { seg: Uint32Array }).seg = grow(this.seg, cap);
      (this as { off: Uint32Array }).off = grow(this.off, cap);
      (this as { len: Uint32Array }).len = grow(this.len, cap);
      this.cap = cap;
    }
    return this.top++;
  }

  private cmp(a: number, b: number): number {
    const d = this.created[a] - this.created[b];
    if (d !== 0) return d;
    const x = this.ids[a]!;
    const y = this.ids[b]!;
    return x < y ? -1 : x > y ? 1 : 0;
  }

  /** Bulk loading (at open): order is built once at the end by `finishBulk`. */
  startBulk(): void {
    this.bulk = true;
  }

  finishBulk(): void {
    this.bulk = false;
    const all = new Int32Array(Math.max(16, this.slots.size * 2));
    let n = 0;
    for (const s of this.slots.values()) all[n++] = s;
    all.subarray(0, n).sort((a, b) => this.cmp(a, b));
    this.order = all;
    this.orderLen = n;
  }

  /** First order position whose slot is >= (created, id). */
  private lowerBound(created: number, id: string): number {
    let lo = 0;
    let hi = this.orderLen;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.order[mid];
      const d = this.created[s] - created;
      const less = d < 0 || (d === 0 && this.ids[s]! < id);
      if (less) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private orderInsert(slot: number): void {
    if (this.orderLen === this.order.length) {
      const o = new Int32Array(Math.max(1024, this.order.length * 2));
      o.set(this.order);
      this.order = o;
    }
    const n = this.orderLen;
    if (n === 0 || this.cmp(this.order[n - 1], slot) <= 0) {
      this.order[n] = slot;
    } else {
      const i = this.lowerBound(this.created[slot], this.ids[slot]!);
      this.order.copyWithin(i + 1, i, n);
      this.order[i] = slot;
    }
    this.orderLen++;
  }

  private orderRemove(slot: number): void {
    let i = this.lowerBound(this.created[slot], this.ids[slot]!);
    if (this.order[i] !== slot) i = this.order.subarray(0, this.orderLen).indexOf(slot);
    if (i < 0) return;
    this.order.copyWithin(i, i + 1, this.orderLen);
    this.orderLen--;
  }

  /**
   * Sets the run's fields and location, inserting it when new. Returns its slot and the length of
   * its previous snapshot (0 when new).
   */
  upsert(f: RunFields, seg: number, off: number, len: number): { slot: number; oldLen: number } {
    let slot = this.slots.get(f.id);
    let oldLen = 0;
    const created = Date.parse(f.createdAt) || 0;
    if (slot === undefined) {
      slot = this.alloc();
      this.slots.set(f.id, slot);
      this.ids[slot] = f.id;
      this.created[slot] = created;
      this.cflow[slot] = 0;
      this.ckeys[slot] = undefined;
      if (!this.bulk) this.orderInsert(slot);
    } else {
      oldLen = this.len[slot];
      if (this.created[slot] !== created && !Number.isNaN(created)) {
        if (!this.bulk) this.orderRemove(slot);
        this.created[slot] = created;
        if (!this.bulk) this.orderInsert(slot);
      }
    }
    this.flow[slot] = this.flows.code(f.flowId);
    this.stat[slot] = STATUS_CODE.get(f.status) ?? 1;
    this.ended[slot] = f.endedAt === undefined ? NaN : Date.parse(f.endedAt);
    this.keys[slot] = f.key;
    this.rent[slot] = f.recordEntity === undefined ? 0 : this.entities.code(f.recordEntity);
    // the record key and the claim key are often the idempotency key: share the string
    this.rkeys[slot] = f.recordKey === undefined ? undefined : f.recordKey === f.key ? f.key : f.recordKey;
    this.seg[slot] = seg;
    this.off[slot] = off;
    this.len[slot] = len;
    return { slot, oldLen };
  }

  /** Records that `slot` holds the claim; at load, the claim with the latest expiry wins. */
  setClaim(slot: number, c: Claim): void {
    const fc = this.flows.code(c.flowId);
    this.cflow[slot] = fc;
    this.ckeys[slot] = c.key === this.keys[slot] ? this.keys[slot] : c.key;
    this.cexp[slot] = c.expires;
    let m = this.claims.get(fc);
    if (!m) this.claims.set(fc, (m = new Map()));
    const cur = m.get(c.key);
    if (cur === undefined || cur === slot || !this.bulk || this.cexp[cur] <= c.expires) m.set(this.ckeys[slot]!, slot);
  }

  /** The slot holding the (flowId, key) claim, or -1. */
  claimant(flowId: string, key: string): number {
    const fc = this.flows.find(flowId);
    if (fc < 0) return -1;
    return this.claims.get(fc)?.get(key) ?? -1;
  }

  claimExpires(slot: number): number {
    return this.cexp[slot];
  }

  claimCount(): number {
    let n = 0;
    for (const m of this.claims.values()) n += m.size;
    return n;
  }

  remove(slot: number): void {
    const id = this.ids[slot];
    if (id === undefined) return;
    const fc = this.cflow[slot];
    if (fc !== 0) {
      const m = this.claims.get(fc);
      const k = this.ckeys[slot]!;
      if (m?.get(k) === slot) {
        m.delete(k);
        if (m.size === 0) this.claims.delete(fc);
      }
    }
    if (!this.bulk) this.orderRemove(slot);
    this.slots.delete(id);
    this.ids[slot] = undefined;
    this.keys[slot] = undefined;
    this.rkeys[slot] = undefined;
    this.ckeys[slot] = undefined;
    this.cflow[slot] = 0;
    this.json.delete(slot);
    this.ready.delete(slot);
    this.free.push(slot);
  }

  /** Every slot, oldest first. */
  *ascending(): Generator<number> {
    for (let i = 0; i < this.orderLen; i++) yield this.order[i];
  }

  /**
   * Newest first, from just before the run `before` (or from the newest), keeping those `match`
   * accepts, at most `limit`. Undefined when `before` is not a known run.
   */
  newest(limit: number, before: string | undefined, match: (slot: number) => boolean): number[] | undefined {
    let i = this.orderLen - 1;
    if (before !== undefined) {
      const b = this.slots.get(before);
      if (b === undefined) return undefined;
      i = this.lowerBound(this.created[b], before) - 1;
    }
    const out: number[] = [];
    for (; i >= 0 && out.length < limit; i--) {
      const s = this.order[i];
      if (match(s)) out.push(s);
    }
    return out;
  }

  /** A matcher for listRuns' filters over the small fields. */
  matcher(q: { flowId?: string; status?: string; key?: string; record?: string }): (slot: number) => boolean {
    const fc = q.flowId === undefined ? -1 : this.flows.find(q.flowId);
    const sc = q.status === undefined ? -1 : (STATUS_CODE.get(q.status) ?? 255);
    const rec = q.record;
    return (s) => {
      if (q.flowId !== undefined && this.flow[s] !== fc) return false;
      if (q.status !== undefined && this.stat[s] !== sc) return false;
      if (q.key !== undefined && this.keys[s] !== q.key) return false;
      if (rec !== undefined) {
        const rk = this.rkeys[s];
        if (rk === undefined) return false;
        if (rk !== rec && `${this.entities.list[this.rent[s]]}:${rk}` !== rec) return false;
      }
      return true;
    };
  }

  clear(): void {
    this.slots.clear();
    this.ids = [];
    this.keys = [];
    this.rkeys = [];
    this.ckeys = [];
    this.top = 0;
    this.free = [];
    this.claims.clear();
    this.orderLen = 0;
    this.json.clear();
    this.ready.clear();
  }
}
