// Ids of an index's slots, without a JS string or a Map entry per id: each id's UTF-8 bytes sit in one
// growing byte arena, found through an open-addressing hash table (linear probing, backward-shift
// deletion) of slot numbers. About the id's length + 16 bytes per id, where a Map<string, number>
// costs the string (its length + 16, rounded up to 8) plus ~40 bytes of Map entry.
//
// The owner allocates slots (small integers, reused after removal) and calls `ensure(cap)` before
// using a slot below `cap`.

/** FNV-1a over bytes (32 bit). */
function fnv(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
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

  /** The id's UTF-8 bytes in the scratch buffer; returns their length. */
  private encode(id: string): number {
    if (id.length * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafe(id.length * 3 + 64);
    return this.scratch.write(id, 0, 'utf8');
  }

  private sameAsScratch(slot: number, n: number): boolean {
    const l = this.len[slot];
    if (l !== n + 1) return false;
    const o = this.off[slot];
    return this.arena.compare(this.scratch, 0, n, o, o + n) === 0;
  }

  /** The slot holding `id`, or -1. */
  find(id: string): number {
    const n = this.encode(id);
    const h = fnv(this.scratch, 0, n);
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
    const o = this.off[slot];
    return this.arena.toString('utf8', o, o + this.len[slot] - 1);
  }

  /** Gives `slot` the id (which no slot holds yet). */
  add(slot: number, id: string): void {
    const n = this.encode(id);
    if (this.top + n > this.arena.length) this.growArena(n);
    this.scratch.copy(this.arena, this.top, 0, n);
    this.off[slot] = this.top;
    this.len[slot] = n + 1; // +1 so that an empty id is still "present"
    this.top += n;
    this.hashes[slot] = fnv(this.scratch, 0, n);
    if ((this.count + 1) * 2 > this.table.length) this.rehash(this.table.length * 2);
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
    this.garbage += this.len[slot] - 1;
    this.len[slot] = 0;
    this.count--;
    if (this.garbage > 1 << 20 && this.garbage * 2 > this.top) this.compactArena(0);
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
      const l = this.len[s];
      if (l === 0) continue;
      this.arena.copy(b, p, this.off[s], this.off[s] + l - 1);
      this.off[s] = p;
      p += l - 1;
    }
    this.arena = b;
    this.top = p;
    this.garbage = 0;
  }

  /** Orders two slots by id (UTF-8 byte order). */
  compare(a: number, b: number): number {
    const oa = this.off[a];
    const ob = this.off[b];
    return this.arena.compare(this.arena, ob, ob + this.len[b] - 1, oa, oa + this.len[a] - 1);
  }

  /** Orders a slot's id against `id` (UTF-8 byte order). */
  compareTo(slot: number, id: string): number {
    const n = this.encode(id);
    const o = this.off[slot];
    return this.arena.compare(this.scratch, 0, n, o, o + this.len[slot] - 1);
  }

  /** Bytes held (arena, per-slot arrays, table). */
  bytes(): number {
    return this.arena.length + this.off.byteLength * 3 + this.table.byteLength;
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
