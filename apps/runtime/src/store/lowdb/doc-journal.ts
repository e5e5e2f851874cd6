// A document collection whose values live on disk: a segmented journal (see journal.ts) of full
// document versions and tombstones, with only an index in memory (id → where its latest version
// is, plus small `meta` fields kept in the line header so the index rebuilds without parsing
// documents). For collections that grow with history (records, reviews, dead letters, tasks,
// outbox, KPI facts): memory stays at ~100 bytes per document, a write is one appended line, and
// superseded versions are compacted away in the background once they outweigh the live data.
import { StoreCorruptError } from '../types.ts';
import { Journal, type Header, type JournalOptions, type Loc } from './journal.ts';
import type { AckVerifier } from './ack-verifier.ts';

export interface DocEntry<M> {
  seg: number;
  off: number;
  len: number;
  meta: M;
  /** while this version's write is in flight: the version it replaced (null: none), to restore if it fails */
  prev?: DocEntry<M> | null;
}

export interface MetaCodec<M> {
  /** copies meta into the line header (flat string fields) */
  toHeader(m: M, h: Header): void;
  fromHeader(h: Header): M;
}

const noMeta: MetaCodec<undefined> = { toHeader: () => {}, fromHeader: () => undefined };

export class DocJournal<M = undefined> {
  readonly index = new Map<string, DocEntry<M>>();
  private readonly j: Journal;
  private chain: Promise<unknown> = Promise.resolve();
  private live = 0;
  private total = 0;
  /** dead bytes compaction cannot remove (tombstones of deleted ids) */
  private floor = 0;
  private compacting: Promise<void> | undefined;
  private closed = false;
  /** ids whose delete is in flight → the version it removed (restored if the tombstone's write fails) */
  private readonly deleting = new Map<string, DocEntry<M>>();

  constructor(
    dir: string,
    readonly prefix: string,
    private readonly opts: JournalOptions & { compactBytes: number },
    private readonly codec: MetaCodec<M> = noMeta as unknown as MetaCodec<M>,
  ) {
    this.j = new Journal(dir, prefix, opts);
  }

  async open(verify?: AckVerifier): Promise<void> {
    await this.j.open((h, loc) => {
      const id = String(h.id);
      const old = this.index.get(id);
      if (old) this.live -= old.len;
      this.total += loc.len;
      if (h.del) this.index.delete(id);
      else {
        this.index.set(id, { seg: loc.seg, off: loc.off, len: loc.len, meta: this.codec.fromHeader(h) });
        this.live += loc.len;
      }
    }, verify);
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
    return this.index.has(id);
  }

  get size(): number {
    return this.index.size;
  }

  /** The document's JSON text (its latest version), or undefined. */
  async get(id: string): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      const e = this.index.get(id);
      if (!e) return undefined;
      const loc = { seg: e.seg, off: e.off, len: e.len };
      const json = await this.j.read(loc, id);
      if (json !== undefined) return json;
      // moved by a compaction meanwhile (or replaced): read again; still there and unreadable: corrupt
      const now = this.index.get(id);
      if (attempt >= 4 && now && now.seg === loc.seg && now.off === loc.off) {
        throw new StoreCorruptError(this.j.dir, `${this.prefix} document ${id} unreadable at segment ${loc.seg} byte ${loc.off}`);
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Every document (or those whose meta passes `filter`), read in bulk. */
  async list(filter?: (id: string, meta: M) => boolean): Promise<string[]> {
    const items: { id: string; loc: Loc }[] = [];
    for (const [id, e] of this.index) if (!filter || filter(id, e.meta)) items.push({ id, loc: { seg: e.seg, off: e.off, len: e.len } });
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
    const old = this.index.get(id) ?? this.deleting.get(id);
    const entry: DocEntry<M> = { seg: 0, off: 0, len: 0, meta, prev: this.index.get(id) ?? null };
    const { loc, done } = this.j.append(h, json, () => this.undo(id, entry));
    entry.seg = loc.seg;
    entry.off = loc.off;
    entry.len = loc.len;
    if (this.index.has(id)) this.live -= old!.len;
    this.index.set(id, entry);
    this.live += loc.len;
    this.total += loc.len;
    this.maybeCompact();
    return done.then(() => {
      entry.prev = undefined;
    });
  }

  /** A failed write of `entry`: put its predecessor back (newest failures are undone first). */
  private undo(id: string, entry: DocEntry<M>): void {
    this.total -= entry.len;
    if (this.index.get(id) !== entry) return;
    this.live -= entry.len;
    const prev = entry.prev;
    if (prev) {
      this.index.set(id, prev);
      this.live += prev.len;
    } else this.index.delete(id);
  }

  delete(id: string): Promise<void> {
    const old = this.index.get(id);
    if (!old) return Promise.resolve();
    const { loc, done } = this.j.append({ id, del: 1 }, 'null', () => {
      this.total -= loc.len;
      if (this.deleting.get(id) === old && !this.index.has(id)) {
        this.index.set(id, old);
        this.live += old.len;
      }
      if (this.deleting.get(id) === old) this.deleting.delete(id);
    });
    this.index.delete(id);
    this.deleting.set(id, old);
    this.live -= old.len;
    this.total += loc.len;
    this.maybeCompact();
    return done.then(() => {
      if (this.deleting.get(id) === old) this.deleting.delete(id);
    });
  }

  /** The version whose line is at `loc`, if the index (or an in-flight write's rollback) still needs it. */
  private versionAt(id: string, loc: Loc): DocEntry<M> | undefined {
    for (let e: DocEntry<M> | null | undefined = this.index.get(id); e; e = e.prev) if (e.seg === loc.seg && e.off === loc.off) return e;
    const d = this.deleting.get(id);
    return d && d.seg === loc.seg && d.off === loc.off ? d : undefined;
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
            const e = this.index.get(id);
            if (h.del) return !e || !this.j.isDurable(e); // a tombstone stays while its id is deleted
            if (this.versionAt(id, loc)) return true; // the live version, or one a failing write may fall back to
            if (!e) return false;
            return !this.j.isDurable(e); // superseded: only once the newer version is durable
          },
          (h, from, to) => {
            if (h.del) return;
            const e = this.versionAt(String(h.id), from);
            if (e) {
              e.seg = to.seg;
              e.off = to.off;
            }
          },
        );
        this.total = await this.j.totalBytes();
        // what this compaction could not remove (tombstones, versions whose successor was in flight)
        let liveDone = 0;
        for (const e of this.index.values()) if (e.seg <= r.upTo) liveDone += e.len;
        this.floor = Math.max(0, r.bytes - liveDone);
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
