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
import { AppendLog, openTrackedLog, type StoreStats, type WriteHealthSink } from './append-log.ts';
import { atomicWrite, scanLines } from './fsutil.ts';
import type { FileLayer } from './file-layer.ts';
import type { Checkpoint } from './checkpoint.ts';
import { tornTailWarning, type AckVerifier, type FoundFile } from './ack-verifier.ts';
import type { CompactionGate } from './compaction-gate.ts';

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
  info?: (msg: string) => void;
  files?: FileLayer;
  health?: WriteHealthSink;
  checkpoint?: Checkpoint;
  /** held by a backup while it copies: compaction waits before it replaces or deletes anything */
  gate?: CompactionGate;
}

export class Collection {
  items = new Map<string, string>();
  private gen = 0;
  private log: AppendLog | undefined;
  private snapshotBytes = 0;
  private compacting: Promise<void> | undefined;
  private readonly adapter: SnapshotFile;
  private closed = false;
  private nextSeq = 1;

  constructor(
    readonly dir: string,
    readonly name: string,
    private readonly opts: CollectionOptions,
  ) {
    this.adapter = new SnapshotFile(join(dir, `${name}.json`), dir, opts.fsync, (n) => (this.snapshotBytes = n));
  }

  private logName(gen: number): string {
    return `${this.name}.log-${String(gen).padStart(6, '0')}.jsonl`;
  }

  private logFile(gen: number): string {
    return join(this.dir, this.logName(gen));
  }

  private newLog(gen: number, size: number, created: boolean, durableTag = 0): AppendLog {
    return openTrackedLog(this.logFile(gen), `db/${this.logName(gen)}`, size, created, durableTag, this.opts);
  }

  /**
   * Loads the snapshot and replays the logs; throws StoreCorruptError naming a bad file, and (through
   * `verify`) StoreDataLostError when acknowledged data is missing — both before any file is touched.
   */
  async open(verify?: AckVerifier): Promise<void> {
    const missing: Snapshot = { gen: -1, items: new Map() };
    const low = new Low<Snapshot>(this.adapter, missing);
    await low.read();
    const found = low.data === missing ? undefined : low.data;
    const snap = found ?? { gen: 0, items: new Map<string, string>() };
    const snapItems = snap.items.size; // before the logs are replayed into the same map
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
    const scanned: (FoundFile & { gen: number })[] = [];
    let maxSeq = 0;
    for (const g of live) {
      const file = this.logFile(g);
      let logMax = 0;
      const res = await scanLines(file, (buf, start, end) => {
        let e: { k?: unknown; v?: unknown; del?: unknown; q?: unknown };
        try {
          e = JSON.parse(buf.toString('utf8', start, end));
        } catch {
          return false;
        }
        if (!e || typeof e.k !== 'string') return false;
        if (e.del === 1) this.items.delete(e.k);
        else if (e.v !== undefined) this.items.set(e.k, JSON.stringify(e.v));
        else return false;
        if (typeof e.q === 'number' && e.q > logMax) logMax = e.q;
        return true;
      });
      // a bad line past everything acknowledged is a torn tail (cut below, once nothing acknowledged is missing)
      if (res.bad && !verify?.tornPast(`db/${this.logName(g)}`, res.bad.offset)) throw new StoreCorruptError(file, `bad line at byte ${res.bad.offset}`);
      scanned.push({ gen: g, rel: `db/${this.logName(g)}`, goodLength: res.goodLength, fileLength: res.fileLength, maxSeq: logMax });
      if (logMax > maxSeq) maxSeq = logMax;
    }
    // stale logs (older than the snapshot) are folded into it: found or not, they are not needed
    verify?.checkGroup(`db/${this.name}.log-`, scanned);
    verify?.checkSnapshot(`db/${this.name}.json`, found ? { gen: found.gen, items: snapItems } : undefined);
    if (!found) await this.adapter.write(snap); // first start: create the (empty) collection file
    for (const t of scanned) {
      if (t.goodLength >= t.fileLength) continue;
      const file = this.logFile(t.gen);
      this.opts.warn(tornTailWarning(file, t));
      await truncate(file, t.goodLength);
    }
    // logs older than the snapshot are left over from an interrupted compaction: already in it
    for (const g of stale) await unlink(this.logFile(g)).catch(() => {});
    this.nextSeq = maxSeq + 1;
    const cp = this.opts.checkpoint;
    cp?.setSnapshot(`db/${this.name}.json`, { gen: snap.gen, items: snapItems });
    for (const t of scanned) cp?.set(t.rel, { bytes: t.goodLength, hi: t.maxSeq });
    if (live.length) {
      const last = scanned[scanned.length - 1]!;
      this.gen = last.gen;
      this.log = this.newLog(this.gen, last.goodLength, false, last.maxSeq);
    } else {
      this.log = this.newLog(this.gen, 0, true);
    }
  }

  get(id: string): string | undefined {
    return this.items.get(id);
  }

  /**
   * Sets `id` to the JSON text `json` in memory at once; the promise resolves when durable. If the
   * write fails, the previous value is back (and `onFail` has run) before the promise rejects.
   */
  set(id: string, json: string, onFail?: () => void): Promise<void> {
    if (this.closed || !this.log) return Promise.reject(new Error(`collection ${this.name} is closed`));
    const prev = this.items.get(id);
    this.items.set(id, json);
    return this.append(`{"k":${JSON.stringify(id)},"v":${json}`, () => {
      if (this.items.get(id) === json) {
        if (prev === undefined) this.items.delete(id);
        else this.items.set(id, prev);
      }
      onFail?.();
    });
  }

  delete(id: string, onFail?: () => void): Promise<void> {
    if (this.closed || !this.log) return Promise.reject(new Error(`collection ${this.name} is closed`));
    const prev = this.items.get(id);
    if (prev === undefined) return Promise.resolve();
    this.items.delete(id);
    return this.append(`{"k":${JSON.stringify(id)},"del":1`, () => {
      if (!this.items.has(id)) this.items.set(id, prev);
      onFail?.();
    });
  }

  /** Appends one change line (`line` without its closing brace: the sequence number goes last). */
  private append(line: string, onFail: () => void): Promise<void> {
    const q = this.nextSeq++;
    const { done } = this.log!.append(Buffer.from(`${line},"q":${q}}\n`), { tag: q, onFail });
    if (!this.compacting && this.log!.size > Math.max(this.opts.compactBytes, 2 * this.snapshotBytes)) this.compact();
    return done;
  }

  /**
   * Writes a snapshot of the current items (a consistent copy: values are immutable strings) as
   * generation gen+1, switching new writes to log gen+1 first; then deletes the older logs. Runs in
   * the background; callers' writes never wait for it. Resolves when done.
   */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    const old = this.log!;
    const oldGen = this.gen;
    this.gen = oldGen + 1;
    this.log = this.newLog(this.gen, 0, true);
    this.compacting = (async () => {
      const leave = await this.opts.gate?.enter();
      try {
        const started = Date.now();
        const oldBytes = old.size;
        // once the old log's writes have settled (a failed one is rolled back), the items hold every
        // value of the old log; newer ones are replayed from the new log over the snapshot anyway
        await old.drain().catch(() => {});
        const snap: Snapshot = { gen: oldGen + 1, items: new Map(this.items) };
        const low = new Low<Snapshot>(this.adapter, snap);
        await low.write();
        this.opts.stats.rewrites++;
        await old.close();
        // the checkpoint first (fsync'ed): the folded logs are no longer claimed before they go
        const cp = this.opts.checkpoint;
        if (cp) {
          cp.setSnapshot(`db/${this.name}.json`, { gen: snap.gen, items: snap.items.size });
          for (let g = oldGen; g >= 0; g--) cp.forget(`db/${this.logName(g)}`);
          await cp.write(true);
        }
        for (let g = oldGen; g >= 0; g--) {
          try {
            await unlink(this.logFile(g));
          } catch {
            break; // older ones were removed by an earlier compaction
          }
        }
        this.opts.info?.(
          `store: compacted the ${this.name} collection: ${oldBytes} bytes of change log folded into ${this.name}.json (generation ${snap.gen}, ${snap.items.size} items, ${this.snapshotBytes} bytes) in ${Date.now() - started} ms`,
        );
      } catch (e) {
        // the logs are all still there: nothing is lost, the next compaction tries again
        this.opts.warn(`store: compaction of ${this.name} failed: ${(e as Error).message}`);
        await old.close().catch(() => {});
      } finally {
        leave?.();
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

}
