// A document collection whose values live on disk: a segmented journal (see journal.ts) of full
// document versions and tombstones, with only an index in memory (id → where its latest version
// is, plus small `meta` fields kept in the line header so the index rebuilds without parsing
// documents). For collections that grow with history (records, reviews, dead letters, tasks,
// outbox, KPI facts): memory stays at the id's length + ~60 bytes per document (typed arrays, ids in
// an arena: id-table.ts), a write is one appended line, and
// superseded versions are compacted away in the background once they outweigh the live data.
import { StoreCorruptError } from '../types.ts';
import { Journal, type Header, type JournalOptions, type Loc, type SegmentCover } from './journal.ts';
import type { ArrayRef, SnapReader, SnapWriter } from './index-snapshot.ts';
import type { AckVerifier } from './ack-verifier.ts';
import { IdTable, type IdTableSnap } from './id-table.ts';

/** One version of a document while a write of it is in flight (the index itself is typed arrays). */
export interface DocEntry {
  seg: number;
  off: number;
  len: number;
  /** meta code */
  meta: number;
  /** while this version's write is in flight: the version it replaced (null: none), to restore if it fails */
  prev?: DocEntry | null;
}

export interface MetaCodec<M> {
  /** copies meta into the line header (flat string fields) */
  toHeader(m: M, h: Header): void;
  fromHeader(h: Header): M;
  /** a string equal for equal metas: they are held once, each document keeps a small code */
  key(m: M): string;
}

const noMeta: MetaCodec<undefined> = { toHeader: () => {}, fromHeader: () => undefined, key: () => '' };

export interface DocIndexSnap<M> {
  top: number;
  cap: number;
  free: number[];
  bornNext: number;
  metas: M[];
  ids: IdTableSnap;
  arrays: Record<'seg' | 'off' | 'len' | 'meta' | 'born', ArrayRef>;
  live: number;
  total: number;
  floor: number;
}

function grow<T extends Uint32Array | Float64Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

export class DocJournal<M = undefined> {
  // the index: one slot per document in typed arrays (no object, string or Map entry per document)
  private readonly ids = new IdTable();
  private seg = new Uint32Array(0);
  private off = new Uint32Array(0);
  private len = new Uint32Array(0);
  private metaOf = new Uint32Array(0);
  /** insertion order (listing order: first put first, as a Map would) */
  private born = new Float64Array(0);
  private bornNext = 0;
  private cap = 0;
  private top = 0;
  private free: number[] = [];
  private readonly metas: M[] = [];
  private readonly metaCodes = new Map<string, number>();
  /** the current version of documents whose write is in flight (with what it replaced) */
  private readonly inflight = new Map<number, DocEntry>();
  private readonly j: Journal;
  private chain: Promise<unknown> = Promise.resolve();
  private live = 0;
  private total = 0;
  /** dead bytes compaction cannot remove (tombstones of deleted ids) */
  private floor = 0;
  private compacting: Promise<void> | undefined;
  private closed = false;
  /** documents read from disk (get, list) since open: tests assert what is answered from the index alone */
  reads = 0;
  /** ids whose delete is in flight → the version it removed (restored if the tombstone's write fails) */
  private readonly deleting = new Map<string, DocEntry>();

  constructor(
    dir: string,
    readonly prefix: string,
    private readonly opts: JournalOptions & { compactBytes: number; onCompacted?: () => void },
    private readonly codec: MetaCodec<M> = noMeta as unknown as MetaCodec<M>,
  ) {
    this.j = new Journal(dir, prefix, opts);
  }

  private metaCode(m: M): number {
    const k = this.codec.key(m);
    let c = this.metaCodes.get(k);
    if (c === undefined) {
      c = this.metas.length;
      this.metas.push(m);
      this.metaCodes.set(k, c);
    }
    return c;
  }

  private alloc(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    if (this.top === this.cap) {
      const cap = Math.max(256, Math.ceil(this.cap * 1.5));
      this.seg = grow(this.seg, cap);
      this.off = grow(this.off, cap);
      this.len = grow(this.len, cap);
      this.metaOf = grow(this.metaOf, cap);
      this.born = grow(this.born, cap);
      this.ids.ensure(cap);
      this.cap = cap;
    }
    return this.top++;
  }

  /** The document's current version as an entry (to restore if a later write fails). */
  private capture(slot: number): DocEntry {
    return this.inflight.get(slot) ?? { seg: this.seg[slot], off: this.off[slot], len: this.len[slot], meta: this.metaOf[slot] };
  }

  /** Sets `id`'s current version (adding the id when new); returns its slot. */
  private setCurrent(id: string, e: { seg: number; off: number; len: number; meta: number }): number {
    let slot = this.ids.find(id);
    if (slot < 0) {
      slot = this.alloc();
      this.ids.add(slot, id);
      this.born[slot] = this.bornNext++;
    }
    this.seg[slot] = e.seg;
    this.off[slot] = e.off;
    this.len[slot] = e.len;
    this.metaOf[slot] = e.meta;
    return slot;
  }

  private removeSlot(slot: number): void {
    this.ids.remove(slot);
    this.inflight.delete(slot);
    this.free.push(slot);
  }

  /** The journal (an index snapshot checks and names its segments). */
  get journal(): Journal {
    return this.j;
  }

  /** The index for the index snapshot (current versions only: taken when their writes are queued). */
  snapshot(w: SnapWriter): DocIndexSnap<M> {
    const n = this.top;
    return {
      top: n,
      cap: this.cap,
      free: [...this.free],
      bornNext: this.bornNext,
      metas: this.metas,
      ids: this.ids.snapshot(w, n),
      arrays: { seg: w.add(this.seg, n), off: w.add(this.off, n), len: w.add(this.len, n), meta: w.add(this.metaOf, n), born: w.add(this.born, n) },
      live: this.live,
      total: this.total,
      floor: this.floor,
    };
  }

  /**
   * Opens the journal. With `covers` (after restore() from an index snapshot whose covers were
   * checked), only the lines after the covered bytes are read.
   */
  async open(verify?: AckVerifier, covers?: ReadonlyMap<number, SegmentCover>): Promise<void> {
    await this.j.open((h, loc) => {
      const id = String(h.id);
      const slot = this.ids.find(id);
      if (slot >= 0) this.live -= this.len[slot];
      this.total += loc.len;
      if (h.del) {
        if (slot >= 0) this.removeSlot(slot);
      } else {
        this.setCurrent(id, { seg: loc.seg, off: loc.off, len: loc.len, meta: this.metaCode(this.codec.fromHeader(h)) });
        this.live += loc.len;
      }
    }, verify, covers);
  }

  /** Starts the index as an index snapshot left it (before open(), with that snapshot's covers). */
  restore(s: DocIndexSnap<M>, r: SnapReader): void {
    const cap = Math.max(s.cap, s.top);
    this.seg = r.get(s.arrays.seg, 'u32', cap);
    this.off = r.get(s.arrays.off, 'u32', cap);
    this.len = r.get(s.arrays.len, 'u32', cap);
    this.metaOf = r.get(s.arrays.meta, 'u32', cap);
    this.born = r.get(s.arrays.born, 'f64', cap);
    this.ids.restore(s.ids, r, cap);
    this.cap = cap;
    this.top = s.top;
    this.free = s.free.map(Number);
    this.bornNext = s.bornNext;
    this.metas.length = 0;
    this.metaCodes.clear();
    for (const m of s.metas) this.metaCode(m);
    if (this.metas.length !== s.metas.length) throw new Error(`index snapshot: ${this.prefix} metas repeat`);
    this.live = s.live;
    this.total = s.total;
    this.floor = s.floor;
  }

  /** Serialises read-modify-write operations; `fn` returns the value and its write's durability. */
  locked<T>(fn: () => Promise<{ value: T; done: Promise<void> }> | { value: T; done: Promise<void> }): Promise<T> {
    // the lock covers the read and queueing the write; durability is awaited outside it (group commit)
    const step = this.chain.then(fn);
    this.chain = step.catch(() => {});
    return step.then(async ({ value, done }) => {
      await done;
      return value;
    });
  }

  has(id: string): boolean {
    return this.ids.find(id) >= 0;
  }

  get size(): number {
    return this.ids.size;
  }

  /** The document's JSON text (its latest version), or undefined. */
  async get(id: string): Promise<string | undefined> {
    this.reads++;
    for (let attempt = 0; ; attempt++) {
      const slot = this.ids.find(id);
      if (slot < 0) return undefined;
      const loc = { seg: this.seg[slot], off: this.off[slot], len: this.len[slot] };
      const json = await this.j.read(loc, id);
      if (json !== undefined) return json;
      // moved by a compaction meanwhile (or replaced): read again; still there and unreadable: corrupt
      const now = this.ids.find(id);
      if (attempt >= 4 && now >= 0 && this.seg[now] === loc.seg && this.off[now] === loc.off) {
        throw new StoreCorruptError(this.j.dir, `${this.prefix} document ${id} unreadable at segment ${loc.seg} byte ${loc.off}`);
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  /** How many documents' meta passes `test`: from the index alone, nothing is read. */
  count(test: (meta: M) => boolean): number {
    const pass = this.metas.map(test);
    let n = 0;
    for (let s = 0; s < this.top; s++) if (pass[this.metaOf[s]] && this.ids.has(s)) n++;
    return n;
  }

  /** How many documents carry each meta (metas no document carries left out): from the index alone. */
  tally(): { meta: M; count: number }[] {
    const n = new Array<number>(this.metas.length).fill(0);
    for (let s = 0; s < this.top; s++) if (this.ids.has(s)) n[this.metaOf[s]!]!++;
    return this.metas.map((meta, i) => ({ meta, count: n[i]! })).filter((t) => t.count > 0);
  }

  /** Every document (or those whose meta passes `filter`), in the order they were first put, read in bulk. */
  async list(filter?: (meta: M) => boolean): Promise<string[]> {
    const slots: number[] = [];
    for (let s = 0; s < this.top; s++) if (this.ids.has(s) && (!filter || filter(this.metas[this.metaOf[s]]))) slots.push(s);
    slots.sort((a, b) => this.born[a] - this.born[b]);
    const items = slots.map((s) => ({ id: this.ids.id(s), loc: { seg: this.seg[s], off: this.off[s], len: this.len[s] } }));
    this.reads += items.length;
    const jsons = await this.j.readMany(items);
    const out: string[] = [];
    for (let i = 0; i < items.length; i++) {
      const json = jsons[i] ?? (await this.get(items[i].id));
      if (json !== undefined) out.push(json);
    }
    return out;
  }

  /**
   * Sets the document (synchronously in the index); resolves once durable. If the write fails, the
   * index is back on the previous version (or without the document) before the promise rejects.
   */
  put(id: string, json: string, meta: M): Promise<void> {
    const h: Header = { id };
    this.codec.toHeader(meta, h);
    const cur = this.ids.find(id);
    const oldLen = cur >= 0 ? this.len[cur] : (this.deleting.get(id)?.len ?? 0);
    const entry: DocEntry = { seg: 0, off: 0, len: 0, meta: this.metaCode(meta), prev: cur >= 0 ? this.capture(cur) : null };
    const { loc, done } = this.j.append(h, json, () => this.undo(id, entry));
    entry.seg = loc.seg;
    entry.off = loc.off;
    entry.len = loc.len;
    if (cur >= 0) this.live -= oldLen;
    const slot = this.setCurrent(id, entry);
    this.inflight.set(slot, entry);
    this.live += loc.len;
    this.total += loc.len;
    this.maybeCompact();
    return done.then(() => {
      entry.prev = undefined;
      const s = this.ids.find(id);
      if (s >= 0 && this.inflight.get(s) === entry) this.inflight.delete(s);
    });
  }

  /** A failed write of `entry`: put its predecessor back (newest failures are undone first). */
  private undo(id: string, entry: DocEntry): void {
    this.total -= entry.len;
    const slot = this.ids.find(id);
    if (slot < 0 || this.inflight.get(slot) !== entry) return;
    this.live -= entry.len;
    const prev = entry.prev;
    if (prev) {
      this.setCurrent(id, prev);
      if (prev.prev === undefined) this.inflight.delete(slot);
      else this.inflight.set(slot, prev);
      this.live += prev.len;
    } else this.removeSlot(slot);
  }

  delete(id: string): Promise<void> {
    const slot = this.ids.find(id);
    if (slot < 0) return Promise.resolve();
    const old = this.capture(slot);
    const { loc, done } = this.j.append({ id, del: 1 }, 'null', () => {
      this.total -= loc.len;
      if (this.deleting.get(id) === old && !this.has(id)) {
        const s = this.setCurrent(id, old);
        if (old.prev !== undefined) this.inflight.set(s, old);
        this.live += old.len;
      }
      if (this.deleting.get(id) === old) this.deleting.delete(id);
    });
    this.removeSlot(slot);
    this.deleting.set(id, old);
    this.live -= old.len;
    this.total += loc.len;
    this.maybeCompact();
    return done.then(() => {
      if (this.deleting.get(id) === old) this.deleting.delete(id);
    });
  }

  /**
   * The version whose line is at `loc`, if the index (or an in-flight write's rollback) still needs
   * it: 'current' for the live version (in the typed arrays), else the in-flight chain's entry.
   */
  private versionAt(id: string, loc: Loc): DocEntry | 'current' | undefined {
    const slot = this.ids.find(id);
    if (slot >= 0) {
      if (this.seg[slot] === loc.seg && this.off[slot] === loc.off) return 'current';
      for (let e = this.inflight.get(slot)?.prev; e; e = e.prev) if (e.seg === loc.seg && e.off === loc.off) return e;
    }
    const d = this.deleting.get(id);
    return d && d.seg === loc.seg && d.off === loc.off ? d : undefined;
  }

  /** Where `id`'s current version is, if it exists. */
  private locOf(id: string): Loc | undefined {
    const slot = this.ids.find(id);
    return slot < 0 ? undefined : { seg: this.seg[slot], off: this.off[slot], len: this.len[slot] };
  }

  private maybeCompact(): void {
    if (this.compacting || this.closed) return;
    const dead = this.total - this.live - this.floor;
    // superseded versions past a third of the journal: records with short histories get here too
    // (each version is longer than the last, so "dead > live" is never reached by two transitions)
    if (dead > this.opts.compactBytes && dead * 2 > this.live) void this.compact();
  }

  /** Drops superseded versions and the documents of deleted ids from the sealed segments. */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    this.compacting = (async () => {
      try {
        const r = await this.j.compact(
          (h, loc) => {
            const id = String(h.id);
            const e = this.locOf(id);
            if (h.del) return !e || !this.j.isDurable(e); // a tombstone stays while its id is deleted
            if (this.versionAt(id, loc)) return true; // the live version, or one a failing write may fall back to
            if (!e) return false;
            return !this.j.isDurable(e); // superseded: only once the newer version is durable
          },
          (h, from, to) => {
            if (h.del) return;
            const id = String(h.id);
            const e = this.versionAt(id, from);
            if (e === 'current') {
              const slot = this.ids.find(id);
              this.seg[slot] = to.seg;
              this.off[slot] = to.off;
              const head = this.inflight.get(slot);
              if (head && head.seg === from.seg && head.off === from.off) {
                head.seg = to.seg;
                head.off = to.off;
              }
            } else if (e) {
              e.seg = to.seg;
              e.off = to.off;
            }
          },
        );
        this.total = await this.j.totalBytes();
        // what this compaction could not remove (tombstones, versions whose successor was in flight)
        let liveDone = 0;
        for (let s = 0; s < this.top; s++) if (this.ids.has(s) && this.seg[s] <= r.upTo) liveDone += this.len[s];
        this.floor = Math.max(0, r.bytes - liveDone);
        this.opts.onCompacted?.();
      } catch (e) {
        this.opts.warn(`store: compaction of ${this.prefix} failed: ${(e as Error).message}`);
      } finally {
        this.compacting = undefined;
      }
    })();
    return this.compacting;
  }

  /** Resolves when no compaction is running. */
  async idle(): Promise<void> {
    while (this.compacting) await this.compacting;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain.catch(() => {});
    await this.compacting;
    await this.j.close();
  }
}
