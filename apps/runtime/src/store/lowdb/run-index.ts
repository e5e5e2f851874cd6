// The in-memory index of the runs journal, kept small on purpose (≈ 250 bytes per run with 64-bit
// pointers): one slot per run in typed arrays (struct of arrays) instead of one object per run.
// Per run it holds: id, flow, status, the sha256 of its idempotency key and of its record key (never
// the keys themselves: a key may be any length), record entity, createdAt, endedAt, the dedupe claim
// it holds, and where its latest snapshot is (segment, offset, length). Open runs are also indexed by
// record, so a record's state change finds its runs without looking at the others.
//
// While a write of a run is in flight, the version it replaced is kept (`RunVersion.prev`), so that a
// failed write puts the run back exactly as it is on disk (and compaction keeps that version's line).
import { hash } from 'node:crypto';
import type { RunStatus } from '@flowdesk/schema';

export const STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'needs_review', 'held', 'succeeded', 'dead', 'failed', 'cancelled'];
const STATUS_CODE = new Map<string, number>(STATUSES.map((s, i) => [s, i]));
const FIRST_TERMINAL = 5; // succeeded, dead, failed, cancelled (codes live in memory only: rebuilt at start)

/** The index's form of a key: sha256, base64url (43 characters whatever the key's length). */
export const keyHash = (key: string): string => hash('sha256', key, 'base64url');

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
  /** keyHash(idempotencyKey) */
  keyHash?: string;
  recordEntity?: string;
  /** keyHash(record key) */
  recordKeyHash?: string;
}

export interface Claim {
  flowId: string;
  /** keyHash(key) */
  keyHash: string;
  expires: number; // ms
}

/** One written version of a run, kept while a later write of it is in flight. */
export interface RunVersion {
  fields: RunFields;
  seg: number;
  off: number;
  len: number;
  claim: Claim | undefined;
  /** the version this one replaced, while this one's write is in flight (null: the run is new) */
  prev?: RunVersion | null;
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
  /** claims: flow code → key hash → slot */
  private readonly claims = new Map<number, Map<string, number>>();
  /** open runs by record: `<entity code>:<record key hash>` → slots */
  private readonly openByRecord = new Map<string, Set<number>>();
  /** slots ordered by (createdAt, id) ascending; built lazily after bulk loading */
  private order = new Int32Array(0);
  private orderLen = 0;
  private bulk = false;
  /** the latest version of runs with a write in flight */
  private readonly heads = new Map<number, RunVersion>();
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
    return f === 0 ? undefined : { flowId: this.flows.list[f], keyHash: this.ckeys[slot]!, expires: this.cexp[slot] };
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

  private recordKey(slot: number): string | undefined {
    const rk = this.rkeys[slot];
    return rk === undefined ? undefined : `${this.rent[slot]}:${rk}`;
  }

  private unlinkRecord(slot: number): void {
    const k = this.recordKey(slot);
    if (k === undefined) return;
    const set = this.openByRecord.get(k);
    if (!set) return;
    set.delete(slot);
    if (set.size === 0) this.openByRecord.delete(k);
  }

  private linkRecord(slot: number): void {
    const k = this.recordKey(slot);
    if (k === undefined || this.isTerminal(slot)) return;
    let set = this.openByRecord.get(k);
    if (!set) this.openByRecord.set(k, (set = new Set()));
    set.add(slot);
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
      this.rkeys[slot] = undefined;
      if (!this.bulk) this.orderInsert(slot);
    } else {
      oldLen = this.len[slot];
      this.unlinkRecord(slot);
      if (this.created[slot] !== created && !Number.isNaN(created)) {
        if (!this.bulk) this.orderRemove(slot);
        this.created[slot] = created;
        if (!this.bulk) this.orderInsert(slot);
      }
    }
    this.flow[slot] = this.flows.code(f.flowId);
    this.stat[slot] = STATUS_CODE.get(f.status) ?? 1;
    this.ended[slot] = f.endedAt === undefined ? NaN : Date.parse(f.endedAt);
    this.keys[slot] = f.keyHash;
    this.rent[slot] = f.recordEntity === undefined ? 0 : this.entities.code(f.recordEntity);
    // the record key and the claim key are often the idempotency key: share the string
    this.rkeys[slot] = f.recordKeyHash === undefined ? undefined : f.recordKeyHash === f.keyHash ? f.keyHash : f.recordKeyHash;
    this.seg[slot] = seg;
    this.off[slot] = off;
    this.len[slot] = len;
    this.linkRecord(slot);
    return { slot, oldLen };
  }

  /** The run's current state as a version (to restore if a later write fails). */
  capture(slot: number): RunVersion {
    const e = this.rent[slot];
    return {
      fields: {
        id: this.ids[slot]!,
        flowId: this.flows.list[this.flow[slot]],
        status: STATUSES[this.stat[slot]],
        createdAt: new Date(this.created[slot]).toISOString(),
        endedAt: Number.isNaN(this.ended[slot]) ? undefined : new Date(this.ended[slot]).toISOString(),
        keyHash: this.keys[slot],
        recordEntity: e === 0 ? undefined : this.entities.list[e],
        recordKeyHash: this.rkeys[slot],
      },
      seg: this.seg[slot],
      off: this.off[slot],
      len: this.len[slot],
      claim: this.claim(slot),
    };
  }

  /** The version of `slot` whose write is in flight, if any. */
  head(slot: number): RunVersion | undefined {
    return this.heads.get(slot);
  }

  setHead(slot: number, v: RunVersion): void {
    this.heads.set(slot, v);
  }

  /** `v`'s write is durable: what it replaced is no longer needed. */
  settled(slot: number, v: RunVersion): void {
    if (this.heads.get(slot) === v) this.heads.delete(slot);
    else v.prev = undefined;
  }

  /**
   * `v`'s write failed (failures are undone newest first): if it is still the run's latest version,
   * put back the version it replaced, or remove the run if it was new. Returns the bytes the live
   * snapshot changed by, and whether anything was undone.
   */
  undo(slot: number, v: RunVersion): { undone: boolean; liveDelta: number } {
    if (this.heads.get(slot) !== v || !this.holds(slot, v.fields.id)) return { undone: false, liveDelta: 0 };
    const p = v.prev;
    if (!p) {
      this.remove(slot);
      return { undone: true, liveDelta: -v.len };
    }
    this.upsert(p.fields, p.seg, p.off, p.len);
    if (p.claim) this.setClaim(slot, p.claim);
    if (p.prev === undefined) this.heads.delete(slot);
    else this.heads.set(slot, p);
    return { undone: true, liveDelta: p.len - v.len };
  }

  /** The version of run `slot` whose line is at (seg, off): the current one or one a failing write may restore. */
  versionAt(slot: number, seg: number, off: number): RunVersion | 'current' | undefined {
    if (this.seg[slot] === seg && this.off[slot] === off) return 'current';
    for (let v = this.heads.get(slot)?.prev; v; v = v.prev) if (v.seg === seg && v.off === off) return v;
    return undefined;
  }

  /** Records that `slot` holds the claim; at load, the claim with the latest expiry wins. */
  setClaim(slot: number, c: Claim): void {
    const fc = this.flows.code(c.flowId);
    this.cflow[slot] = fc;
    this.ckeys[slot] = c.keyHash === this.keys[slot] ? this.keys[slot] : c.keyHash;
    this.cexp[slot] = c.expires;
    let m = this.claims.get(fc);
    if (!m) this.claims.set(fc, (m = new Map()));
    const cur = m.get(c.keyHash);
    if (cur === undefined || cur === slot || !this.bulk || this.cexp[cur] <= c.expires) m.set(this.ckeys[slot]!, slot);
  }

  /** The slot holding the (flowId, key) claim, or -1. */
  claimant(flowId: string, keyHash: string): number {
    const fc = this.flows.find(flowId);
    if (fc < 0) return -1;
    return this.claims.get(fc)?.get(keyHash) ?? -1;
  }

  claimExpires(slot: number): number {
    return this.cexp[slot];
  }

  claimCount(): number {
    let n = 0;
    for (const m of this.claims.values()) n += m.size;
    return n;
  }

  /** Characters of key material held (hashes): bounded per run whatever the keys' length. */
  keyChars(): number {
    let n = 0;
    for (const s of this.slots.values()) n += (this.keys[s]?.length ?? 0) + (this.rkeys[s] === this.keys[s] ? 0 : (this.rkeys[s]?.length ?? 0)) + (this.ckeys[s] === this.keys[s] ? 0 : (this.ckeys[s]?.length ?? 0));
    return n;
  }

  /** Open runs whose record is (entity, keyHash(key)). */
  openOfRecord(entity: string, recordKeyHash: string): number[] {
    const e = this.entities.find(entity);
    if (e < 0) return [];
    const set = this.openByRecord.get(`${e}:${recordKeyHash}`);
    return set ? [...set].sort((a, b) => this.cmp(a, b)) : [];
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
    this.unlinkRecord(slot);
    if (!this.bulk) this.orderRemove(slot);
    this.slots.delete(id);
    this.ids[slot] = undefined;
    this.keys[slot] = undefined;
    this.rkeys[slot] = undefined;
    this.ckeys[slot] = undefined;
    this.cflow[slot] = 0;
    this.heads.delete(slot);
    this.ready.delete(slot);
    this.free.push(slot);
  }

  /** Every slot, oldest first. */
  *ascending(): Generator<number> {
    for (let i = 0; i < this.orderLen; i++) yield this.order[i];
  }

  /**
   * Open runs (or those in `statuses`), oldest first, strictly after run `after` (in createdAt, id
   * order), at most `limit`.
   */
  openPage(limit: number, after: string | undefined, statuses?: ReadonlySet<RunStatus>): number[] {
    let i = 0;
    if (after !== undefined) {
      const a = this.slots.get(after);
      if (a !== undefined) i = this.lowerBound(this.created[a], after) + 1;
    }
    const out: number[] = [];
    for (; i < this.orderLen && out.length < limit; i++) {
      const s = this.order[i];
      if (statuses ? statuses.has(this.status(s)) : !this.isTerminal(s)) out.push(s);
    }
    return out;
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

  /** A matcher for listRuns' filters over the small fields (keys compared by their hash). */
  matcher(q: { flowId?: string; status?: string; key?: string; record?: string; from?: string; to?: string }): (slot: number) => boolean {
    const from = q.from === undefined ? -Infinity : Date.parse(q.from);
    const to = q.to === undefined ? Infinity : Date.parse(q.to);
    const fc = q.flowId === undefined ? -1 : this.flows.find(q.flowId);
    const sc = q.status === undefined ? -1 : (STATUS_CODE.get(q.status) ?? 255);
    const kh = q.key === undefined ? undefined : keyHash(q.key);
    const rec = q.record;
    // "<entity>:<key>" for each known entity, or the bare key
    const bare = rec === undefined ? undefined : keyHash(rec);
    const byEntity = new Map<number, string>();
    if (rec !== undefined) {
      this.entities.list.forEach((e, code) => {
        if (code > 0 && rec.startsWith(`${e}:`)) byEntity.set(code, keyHash(rec.slice(e.length + 1)));
      });
    }
    return (s) => {
      if (this.created[s]! < from || this.created[s]! >= to) return false;
      if (q.flowId !== undefined && this.flow[s] !== fc) return false;
      if (q.status !== undefined && this.stat[s] !== sc) return false;
      if (kh !== undefined && this.keys[s] !== kh) return false;
      if (rec !== undefined) {
        const rk = this.rkeys[s];
        if (rk === undefined) return false;
        if (rk !== bare && byEntity.get(this.rent[s]) !== rk) return false;
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
    this.openByRecord.clear();
    this.orderLen = 0;
    this.heads.clear();
    this.ready.clear();
  }
}
