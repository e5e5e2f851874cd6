// The index snapshot (`journal/index-snapshot.bin`): the in-memory indexes of every journal as they
// were when the journals held exactly the bytes it names, so that open() loads them in one read and
// replays only the lines written after them, instead of parsing every line of history.
//
// It is a cache, never the truth: open() uses it only when, for every journal, the segments it covers
// are still there, in the same order, each at least as long as it says and with the same CRC-32 over
// the covered bytes (so a segment that was rewritten, cut, or damaged in the middle is noticed: the
// store then rebuilds from the journals, which names any bad line as it always did). The file itself
// carries a CRC-32 of its content; written to a temp file, fsync'ed and renamed into place.
//
// Layout: "FDIXSNAP", u32 version, u32 manifest length, the manifest (JSON: scalars, and for each
// array its type, offset and length), the arrays' bytes (each 8-byte aligned), u32 CRC-32 of all before.
import { MessageChannel } from 'node:worker_threads';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('FDIXSNAP');
const VERSION = 1;
export const INDEX_SNAPSHOT = 'index-snapshot.bin';

type Typed = Uint8Array | Uint32Array | Int32Array | Float64Array;
const KINDS = { u8: Uint8Array, u32: Uint32Array, i32: Int32Array, f64: Float64Array } as const;
type Kind = keyof typeof KINDS;
/** An array in the snapshot: [kind, byte offset in the blob area, element count]. */
export type ArrayRef = [Kind, number, number];

const kindOf = (a: Typed): Kind =>
  a instanceof Float64Array ? 'f64' : a instanceof Int32Array ? 'i32' : a instanceof Uint32Array ? 'u32' : 'u8';

/** Bytes CRC'ed or written between two yields to the event loop while a snapshot is written. */
export const SNAP_CHUNK_BYTES = 1 << 20;

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

const ZEROS = Buffer.alloc(8);

export class SnapWriter {
  private readonly parts: Buffer[] = [];
  private size = 0;
  private poolUsed = 0;
  /** times writeFile() gave the event loop a turn (tests: the work is spread, not one long task) */
  yields = 0;
  /** bytes add() copied into memory it had to allocate then (not the reserved pool) */
  allocated = 0;

  /**
   * `measure`: add() copies nothing, only counts (`bytes`: what a real pass needs, to reserve()).
   * `pool`: memory reserve() made ready, which add() copies into while it lasts.
   */
  constructor(private readonly opts: { measure?: boolean; pool?: Buffer } = {}) {}

  /**
   * Memory for the next snapshot's copy, each page touched beforehand in slices with a turn of the event
   * loop between them: the copy that must happen at one instant is then a memcpy only, without the page
   * faults of fresh memory (which made it ~10× slower, and grew with the indexes).
   */
  static async reserve(bytes: number, chunk = SNAP_CHUNK_BYTES, onYield?: () => void): Promise<Buffer> {
    const b = Buffer.allocUnsafeSlow(bytes);
    for (let at = 0; at < bytes; at += chunk) {
      b.fill(0, at, Math.min(bytes, at + chunk));
      onYield?.();
      await yieldToLoop();
    }
    return b;
  }

  /**
   * Gives a reserved pool's memory back now. A dropped Buffer is freed only when a later mark-compact
   * finds it, and a runtime gone idle after a snapshot may not run one for minutes: the pool (~20 MB at
   * 100k runs) stayed resident. Transferring its ArrayBuffer into a message that is never delivered
   * frees it as the channel closes; `pool` is empty (length 0) afterwards. Answers whether it was freed
   * (a Buffer sharing its ArrayBuffer with others is left alone).
   */
  static release(pool: Buffer): boolean {
    if (pool.byteOffset !== 0 || pool.byteLength !== pool.buffer.byteLength || pool.byteLength === 0) return false;
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(null, [pool.buffer as ArrayBuffer]);
    port1.close();
    port2.close();
    return true;
  }

  /** Bytes of the arrays added so far (with their padding). */
  get bytes(): number {
    return this.size;
  }

  /** Adds the first `n` elements of `a` (a copy is made now); returns its reference for the manifest. */
  add(a: Typed, n = a.length): ArrayRef {
    const len = n * a.BYTES_PER_ELEMENT;
    const ref: ArrayRef = [kindOf(a), this.size, n];
    const pad = (8 - (len % 8)) % 8;
    if (!this.opts.measure) {
      const pool = this.opts.pool;
      let dst: Buffer;
      if (pool && this.poolUsed + len <= pool.length) {
        dst = pool.subarray(this.poolUsed, this.poolUsed + len);
        this.poolUsed += len;
      } else {
        dst = Buffer.allocUnsafe(len);
        this.allocated += len;
      }
      dst.set(new Uint8Array(a.buffer, a.byteOffset, len));
      this.parts.push(dst);
      if (pad) this.parts.push(ZEROS.subarray(0, pad));
    }
    this.size += len + pad;
    return ref;
  }

  private head(manifest: unknown): Buffer {
    const m = Buffer.from(JSON.stringify(manifest));
    const head = Buffer.alloc(MAGIC.length + 8 + m.length + ((8 - ((MAGIC.length + 8 + m.length) % 8)) % 8));
    MAGIC.copy(head, 0);
    head.writeUInt32LE(VERSION, MAGIC.length);
    head.writeUInt32LE(m.length, MAGIC.length + 4);
    m.copy(head, MAGIC.length + 8);
    return head;
  }

  /** The whole snapshot in one buffer (tests; the store writes with writeFile). */
  encode(manifest: unknown): Buffer {
    const body = Buffer.concat([this.head(manifest), ...this.parts]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(crc32(body));
    return Buffer.concat([body, tail]);
  }

  /**
   * Writes the same bytes as encode() to `fh` without ever holding the event loop for long: the arrays
   * copied at add() are CRC'ed and written in slices of `chunk` bytes, with a turn of the loop between
   * slices (no concatenated copy of the whole snapshot). Returns the bytes written.
   */
  async writeFile(fh: { write(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> }, manifest: unknown, chunk = SNAP_CHUNK_BYTES): Promise<number> {
    let pos = 0;
    let crc = 0;
    const put = async (buf: Buffer) => {
      for (let at = 0; at < buf.length; ) {
        const { bytesWritten } = await fh.write(buf, at, buf.length - at, pos);
        if (bytesWritten <= 0) throw new Error('index snapshot: short write');
        at += bytesWritten;
        pos += bytesWritten;
      }
    };
    let since = 0;
    for (const part of [this.head(manifest), ...this.parts]) {
      for (let at = 0; at < part.length; at += chunk) {
        const slice = part.subarray(at, Math.min(part.length, at + chunk));
        crc = crc32(slice, crc);
        await put(slice);
        since += slice.length;
        if (since >= chunk) {
          since = 0;
          this.yields++;
          await yieldToLoop();
        }
      }
    }
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(crc >>> 0);
    await put(tail);
    return pos;
  }
}

export class SnapReader {
  private constructor(
    private readonly blobs: Buffer,
    readonly manifest: unknown,
  ) {}

  /** The snapshot in `buf`, or undefined when it is not one, of another version, or damaged. */
  static decode(buf: Buffer): SnapReader | undefined {
    if (buf.length < MAGIC.length + 12 || buf.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) !== 0) return undefined;
    if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) return undefined;
    if (buf.readUInt32LE(MAGIC.length) !== VERSION) return undefined;
    const mLen = buf.readUInt32LE(MAGIC.length + 4);
    const mStart = MAGIC.length + 8;
    if (mStart + mLen > buf.length - 4) return undefined;
    let manifest: unknown;
    try {
      manifest = JSON.parse(buf.toString('utf8', mStart, mStart + mLen));
    } catch {
      return undefined;
    }
    const blobStart = mStart + mLen + ((8 - ((mStart + mLen) % 8)) % 8);
    return new SnapReader(buf.subarray(blobStart, buf.length - 4), manifest);
  }

  /** A fresh array of at least `cap` elements holding the referenced ones (throws when the reference is bad). */
  get<K extends Kind>(ref: ArrayRef, kind: K, cap = 0): InstanceType<(typeof KINDS)[K]> {
    const [k, off, n] = ref;
    const Ctor = KINDS[kind];
    if (k !== kind || !Number.isInteger(off) || !Number.isInteger(n) || off < 0 || n < 0 || off + n * Ctor.BYTES_PER_ELEMENT > this.blobs.length) {
      throw new Error('index snapshot: bad array reference');
    }
    const out = new Ctor(Math.max(cap, n)) as InstanceType<(typeof KINDS)[K]>;
    new Uint8Array(out.buffer, out.byteOffset, n * Ctor.BYTES_PER_ELEMENT).set(this.blobs.subarray(off, off + n * Ctor.BYTES_PER_ELEMENT));
    return out;
  }
}
