// A small mutable collection (flows, timers, settings, alerts): documents by id, held in memory as
// JSON text (so every read hands out a fresh copy). On disk: a lowdb file `<name>.json` (the snapshot, read and written through
// lowdb with an atomic adapter) plus an append-only change log `<name>.log-<gen>.jsonl` that takes
// every write with group commit. A write costs one appended line, whatever the collection's size;
// when the log has grown past the snapshot's size, a new snapshot is written in the background
// (never on the caller's path) and the older logs are deleted.
import { readFile, readdir, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { StoreCorruptError } from '../types.ts';
import { AppendLog, type StoreStats } from './append-log.ts';
import { atomicWrite, scanLines } from './fsutil.ts';

export interface Snapshot {
  gen: number;
  items: Map<string, string>;
}

/** lowdb adapter for a snapshot file: atomic replace (temp + fsync + rename + dir fsync). */
export class SnapshotFile implements Adapter<Snapshot> {
  constructor(
    readonly file: string,
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly onBytes: (n: number) => void,
  ) {}

  async read(): Promise<Snapshot | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StoreCorruptError(this.file, (e as Error).message);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new StoreCorruptError(this.file, `not valid JSON (${(e as Error).message})`);
    }
    const p = parsed as { gen?: unknown; items?: unknown };
    if (!p || typeof p !== 'object' || typeof p.gen !== 'number' || !p.items || typeof p.items !== 'object' || Array.isArray(p.items)) {
      throw new StoreCorruptError(this.file, 'not a Flowdesk collection file ({gen, items})');
    }
    const items = new Map<string, string>();
    for (const [k, v] of Object.entries(p.items as Record<string, unknown>)) items.set(k, JSON.stringify(v));
    this.onBytes(Buffer.byteLength(text));
    return { gen: p.gen, items };
  }

  async write(data: Snapshot): Promise<void> {
    const items = data.items;
    function* chunks(): Generator<string> {
      yield `{"gen":${data.gen},"items":{`;
      let first = true;
      for (const [k, v] of items) {
        yield `${first ? '\n' : ',\n'}${JSON.stringify(k)}:${v}`;
        first = false;
      }
      yield '\n}}\n';
    }
    this.onBytes(await atomicWrite(this.file, this.dir, chunks(), this.fsync));
  }
}

export interface CollectionOptions {
  fsync: boolean;
  stats: StoreStats;
  warn: (msg: string) => void;
  /** the log is compacted into a new snapshot once it exceeds max(this, 2 × snapshot size) */
  compactBytes: number;
}

export class Collection {
  items = new Map<string, string>();
  private gen = 0;
  private log: AppendLog | undefined;
  private snapshotBytes = 0;
  private compacting: Promise<void> | undefined;
  private readonly adapter: SnapshotFile;
  private closed = false;

  constructor(
    readonly dir: string,
    readonly name: string,
    private readonly opts: CollectionOptions,
  ) {
    this.adapter = new SnapshotFile(join(dir, `${name}.json`), dir, opts.fsync, (n) => (this.snapshotBytes = n));
  }

  private logFile(gen: number): string {
    return join(this.dir, `${this.name}.log-${String(gen).padStart(6, '0')}.jsonl`);
  }

  /** Loads the snapshot and replays the logs; throws StoreCorruptError naming a bad file. */
  async open(): Promise<void> {
    const missing: Snapshot = { gen: -1, items: new Map() };
    const low = new Low<Snapshot>(this.adapter, missing);
    await low.read();
    let snap = low.data;
    if (snap === missing) {
      // first start: create the (empty) collection file
      snap = { gen: 0, items: new Map() };
      await this.adapter.write(snap);
    }
    this.items = snap.items;
    this.gen = snap.gen;
    const re = new RegExp(`^${this.name}\\.log-(\\d{6,})\\.jsonl$`);
    const gens = (await readdir(this.dir))
      .map((n) => re.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const stale = gens.filter((g) => g < snap.gen);
    const live = gens.filter((g) => g >= snap.gen);
    const truncations: { file: string; good: number; found: number }[] = [];
    let lastSize = 0;
    for (const g of live) {
      const file = this.logFile(g);
      const res = await scanLines(file, (buf, start, end) => {
        let e: { k?: unknown; v?: unknown; del?: unknown };
        try {
          e = JSON.parse(buf.toString('utf8', start, end));
        } catch {
          return false;
        }
        if (!e || typeof e.k !== 'string') return false;
        if (e.del === 1) this.items.delete(e.k);
        else if (e.v !== undefined) this.items.set(e.k, JSON.stringify(e.v));
        else return false;
        return true;
      });
      if (res.bad) throw new StoreCorruptError(file, `bad line at byte ${res.bad.offset}`);
      if (res.goodLength < res.fileLength) truncations.push({ file, good: res.goodLength, found: res.fileLength });
      lastSize = res.goodLength;
    }
    for (const t of truncations) {
      this.opts.warn(`store: dropping a torn last line of ${t.file} (${t.found - t.good} bytes at offset ${t.good}, never acknowledged)`);
      await truncate(t.file, t.good);
    }
    // logs older than the snapshot are left over from an interrupted compaction: already in it
    for (const g of stale) await unlink(this.logFile(g)).catch(() => {});
    if (live.length) {
      this.gen = live[live.length - 1];
      this.log = new AppendLog(this.logFile(this.gen), lastSize, { fsync: this.opts.fsync, stats: this.opts.stats, created: false });
    } else {
      this.log = new AppendLog(this.logFile(this.gen), 0, { fsync: this.opts.fsync, stats: this.opts.stats, created: true });
    }
  }

  get(id: string): string | undefined {
    return this.items.get(id);
  }

  /** Sets `id` to the JSON text `json` in memory at once; the promise resolves when durable. */
  set(id: string, json: string): Promise<void> {
    this.items.set(id, json);
    return this.append(`{"k":${JSON.stringify(id)},"v":${json}}\n`);
  }

  delete(id: string): Promise<void> {
    if (!this.items.delete(id)) return Promise.resolve();
    return this.append(`{"k":${JSON.stringify(id)},"del":1}\n`);
  }

  private append(line: string): Promise<void> {
    if (this.closed || !this.log) return Promise.reject(new Error(`collection ${this.name} is closed`));
    const { done } = this.log.append(Buffer.from(line));
    if (!this.compacting && this.log.size > Math.max(this.opts.compactBytes, 2 * this.snapshotBytes)) this.compact();
    return done;
  }

  /**
   * Writes a snapshot of the current items (a consistent copy: values are immutable strings) as
   * generation gen+1, switching new writes to log gen+1 first; then deletes the older logs. Runs in
   * the background; callers' writes never wait for it. Resolves when done.
   */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    const snap: Snapshot = { gen: this.gen + 1, items: new Map(this.items) };
    const old = this.log!;
    const oldGen = this.gen;
    this.gen = snap.gen;
    this.log = new AppendLog(this.logFile(this.gen), 0, { fsync: this.opts.fsync, stats: this.opts.stats, created: true });
    this.compacting = (async () => {
      try {
        const low = new Low<Snapshot>(this.adapter, snap);
        await low.write();
        this.opts.stats.rewrites++;
        await old.close();
        for (let g = oldGen; g >= 0; g--) {
          try {
            await unlink(this.logFile(g));
          } catch {
            break; // older ones were removed by an earlier compaction
          }
        }
      } catch (e) {
        // the logs are all still there: nothing is lost, the next compaction tries again
        this.opts.warn(`store: compaction of ${this.name} failed: ${(e as Error).message}`);
        await old.close().catch(() => {});
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

  async drain(): Promise<void> {
    await this.log?.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compacting;
    await this.log?.close();
  }

  get error(): unknown {
    return this.log?.error;
  }
}
