// The in-memory index of the runs journal, kept small on purpose (≈ 130 bytes per run with 64-bit
// pointers, all included): one slot per run in typed arrays (struct of arrays), no object and no
// string per run. Per run it holds: its id (UTF-8 bytes in an arena, found through a hash table:
// id-table.ts), flow, status, the first 16 bytes of the sha256 of its idempotency key and of its
// record key (never the keys themselves: a key may be any length), record entity, createdAt, endedAt,
// the dedupe claim it holds (found through an open-addressing table keyed by flow and key hash), and
// where its latest snapshot is (segment, offset, length). Open runs are also indexed by record, so a
// record's state change finds its runs without looking at the others.
//
// While a write of a run is in flight, the version it replaced is kept (`RunVersion.prev`), so that a
// failed write puts the run back exactly as it is on disk (and compaction keeps that version's line).
import { hash } from 'node:crypto';
import type { RunStatus } from '@flowdesk/schema';
import { IdTable, type IdTableSnap } from './id-table.ts';
import type { ArrayRef, SnapReader, SnapWriter } from './index-snapshot.ts';

export const STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'needs_review', 'held', 'succeeded', 'dead', 'failed', 'cancelled'];
const STATUS_CODE = new Map<string, number>(STATUSES.map((s, i) => [s, i]));
const FIRST_TERMINAL = 5; // succeeded, dead, failed, cancelled (codes live in memory only: rebuilt at start)

/** Bytes of a key's hash the index keeps (sha256 truncated: 2^-64 odds of a collision at 2^32 keys). */
export const KEY_BYTES = 16;

/** A key's sha256: its first KEY_BYTES are the index's form, base64url of all 32 its form in line headers. */
export const keyDigest = (key: string): Buffer => hash('sha256', key, 'buffer') as unknown as Buffer;

/** The index's form of a key. */
export const keyHash = (key: string): Uint8Array => keyDigest(key).subarray(0, KEY_BYTES);

/** The index's form of a key hash written in a line header (base64url of 32 bytes, or of KEY_BYTES). */
export function keyHashFromText(text: string): Uint8Array {
  const b = Buffer.alloc(KEY_BYTES);
  b.write(text, 0, KEY_BYTES, 'base64url');
  return b;
}

export const keyHashText = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('base64url');

function sameKey(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < KEY_BYTES; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

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
  load(list: string[]): void {
    this.list.length = 1;
    this.map.clear();
    for (const s of list.slice(1)) this.code(String(s));
  }
}

export interface RunFields {
  id: string;
  flowId: string;
  status: string;
  createdAt: string;
  endedAt?: string;
  /** keyHash(idempotencyKey) */
  keyHash?: Uint8Array;
  recordEntity?: string;
  /** keyHash(record key) */
  recordKeyHash?: Uint8Array;
}

export interface Claim {
  flowId: string;
  /** keyHash(key) */
  keyHash: Uint8Array;
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

export interface RunIndexSnap {
  top: number;
  cap: number;
  free: number[];
  flows: string[];
  entities: string[];
  ids: IdTableSnap;
  arrays: Record<'flow' | 'stat' | 'flags' | 'created' | 'ended' | 'rent' | 'cflow' | 'cexp' | 'kh' | 'rk' | 'seg' | 'off' | 'len' | 'order' | 'claimTable', ArrayRef>;
  claims: number;
  otherClaimKeys: [number, string][];
}

const HAS_KEY = 1;
const HAS_RK = 2;
const RK_IS_KEY = 4;
/** the claim's key is not the run's idempotency key (kept in `otherClaimKeys`) */
const CLAIM_OTHER = 8;

export class RunIndex {
  private readonly ids = new IdTable();
  private flow = new Uint32Array(0);
  private stat = new Uint8Array(0);
  private flags = new Uint8Array(0);
  private created = new Float64Array(0);
  private ended = new Float64Array(0); // NaN: not ended
  private rent = new Uint32Array(0); // record entity code, 0 = none
  private cflow = new Uint32Array(0); // claim flow code, 0 = no claim
  private cexp = new Float64Array(0);
  private kh = new Uint8Array(0); // KEY_BYTES per slot
  private rk = new Uint8Array(0); // KEY_BYTES per slot, allocated once some record key is not the run's idempotency key
  private readonly otherClaimKeys = new Map<number, Uint8Array>();
  readonly seg = new Uint32Array(0) as Uint32Array;
  readonly off = new Uint32Array(0) as Uint32Array;
  readonly len = new Uint32Array(0) as Uint32Array;
  private cap = 0;
  private top = 0; // slots used so far
  private free: number[] = [];
  private readonly flows = new Table();
  private readonly entities = new Table();
  /** claims: open addressing over slots, keyed by (claim flow, claim key); slot + 1, 0 = empty */
  private claimTable = new Int32Array(1024);
  private claimMask = 1023;
  private claims = 0;
  /** open runs by record: `<entity code>:<record key hash, latin1>` → slots */
  private readonly openByRecord = new Map<string, Set<number>>();
  /** slots ordered by (createdAt, id) ascending; built lazily after bulk loading */
  private order = new Int32Array(0);
  private orderLen = 0;
  private bulk = false;
  /** while lines are replayed at open: a claim goes to the run whose claim expires last */
  private loading = false;
  /** the latest version of runs with a write in flight */
  private readonly heads = new Map<number, RunVersion>();
  /** the creating write of a run, until durable */
  readonly ready = new Map<number, Promise<void>>();

  get size(): number {
    return this.ids.size;
  }

  slot(id: string): number {
    return this.ids.find(id);
  }

  id(slot: number): string {
    return this.ids.id(slot);
  }

  /** True while `slot` still holds run `id` (slots are reused after pruning). */
  holds(slot: number, id: string): boolean {
    return this.ids.holds(slot, id);
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

  /** The claim's key bytes of `slot`: (array, offset). */
  private claimKey(slot: number): [Uint8Array, number] {
    const o = this.flags[slot] & CLAIM_OTHER ? this.otherClaimKeys.get(slot) : undefined;
    return o ? [o, 0] : [this.kh, slot * KEY_BYTES];
  }

  claim(slot: number): Claim | undefined {
    const f = this.cflow[slot];
    if (f === 0) return undefined;
    const [a, o] = this.claimKey(slot);
    return { flowId: this.flows.list[f], keyHash: a.slice(o, o + KEY_BYTES), expires: this.cexp[slot] };
  }

  private alloc(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    if (this.top === this.cap) {
      const cap = Math.max(1024, Math.ceil(this.cap * 1.5));
      this.flow = grow(this.flow, cap);
      this.stat = grow(this.stat, cap);
      this.flags = grow(this.flags, cap);
      this.created = grow(this.created, cap);
      this.ended = grow(this.ended, cap);
      this.rent = grow(this.rent, cap);
      this.cflow = grow(this.cflow, cap);
      this.cexp = grow(this.cexp, cap);
      this.kh = grow(this.kh, cap * KEY_BYTES);
      if (this.rk.length > 0) this.rk = grow(this.rk, cap * KEY_BYTES);
      (this as { seg: Uint32Array }).seg = grow(this.seg, cap);
      (this as { off: Uint32Array }).off = grow(this.off, cap);
      (this as { len: Uint32Array }).len = grow(this.len, cap);
      this.ids.ensure(cap);
      this.cap = cap;
    }
    return this.top++;
  }

  private cmp(a: number, b: number): number {
    const d = this.created[a] - this.created[b];
    if (d !== 0) return d;
    return this.ids.compare(a, b);
  }

  /** Bulk loading (at open): order is built once at the end by `finishBulk`. */
  startBulk(): void {
    this.bulk = true;
    this.loading = true;
  }

  /** Replaying the lines after an index snapshot: order kept as runs come, claims as at bulk loading. */
  startTail(): void {
    this.loading = true;
  }

  finishTail(): void {
    this.loading = false;
  }

  finishBulk(): void {
    this.bulk = false;
    this.loading = false;
    const all = new Int32Array(Math.max(16, Math.ceil(this.size * 1.25)));
    let n = 0;
    for (let s = 0; s < this.top; s++) if (this.ids.has(s)) all[n++] = s;
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
      const less = d < 0 || (d === 0 && this.ids.compareTo(s, id) < 0);
      if (less) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First order position whose slot is >= `slot` in (created, id) order. */
  private lowerBoundSlot(slot: number): number {
    let lo = 0;
    let hi = this.orderLen;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(this.order[mid], slot) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private orderInsert(slot: number): void {
    if (this.orderLen === this.order.length) {
      const o = new Int32Array(Math.max(1024, Math.ceil(this.order.length * 1.5)));
      o.set(this.order);
      this.order = o;
    }
    const n = this.orderLen;
    if (n === 0 || this.cmp(this.order[n - 1], slot) <= 0) {
      this.order[n] = slot;
    } else {
      const i = this.lowerBoundSlot(slot);
      this.order.copyWithin(i + 1, i, n);
      this.order[i] = slot;
    }
    this.orderLen++;
  }

  private orderRemove(slot: number): void {
    let i = this.lowerBoundSlot(slot);
    if (this.order[i] !== slot) i = this.order.subarray(0, this.orderLen).indexOf(slot);
    if (i < 0) return;
    this.order.copyWithin(i, i + 1, this.orderLen);
    this.orderLen--;
  }

  private recordKey(slot: number): string | undefined {
    const f = this.flags[slot];
    if (!(f & HAS_RK)) return undefined;
    const a = f & RK_IS_KEY ? this.kh : this.rk;
    const o = slot * KEY_BYTES;
    return `${this.rent[slot]}:${Buffer.from(a.buffer, a.byteOffset + o, KEY_BYTES).toString('latin1')}`;
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
    if (this.isTerminal(slot)) return;
    const k = this.recordKey(slot);
    if (k === undefined) return;
    let set = this.openByRecord.get(k);
    if (!set) this.openByRecord.set(k, (set = new Set()));
    set.add(slot);
  }

  /**
   * Sets the run's fields and location, inserting it when new. Returns its slot and the length of
   * its previous snapshot (0 when new).
   */
  upsert(f: RunFields, seg: number, off: number, len: number): { slot: number; oldLen: number } {
    let slot = this.ids.find(f.id);
    let oldLen = 0;
    const created = Date.parse(f.createdAt) || 0;
    if (slot < 0) {
      slot = this.alloc();
      this.ids.add(slot, f.id);
      this.created[slot] = created;
      this.cflow[slot] = 0;
      this.flags[slot] = 0;
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
    const o = slot * KEY_BYTES;
    let flags = this.flags[slot] & CLAIM_OTHER;
    if (f.keyHash !== undefined) {
      this.kh.set(f.keyHash.subarray(0, KEY_BYTES), o);
      flags |= HAS_KEY;
    }
    this.rent[slot] = f.recordEntity === undefined ? 0 : this.entities.code(f.recordEntity);
    if (f.recordKeyHash !== undefined) {
      flags |= HAS_RK;
      // the record key is often the idempotency key: kept once
      if (f.keyHash !== undefined && sameKey(f.recordKeyHash, 0, f.keyHash, 0)) flags |= RK_IS_KEY;
      else {
        if (this.rk.length === 0) this.rk = new Uint8Array(this.cap * KEY_BYTES);
        this.rk.set(f.recordKeyHash.subarray(0, KEY_BYTES), o);
      }
    }
    this.flags[slot] = flags;
    this.seg[slot] = seg;
    this.off[slot] = off;
    this.len[slot] = len;
    this.linkRecord(slot);
    return { slot, oldLen };
  }

  /** The run's current state as a version (to restore if a later write fails). */
  capture(slot: number): RunVersion {
    const e = this.rent[slot];
    const f = this.flags[slot];
    const o = slot * KEY_BYTES;
    return {
      fields: {
        id: this.ids.id(slot),
        flowId: this.flows.list[this.flow[slot]],
        status: STATUSES[this.stat[slot]],
        createdAt: new Date(this.created[slot]).toISOString(),
        endedAt: Number.isNaN(this.ended[slot]) ? undefined : new Date(this.ended[slot]).toISOString(),
        keyHash: f & HAS_KEY ? this.kh.slice(o, o + KEY_BYTES) : undefined,
        recordEntity: e === 0 ? undefined : this.entities.list[e],
        recordKeyHash: !(f & HAS_RK) ? undefined : f & RK_IS_KEY ? this.kh.slice(o, o + KEY_BYTES) : this.rk.slice(o, o + KEY_BYTES),
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

  // ── the claim table ──

  private claimHashOf(fc: number, a: Uint8Array, o: number): number {
    return ((a[o] | (a[o + 1] << 8) | (a[o + 2] << 16) | (a[o + 3] << 24)) ^ Math.imul(fc, 0x9e3779b1)) >>> 0;
  }

  /** Table position of the entry for (fc, key), or of the empty cell where it would go. */
  private claimPos(fc: number, a: Uint8Array, o: number): number {
    for (let i = this.claimHashOf(fc, a, o) & this.claimMask; ; i = (i + 1) & this.claimMask) {
      const t = this.claimTable[i];
      if (t === 0) return i;
      const s = t - 1;
      if (this.cflow[s] === fc) {
        const [b, bo] = this.claimKey(s);
        if (sameKey(a, o, b, bo)) return i;
      }
    }
  }

  private claimRehash(size: number): void {
    const old = this.claimTable;
    this.claimTable = new Int32Array(size);
    this.claimMask = size - 1;
    for (let i = 0; i < old.length; i++) {
      if (old[i] === 0) continue;
      const s = old[i] - 1;
      const [a, o] = this.claimKey(s);
      let j = this.claimHashOf(this.cflow[s], a, o) & this.claimMask;
      while (this.claimTable[j] !== 0) j = (j + 1) & this.claimMask;
      this.claimTable[j] = old[i];
    }
  }

  /** Drops the table's entry for `slot`'s claim if it points at `slot`. */
  private claimUnlink(slot: number): void {
    const fc = this.cflow[slot];
    if (fc === 0) return;
    const [a, o] = this.claimKey(slot);
    let i = this.claimPos(fc, a, o);
    if (this.claimTable[i] !== slot + 1) return;
    this.claimTable[i] = 0;
    this.claims--;
    for (let j = (i + 1) & this.claimMask; this.claimTable[j] !== 0; j = (j + 1) & this.claimMask) {
      const s = this.claimTable[j] - 1;
      const [b, bo] = this.claimKey(s);
      const k = this.claimHashOf(this.cflow[s], b, bo) & this.claimMask;
      const between = i <= j ? i < k && k <= j : i < k || k <= j;
      if (!between) {
        this.claimTable[i] = this.claimTable[j];
        this.claimTable[j] = 0;
        i = j;
      }
    }
  }

  /** Records that `slot` holds the claim; at load, the claim with the latest expiry wins. */
  setClaim(slot: number, c: Claim): void {
    const fc = this.flows.code(c.flowId);
    if (this.cflow[slot] !== 0) this.claimUnlink(slot);
    const o = slot * KEY_BYTES;
    if (this.flags[slot] & HAS_KEY && sameKey(c.keyHash, 0, this.kh, o)) {
      this.flags[slot] &= ~CLAIM_OTHER;
      this.otherClaimKeys.delete(slot);
    } else {
      this.flags[slot] |= CLAIM_OTHER;
      this.otherClaimKeys.set(slot, c.keyHash.slice(0, KEY_BYTES));
    }
    this.cflow[slot] = fc;
    this.cexp[slot] = c.expires;
    const [a, ao] = this.claimKey(slot);
    const i = this.claimPos(fc, a, ao);
    const cur = this.claimTable[i] - 1;
    if (cur < 0) {
      this.claimTable[i] = slot + 1;
      this.claims++;
      if (this.claims * 2 > this.claimTable.length) this.claimRehash(this.claimTable.length * 2);
    } else if (cur === slot || !this.loading || this.cexp[cur] <= c.expires) this.claimTable[i] = slot + 1;
  }

  /** The slot holding the (flowId, key) claim, or -1. */
  claimant(flowId: string, keyHash: Uint8Array): number {
    const fc = this.flows.find(flowId);
    if (fc < 0) return -1;
    return this.claimTable[this.claimPos(fc, keyHash, 0)] - 1;
  }

  claimExpires(slot: number): number {
    return this.cexp[slot];
  }

  claimCount(): number {
    return this.claims;
  }

  /** Bytes of key material held (hashes): bounded per run whatever the keys' length. */
  keyChars(): number {
    let n = this.otherClaimKeys.size * KEY_BYTES;
    for (let s = 0; s < this.top; s++) {
      if (!this.ids.has(s)) continue;
      const f = this.flags[s];
      if (f & HAS_KEY) n += KEY_BYTES;
      if (f & HAS_RK && !(f & RK_IS_KEY)) n += KEY_BYTES;
    }
    return n;
  }

  /** Open runs whose record is (entity, keyHash(key)). */
  openOfRecord(entity: string, recordKeyHash: Uint8Array): number[] {
    const e = this.entities.find(entity);
    if (e < 0) return [];
    const set = this.openByRecord.get(`${e}:${Buffer.from(recordKeyHash.buffer, recordKeyHash.byteOffset, KEY_BYTES).toString('latin1')}`);
    return set ? [...set].sort((a, b) => this.cmp(a, b)) : [];
  }

  remove(slot: number): void {
    if (!this.ids.has(slot)) return;
    this.claimUnlink(slot);
    this.unlinkRecord(slot);
    if (!this.bulk) this.orderRemove(slot);
    this.ids.remove(slot);
    this.cflow[slot] = 0;
    this.flags[slot] = 0;
    this.otherClaimKeys.delete(slot);
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
      const a = this.ids.find(after);
      if (a >= 0) i = this.lowerBoundSlot(a) + 1;
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
      const b = this.ids.find(before);
      if (b < 0) return undefined;
      i = this.lowerBoundSlot(b) - 1;
    }
    const out: number[] = [];
    for (; i >= 0 && out.length < limit; i--) {
      const s = this.order[i];
      if (match(s)) out.push(s);
    }
    return out;
  }

  /** A matcher for listRuns' filters over the small fields (keys compared by their hash). */
  matcher(q: { flowId?: string; status?: string; key?: string; record?: string; from?: string; to?: string; endedFrom?: string }): (slot: number) => boolean {
    const from = q.from === undefined ? -Infinity : Date.parse(q.from);
    const to = q.to === undefined ? Infinity : Date.parse(q.to);
    const endedFrom = q.endedFrom === undefined ? undefined : Date.parse(q.endedFrom);
    const fc = q.flowId === undefined ? -1 : this.flows.find(q.flowId);
    const sc = q.status === undefined ? -1 : (STATUS_CODE.get(q.status) ?? 255);
    const kh = q.key === undefined ? undefined : keyHash(q.key);
    const rec = q.record;
    // "<entity>:<key>" for each known entity, or the bare key
    const bare = rec === undefined ? undefined : keyHash(rec);
    const byEntity = new Map<number, Uint8Array>();
    if (rec !== undefined) {
      this.entities.list.forEach((e, code) => {
        if (code > 0 && rec.startsWith(`${e}:`)) byEntity.set(code, keyHash(rec.slice(e.length + 1)));
      });
    }
    return (s) => {
      if (this.created[s]! < from || this.created[s]! >= to) return false;
      // an open run's end is NaN: never at or after anything
      if (endedFrom !== undefined && (!(this.ended[s]! >= endedFrom) || !this.isTerminal(s))) return false;
      if (q.flowId !== undefined && this.flow[s] !== fc) return false;
      if (q.status !== undefined && this.stat[s] !== sc) return false;
      const f = this.flags[s];
      const o = s * KEY_BYTES;
      if (kh !== undefined && (!(f & HAS_KEY) || !sameKey(kh, 0, this.kh, o))) return false;
      if (bare !== undefined) {
        if (!(f & HAS_RK)) return false;
        const a = f & RK_IS_KEY ? this.kh : this.rk;
        const ent = byEntity.get(this.rent[s]);
        if (!sameKey(bare, 0, a, o) && !(ent && sameKey(ent, 0, a, o))) return false;
      }
      return true;
    };
  }

  /** The index for the index snapshot (without in-flight versions: taken when their writes are queued). */
  snapshot(w: SnapWriter): RunIndexSnap {
    const n = this.top;
    const other: [number, string][] = [];
    for (const [slot, k] of this.otherClaimKeys) other.push([slot, Buffer.from(k).toString('base64')]);
    return {
      top: n,
      cap: this.cap,
      free: [...this.free],
      flows: this.flows.list,
      entities: this.entities.list,
      ids: this.ids.snapshot(w, n),
      arrays: {
        flow: w.add(this.flow, n),
        stat: w.add(this.stat, n),
        flags: w.add(this.flags, n),
        created: w.add(this.created, n),
        ended: w.add(this.ended, n),
        rent: w.add(this.rent, n),
        cflow: w.add(this.cflow, n),
        cexp: w.add(this.cexp, n),
        kh: w.add(this.kh, n * KEY_BYTES),
        rk: w.add(this.rk, this.rk.length === 0 ? 0 : n * KEY_BYTES),
        seg: w.add(this.seg, n),
        off: w.add(this.off, n),
        len: w.add(this.len, n),
        order: w.add(this.order, this.orderLen),
        claimTable: w.add(this.claimTable),
      },
      claims: this.claims,
      otherClaimKeys: other,
    };
  }

  /** Takes the state `snapshot` wrote (into an empty index). */
  restore(s: RunIndexSnap, r: SnapReader): void {
    const cap = Math.max(s.cap, s.top);
    const a = s.arrays;
    this.flow = r.get(a.flow, 'u32', cap);
    this.stat = r.get(a.stat, 'u8', cap);
    this.flags = r.get(a.flags, 'u8', cap);
    this.created = r.get(a.created, 'f64', cap);
    this.ended = r.get(a.ended, 'f64', cap);
    this.rent = r.get(a.rent, 'u32', cap);
    this.cflow = r.get(a.cflow, 'u32', cap);
    this.cexp = r.get(a.cexp, 'f64', cap);
    this.kh = r.get(a.kh, 'u8', cap * KEY_BYTES);
    this.rk = a.rk[2] === 0 ? new Uint8Array(0) : r.get(a.rk, 'u8', cap * KEY_BYTES);
    (this as { seg: Uint32Array }).seg = r.get(a.seg, 'u32', cap);
    (this as { off: Uint32Array }).off = r.get(a.off, 'u32', cap);
    (this as { len: Uint32Array }).len = r.get(a.len, 'u32', cap);
    this.order = r.get(a.order, 'i32', Math.ceil(a.order[2] * 1.25) + 16);
    this.orderLen = a.order[2];
    this.claimTable = r.get(a.claimTable, 'i32');
    if (this.claimTable.length < 2 || (this.claimTable.length & (this.claimTable.length - 1)) !== 0) throw new Error('index snapshot: bad claim table');
    this.claimMask = this.claimTable.length - 1;
    this.claims = s.claims;
    this.ids.restore(s.ids, r, cap);
    this.cap = cap;
    this.top = s.top;
    this.free = s.free.map(Number);
    this.flows.load(s.flows);
    this.entities.load(s.entities);
    this.otherClaimKeys.clear();
    for (const [slot, k] of s.otherClaimKeys) this.otherClaimKeys.set(slot, new Uint8Array(Buffer.from(k, 'base64')));
    if (this.orderLen !== this.ids.size) throw new Error('index snapshot: run order and ids disagree');
    this.openByRecord.clear();
    for (let i = 0; i < this.orderLen; i++) this.linkRecord(this.order[i]);
  }

  clear(): void {
    this.ids.clear();
    this.top = 0;
    this.free = [];
    this.flags.fill(0);
    this.cflow.fill(0);
    this.otherClaimKeys.clear();
    this.claimTable = new Int32Array(1024);
    this.claimMask = 1023;
    this.claims = 0;
    this.openByRecord.clear();
    this.orderLen = 0;
    this.heads.clear();
    this.ready.clear();
  }
}
