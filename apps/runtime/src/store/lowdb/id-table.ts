// Ids of an index's slots, without a JS string or a Map entry per id: each id's UTF-8 bytes sit in one
// growing byte arena, found through an open-addressing hash table (linear probing, backward-shift
// deletion) of slot numbers. About the id's length + 16 bytes per id, where a Map<string, number>
// costs the string (its length + 16, rounded up to 8) plus ~40 bytes of Map entry.
//
// Most ids are or hold a random UUID (runs, `run:<uuid>` KPI facts, `<uuid>:<node>` reviews): its 36
// characters are packed into 16 bytes (ids so packed carry a flag in their length word, so a packed id
// never equals an unpacked one). The table is filled up to three quarters.
//
// The owner allocates slots (small integers, reused after removal) and calls `ensure(cap)` before
// using a slot below `cap`.

import type { ArrayRef, SnapReader, SnapWriter } from './index-snapshot.ts';

export interface IdTableSnap {
  arena: ArrayRef;
  off: ArrayRef;
  len: ArrayRef;
  hashes: ArrayRef;
  table: ArrayRef;
  count: number;
  garbage: number;
}

/** FNV-1a over bytes (32 bit). */
function fnv(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}

/** The hex value of each char code (255: not lowercase hex). */
const HEX = new Uint8Array(128).fill(255);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;
const DASHES = [8, 13, 18, 23];
const PACKED = 0x80000000;

/** Where a canonical lowercase UUID starts in `id`, or -1. */
function uuidAt(id: string): number {
  const n = id.length;
  if (n < 36 || n > 255 + 36) return -1;
  outer: for (let at = 0; at + 36 <= n && at <= 255; at++) {
    if (id.charCodeAt(at + 8) !== 45) continue;
    for (let i = 0; i < 36; i++) {
      const c = id.charCodeAt(at + i);
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (c !== 45) continue outer;
      } else if (c >= 128 || HEX[c] === 255) continue outer;
    }
    return at;
  }
  return -1;
}

export class IdTable {
  private arena = Buffer.allocUnsafe(1 << 16);
  private top = 0;
  private garbage = 0;
  private off = new Uint32Array(0);
  private len = new Uint32Array(0); // 0: no id in this slot (ids are never empty: see add)
  private hashes = new Uint32Array(0);
  private table = new Int32Array(1024); // slot + 1; 0 = empty
  private mask = 1023;
  private count = 0;
  private scratch = Buffer.allocUnsafe(256);

  get size(): number {
    return this.count;
  }

  /** Makes slots below `cap` usable. */
  ensure(cap: number): void {
    if (cap <= this.off.length) return;
    const grow = <T extends Uint32Array>(a: T): T => {
      const b = new Uint32Array(cap) as T;
      b.set(a);
      return b;
    };
    this.off = grow(this.off);
    this.len = grow(this.len);
    this.hashes = grow(this.hashes);
  }

  /**
   * The id's stored form in the scratch buffer: its UTF-8 bytes, or (flag PACKED) the length of what
   * precedes its first UUID, that prefix, the UUID's 16 bytes and the rest. Returns the byte count | flag.
   */
  private encode(id: string): number {
    // the same id is often asked for twice in a row (find, then add or upsert): the scratch still holds it
    if (id === this.lastId) return this.lastEnc;
    const enc = this.encodeInto(id);
    this.lastId = id;
    this.lastEnc = enc;
    return enc;
  }
  /** the id whose encoding the scratch buffer holds (only encode writes to it) */
  private lastId: string | undefined;
  private lastEnc = 0;

  private encodeInto(id: string): number {
    if (id.length * 3 + 1 > this.scratch.length) this.scratch = Buffer.allocUnsafe(id.length * 3 + 64);
    const at = uuidAt(id);
    // the prefix's byte length fits the one byte that holds it (at most 255 characters, but UTF-8)
    if (at < 0 || (at > 85 && Buffer.byteLength(id.slice(0, at)) > 255)) return this.scratch.write(id, 0, 'utf8');
    const b = this.scratch;
    let p = 1;
    if (at > 0) p += b.write(id.slice(0, at), p, 'utf8');
    b[0] = p - 1;
    let hi = -1;
    for (let i = 0; i < 36; i++) {
      if (i === DASHES[0] || i === DASHES[1] || i === DASHES[2] || i === DASHES[3]) continue;
      const v = HEX[id.charCodeAt(at + i)];
      if (hi < 0) hi = v;
      else {
        b[p++] = (hi << 4) | v;
        hi = -1;
      }
    }
    if (at + 36 < id.length) p += b.write(id.slice(at + 36), p, 'utf8');
    return (p | PACKED) >>> 0;
  }

  private decode(o: number, word: number): string {
    const n = (word & ~PACKED) - 1;
    if (!(word & PACKED)) return this.arena.toString('utf8', o, o + n);
    const pre = this.arena[o];
    const hex = this.arena.toString('hex', o + 1 + pre, o + 1 + pre + 16);
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    return `${this.arena.toString('utf8', o + 1, o + 1 + pre)}${uuid}${this.arena.toString('utf8', o + 17 + pre, o + n)}`;
  }

  private sameAsScratch(slot: number, enc: number): boolean {
    const l = this.len[slot];
    if (l !== ((enc + 1) >>> 0)) return false;
    const n = (enc & ~PACKED) >>> 0;
    const o = this.off[slot];
    // ids are short (a packed UUID is 17 bytes): a loop here costs less than a call into Buffer#compare
    if (n > 64) return this.arena.compare(this.scratch, 0, n, o, o + n) === 0;
    const a = this.arena;
    const b = this.scratch;
    for (let i = 0; i < n; i++) if (a[o + i] !== b[i]) return false;
    return true;
  }

  /** The slot holding `id`, or -1. */
  find(id: string): number {
    const n = this.encode(id);
    const h = fnv(this.scratch, 0, n & ~PACKED);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const t = this.table[i];
      if (t === 0) return -1;
      const s = t - 1;
      if (this.hashes[s] === h && this.sameAsScratch(s, n)) return s;
    }
  }

  /** True while `slot` holds `id`. */
  holds(slot: number, id: string): boolean {
    if (slot < 0 || slot >= this.len.length || this.len[slot] === 0) return false;
    return this.sameAsScratch(slot, this.encode(id));
  }

  has(slot: number): boolean {
    return slot >= 0 && slot < this.len.length && this.len[slot] !== 0;
  }

  /** The id in `slot` (a new string each call). */
  id(slot: number): string {
    return this.decode(this.off[slot], this.len[slot]);
  }

  /** Gives `slot` the id (which no slot holds yet). */
  add(slot: number, id: string): void {
    const enc = this.encode(id);
    const n = (enc & ~PACKED) >>> 0;
    if (this.top + n > this.arena.length) this.growArena(n);
    this.scratch.copy(this.arena, this.top, 0, n);
    this.off[slot] = this.top;
    this.len[slot] = (enc + 1) >>> 0; // +1 so that an empty id is still "present"
    this.top += n;
    this.hashes[slot] = fnv(this.scratch, 0, n);
    if ((this.count + 1) * 4 > this.table.length * 3) this.rehash(this.table.length * 2);
    this.insert(slot);
    this.count++;
  }

  private insert(slot: number): void {
    let i = this.hashes[slot] & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
  }

  private rehash(size: number): void {
    const old = this.table;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.insert(old[i] - 1);
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    let i = this.hashes[slot] & this.mask;
    while (this.table[i] !== slot + 1) i = (i + 1) & this.mask;
    // backward-shift deletion: no tombstones, probe chains stay short
    this.table[i] = 0;
    for (let j = (i + 1) & this.mask; this.table[j] !== 0; j = (j + 1) & this.mask) {
      const k = this.hashes[this.table[j] - 1] & this.mask;
      const between = i <= j ? i < k && k <= j : i < k || k <= j;
      if (!between) {
        this.table[i] = this.table[j];
        this.table[j] = 0;
        i = j;
      }
    }
    this.garbage += this.bytesOf(slot);
    this.len[slot] = 0;
    this.count--;
    if (this.garbage > 1 << 20 && this.garbage * 2 > this.top) this.compactArena(0);
  }

  /** Stored bytes of the id in `slot`. */
  private bytesOf(slot: number): number {
    return ((this.len[slot] & ~PACKED) >>> 0) - 1;
  }

  private growArena(need: number): void {
    if (this.garbage * 2 > this.top) this.compactArena(need);
    if (this.top + need <= this.arena.length) return;
    const b = Buffer.allocUnsafe(Math.max(Math.ceil(this.arena.length * 1.5), this.top + need));
    this.arena.copy(b, 0, 0, this.top);
    this.arena = b;
  }

  /** Copies the live ids into a fresh arena (after many removals). */
  private compactArena(need: number): void {
    const b = Buffer.allocUnsafe(Math.ceil(Math.max(1 << 16, this.top - this.garbage + need) * 1.5));
    let p = 0;
    for (let s = 0; s < this.len.length; s++) {
      if (this.len[s] === 0) continue;
      const l = this.bytesOf(s);
      this.arena.copy(b, p, this.off[s], this.off[s] + l);
      this.off[s] = p;
      p += l;
    }
    this.arena = b;
    this.top = p;
    this.garbage = 0;
  }

  /**
   * Orders two slots by id: a total order on the stored forms (unpacked ids first, by UTF-8 bytes; then
   * packed ones, by prefix length, prefix and UUID bytes — for plain UUIDs, their text order).
   */
  compare(a: number, b: number): number {
    const pa = this.len[a] & PACKED;
    const pb = this.len[b] & PACKED;
    if (pa !== pb) return pa ? 1 : -1;
    const oa = this.off[a];
    const ob = this.off[b];
    return this.arena.compare(this.arena, ob, ob + this.bytesOf(b), oa, oa + this.bytesOf(a));
  }

  /** Orders a slot's id against `id`, as `compare` does. */
  compareTo(slot: number, id: string): number {
    const enc = this.encode(id);
    const ps = this.len[slot] & PACKED;
    const pi = enc & PACKED;
    if (ps !== pi) return ps ? 1 : -1;
    const o = this.off[slot];
    return this.arena.compare(this.scratch, 0, (enc & ~PACKED) >>> 0, o, o + this.bytesOf(slot));
  }

  /** Bytes held (arena, per-slot arrays, table). */
  bytes(): number {
    return this.arena.length + this.off.byteLength * 3 + this.table.byteLength;
  }

  /** The table's state for the index snapshot (slots below `slots`). */
  snapshot(w: SnapWriter, slots: number): IdTableSnap {
    return {
      arena: w.add(this.arena, this.top),
      off: w.add(this.off, slots),
      len: w.add(this.len, slots),
      hashes: w.add(this.hashes, slots),
      table: w.add(this.table),
      count: this.count,
      garbage: this.garbage,
    };
  }

  /** Takes the state `snapshot` wrote; `cap`: slots to make usable. */
  restore(s: IdTableSnap, r: SnapReader, cap: number): void {
    const arena = r.get(s.arena, 'u8');
    this.arena = Buffer.allocUnsafe(Math.max(1 << 16, Math.ceil(arena.length * 1.5)));
    this.arena.set(arena);
    this.top = arena.length;
    this.off = r.get(s.off, 'u32', cap);
    this.len = r.get(s.len, 'u32', cap);
    this.hashes = r.get(s.hashes, 'u32', cap);
    this.table = r.get(s.table, 'i32');
    if (this.table.length < 2 || (this.table.length & (this.table.length - 1)) !== 0) throw new Error('index snapshot: bad id table');
    this.mask = this.table.length - 1;
    this.count = s.count;
    this.garbage = s.garbage;
  }

  clear(): void {
    this.top = 0;
    this.garbage = 0;
    this.len.fill(0);
    this.table = new Int32Array(1024);
    this.mask = 1023;
    this.count = 0;
  }
}
