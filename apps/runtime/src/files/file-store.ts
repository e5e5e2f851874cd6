// Files that came in with an event (form uploads, e-mail attachments), kept outside the run documents:
// grouped by owner (the run the file belongs to), each with a small JSON description. A file is durable
// before put() resolves, so a run that references it never points at nothing; files of runs that no
// longer exist (pruned, or never created because the event was refused or the process died first) are
// removed by prune().
//
// Where: on the embedded store, a folder — FLOWDESK_FILES_DIR, default <data dir>/files (below). On
// PostgreSQL, the database (store/postgres/files.ts), so every instance sees every file and pg_dump
// takes them; FLOWDESK_FILES_DIR there names a folder the instances share instead.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** What a run's payload holds for a file: enough to show it and fetch it, never its content. */
export interface FileRef {
  /** `<owner>.<uuid>`; GET /api/files/<id> downloads it (admin surface, as an attachment) */
  id: string;
  name: string;
  /** the MIME type the sender declared */
  type: string;
  size: number;
  sha256: string;
  url: string;
}

export interface StoredFile extends FileRef {
  owner: string;
  createdAt: string;
}

export class FileTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`file over ${limit} bytes`);
    this.name = 'FileTooLargeError';
  }
}

export interface FileStore {
  /**
   * Stores `content` for `owner` (a run id, or the id its run will get). Refuses more than `maxBytes`
   * (FileTooLargeError, nothing kept). Resolves once the file and its description are durable.
   */
  put(content: Readable | Buffer, meta: { owner: string; name: string; type: string; maxBytes?: number }): Promise<StoredFile>;
  get(id: string): Promise<StoredFile | undefined>;
  /** the file's description and a stream of its bytes */
  open(id: string): Promise<{ file: StoredFile; stream: Readable } | undefined>;
  /** every file of `owner` */
  list(owner: string): Promise<StoredFile[]>;
  /** every owner with a file */
  owners(): Promise<string[]>;
  /** removes every file of `owner`; resolves with how many */
  removeOwner(owner: string): Promise<number>;
  /**
   * Removes the files of owners for whom `keep(owner)` is false, once their directory is older than
   * `graceMs` (a file is written a moment before its run). Resolves with how many owners were removed.
   */
  prune(keep: (owner: string) => Promise<boolean>, opts: { nowMs: number; graceMs: number }): Promise<number>;
}

const OWNER = /^[A-Za-z0-9_-]{1,128}$/;
const ID = /^([A-Za-z0-9_-]{1,128})\.([0-9a-f-]{36})$/;

/** The owner, checked: it names a folder (or a key), so never a path. */
export function checkedOwner(owner: string): string {
  if (!OWNER.test(owner)) throw new Error(`invalid file owner ${JSON.stringify(owner)}`);
  return owner;
}

/** A file id's owner and uuid; undefined for anything that is not one of ours. */
export function parseFileId(id: string): { owner: string; uuid: string } | undefined {
  const m = ID.exec(id);
  return m ? { owner: m[1]!, uuid: m[2]! } : undefined;
}

/** The description of a file stored under `owner` with `uuid`. */
export function describeFile(meta: { owner: string; name: string; type: string }, uuid: string, size: number, sha256: string, nowMs: number): StoredFile {
  const id = `${meta.owner}.${uuid}`;
  return { id, name: cleanFileName(meta.name), type: meta.type, size, sha256, url: `/api/files/${id}`, owner: meta.owner, createdAt: new Date(nowMs).toISOString() };
}

/** `content` as chunks, refusing past `maxBytes` (FileTooLargeError) as soon as it is passed. */
export async function* limitedChunks(content: Readable | Buffer, maxBytes: number | undefined): AsyncIterable<Buffer> {
  let size = 0;
  for await (const chunk of Buffer.isBuffer(content) ? [content] : (content as AsyncIterable<Buffer>)) {
    size += chunk.length;
    if (maxBytes !== undefined && size > maxBytes) throw new FileTooLargeError(maxBytes);
    yield chunk;
  }
}

/** A file name safe to keep and to show: no path, no control characters, at most 200 characters. */
export function cleanFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}

/**
 * `primary`, also reading (and removing from) `legacy`: files an earlier release kept elsewhere (on
 * PostgreSQL, in <data dir>/files) stay downloadable, and are pruned with their runs, after an upgrade.
 */
export function alsoReading(primary: FileStore, legacy: FileStore): FileStore {
  return {
    put: (content, meta) => primary.put(content, meta),
    get: async (id) => (await primary.get(id)) ?? legacy.get(id),
    open: async (id) => (await primary.open(id)) ?? legacy.open(id),
    list: async (owner) => [...(await primary.list(owner)), ...(await legacy.list(owner))],
    owners: async () => [...new Set([...(await primary.owners()), ...(await legacy.owners())])].sort(),
    removeOwner: async (owner) => (await primary.removeOwner(owner)) + (await legacy.removeOwner(owner)),
    prune: async (keep, opts) => (await primary.prune(keep, opts)) + (await legacy.prune(keep, opts)),
  };
}

export function filesDirFromEnv(env: Record<string, string | undefined>, dataDir: string): string {
  return env.FLOWDESK_FILES_DIR || join(dataDir, 'files');
}

export function createFileStore(opts: { dir: string; fsync: boolean; now: () => number }): FileStore {
  const { dir } = opts;
  const ownerDir = (owner: string) => join(dir, checkedOwner(owner));
  const parse = parseFileId;

  async function syncDir(path: string): Promise<void> {
    if (!opts.fsync) return;
    const fh = await open(path, 'r');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  async function writeDurably(path: string, data: string | Buffer): Promise<void> {
    const fh = await open(path, 'w', 0o600);
    try {
      await fh.writeFile(data);
      if (opts.fsync) await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  async function describe(id: string): Promise<StoredFile | undefined> {
    const p = parse(id);
    if (!p) return undefined;
    try {
      return JSON.parse(await readFile(join(dir, p.owner, `${p.uuid}.json`), 'utf8')) as StoredFile;
    } catch {
      return undefined;
    }
  }

  return {
    async put(content, meta) {
      const od = ownerDir(meta.owner);
      await mkdir(od, { recursive: true, mode: 0o700 });
      const uuid = randomUUID();
      const part = join(od, `${uuid}.part`);
      const hash = createHash('sha256');
      let size = 0;
      const fh = await open(part, 'w', 0o600);
      try {
        for await (const chunk of limitedChunks(content, meta.maxBytes)) {
          size += chunk.length;
          hash.update(chunk);
          await fh.write(chunk);
        }
        if (opts.fsync) await fh.datasync();
      } catch (e) {
        await fh.close().catch(() => {});
        await rm(part, { force: true });
        throw e;
      }
      await fh.close();
      await rename(part, join(od, `${uuid}.bin`));
      const file = describeFile(meta, uuid, size, hash.digest('hex'), opts.now());
      await writeDurably(join(od, `${uuid}.json`), JSON.stringify(file));
      await syncDir(od);
      return file;
    },
    get: describe,
    async open(id) {
      const file = await describe(id);
      const p = parse(id);
      if (!file || !p) return undefined;
      const path = join(dir, p.owner, `${p.uuid}.bin`);
      try {
        await stat(path);
      } catch {
        return undefined;
      }
      return { file, stream: createReadStream(path) };
    },
    async list(owner) {
      let names: string[];
      try {
        names = await readdir(ownerDir(owner));
      } catch {
        return [];
      }
      const out: StoredFile[] = [];
      for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
        const f = await describe(`${owner}.${n.slice(0, -'.json'.length)}`);
        if (f) out.push(f);
      }
      return out;
    },
    async owners() {
      const names = await readdir(dir).catch(() => [] as string[]);
      const out: string[] = [];
      for (const n of names.sort()) if (OWNER.test(n) && (await this.list(n)).length) out.push(n);
      return out;
    },
    async removeOwner(owner) {
      const od = ownerDir(owner);
      let n: number;
      try {
        n = (await readdir(od)).filter((x) => x.endsWith('.bin')).length;
      } catch {
        return 0;
      }
      await rm(od, { recursive: true, force: true });
      return n;
    },
    async prune(keep, { nowMs, graceMs }) {
      let owners: string[];
      try {
        owners = await readdir(dir);
      } catch {
        return 0;
      }
      let removed = 0;
      for (const owner of owners) {
        if (!OWNER.test(owner)) continue;
        const od = join(dir, owner);
        const s = await stat(od).catch(() => undefined);
        if (!s?.isDirectory()) continue;
        // age on the runtime's clock from the descriptions; a directory a crash left without any, by its mtime
        const files = await this.list(owner);
        const newest = files.length ? Math.max(...files.map((f) => Date.parse(f.createdAt))) : undefined;
        const age = newest !== undefined ? nowMs - newest : Date.now() - s.mtimeMs;
        if (age < graceMs) continue;
        if (await keep(owner)) continue;
        await rm(od, { recursive: true, force: true });
        removed++;
      }
      return removed;
    },
  };
}
