// The file store on PostgreSQL (files/file-store.ts's contract): a file's bytes in ~1 MB chunks, its
// description beside them, visible (`complete`) only once every chunk is committed — so any instance
// serves a file another one took, and a refused or broken upload leaves nothing behind.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { checkedOwner, describeFile, limitedChunks, parseFileId, type FileStore, type StoredFile } from '../../files/file-store.ts';

type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** bytes per chunk row: large enough for few rows, small enough to stream a download in bounded memory */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/** The database's file store; `adopt` also takes a file described elsewhere, under its own id (the migrate CLI). */
export interface DatabaseFileStore extends FileStore {
  /** Stores `content` as `file` (same id, same description); refuses bytes whose size or sha256 differ. */
  adopt(file: StoredFile, content: Readable | Buffer): Promise<void>;
}

export function createDatabaseFileStore(deps: { query: Query; now: () => number }): DatabaseFileStore {
  const { query } = deps;

  async function get(id: string): Promise<StoredFile | undefined> {
    if (!parseFileId(id)) return undefined;
    const { rows } = await query<{ doc: StoredFile }>('SELECT doc FROM files WHERE id = $1 AND complete', [id]);
    return rows[0]?.doc;
  }

  async function removeOwner(owner: string): Promise<number> {
    const { rows } = await query<{ complete: boolean }>('DELETE FROM files WHERE owner = $1 RETURNING complete', [checkedOwner(owner)]);
    return rows.filter((r) => r.complete).length;
  }

  /**
   * Writes a file's row and chunks, then makes it visible with the description `describe` gives for its
   * size and hash; a failure anywhere removes what was written.
   */
  async function write(id: string, owner: string, nowMs: number, content: Readable | Buffer, maxBytes: number | undefined, describe: (size: number, sha256: string) => StoredFile): Promise<StoredFile> {
    await query('INSERT INTO files (id, owner, created_at) VALUES ($1, $2, $3)', [id, checkedOwner(owner), new Date(nowMs)]);
    try {
      const hash = createHash('sha256');
      let size = 0;
      let seq = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        await query('INSERT INTO file_chunks (file_id, seq, data) VALUES ($1, $2, $3)', [id, seq++, Buffer.concat(pending)]);
        pending = [];
        pendingBytes = 0;
      };
      for await (const chunk of limitedChunks(content, maxBytes)) {
        size += chunk.length;
        hash.update(chunk);
        // a large Buffer (an e-mail attachment arrives whole) is cut to rows of FILE_CHUNK_BYTES each
        for (let at = 0; at < chunk.length; ) {
          const piece = chunk.subarray(at, at + FILE_CHUNK_BYTES - pendingBytes);
          at += piece.length;
          pending.push(piece);
          pendingBytes += piece.length;
          if (pendingBytes === FILE_CHUNK_BYTES) await flush();
        }
      }
      if (pendingBytes) await flush();
      const file = describe(size, hash.digest('hex'));
      await query('UPDATE files SET doc = $2, complete = true WHERE id = $1', [id, JSON.stringify(file)]);
      return file;
    } catch (e) {
      await query('DELETE FROM files WHERE id = $1', [id]).catch(() => {});
      throw e;
    }
  }

  return {
    async put(content, meta) {
      const uuid = randomUUID();
      const nowMs = deps.now();
      return write(`${checkedOwner(meta.owner)}.${uuid}`, meta.owner, nowMs, content, meta.maxBytes, (size, sha256) => describeFile(meta, uuid, size, sha256, nowMs));
    },
    async adopt(file, content) {
      if (!parseFileId(file.id) || parseFileId(file.id)!.owner !== file.owner) throw new Error(`file id ${JSON.stringify(file.id)} does not belong to owner ${JSON.stringify(file.owner)}`);
      await query('DELETE FROM files WHERE id = $1', [file.id]);
      await write(file.id, file.owner, Date.parse(file.createdAt), content, undefined, (size, sha256) => {
        if (size !== file.size || sha256 !== file.sha256) throw new Error(`file ${file.id}: its bytes do not match its description (size ${size}, expected ${file.size})`);
        return file;
      });
    },
    async owners() {
      const { rows } = await query<{ owner: string }>('SELECT DISTINCT owner FROM files WHERE complete ORDER BY owner');
      return rows.map((r) => r.owner);
    },
    get,
    async open(id) {
      const file = await get(id);
      if (!file) return undefined;
      async function* chunks(): AsyncIterable<Buffer> {
        for (let seq = 0; ; seq++) {
          const { rows } = await query<{ data: Buffer }>('SELECT data FROM file_chunks WHERE file_id = $1 AND seq = $2', [id, seq]);
          if (!rows[0]) return;
          yield rows[0].data;
        }
      }
      return { file, stream: Readable.from(chunks()) };
    },
    async list(owner) {
      const { rows } = await query<{ doc: StoredFile }>('SELECT doc FROM files WHERE owner = $1 AND complete ORDER BY id', [checkedOwner(owner)]);
      return rows.map((r) => r.doc);
    },
    removeOwner,
    async prune(keep, { nowMs, graceMs }) {
      // age on the runtime's clock: each file's created_at was written from it
      const { rows } = await query<{ owner: string }>('SELECT owner FROM files GROUP BY owner HAVING max(created_at) <= $1', [new Date(nowMs - graceMs)]);
      let removed = 0;
      for (const { owner } of rows) {
        if (await keep(owner)) continue;
        await removeOwner(owner);
        removed++;
      }
      return removed;
    },
  };
}
