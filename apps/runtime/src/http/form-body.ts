// Webhook bodies other than JSON: application/x-www-form-urlencoded (parsed from the raw bytes) and
// multipart/form-data (streamed through busboy; each file goes to the file store as it arrives, under
// the trigger's limits). Both give the same thing: fields by name (a repeated name, or one ending in
// `[]`, is a list) and files as references. Limits are refused with the status and reason to answer.
import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { FILE_LIMITS } from '@flowdesk/schema';
import { FileTooLargeError, type FileRef, type FileStore } from '../files/file-store.ts';

export type BodyKind = 'json' | 'urlencoded' | 'multipart';

export function bodyKind(contentType: string | undefined): BodyKind | undefined {
  if (!contentType) return undefined;
  if (/^application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType)) return 'json';
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) return 'urlencoded';
  if (/^multipart\/form-data\b/i.test(contentType)) return 'multipart';
  return undefined;
}

/** A body refused: the HTTP status and the reason, for the sender. */
export class BodyRefused extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    reason: string,
  ) {
    super(reason);
    this.name = 'BodyRefused';
  }
}

/** Per form: how many fields, and how long a name and a value may be. */
export const FORM_LIMITS = { fields: 1000, nameBytes: 256, valueBytes: 256 * 1024 } as const;

export interface FileLimits {
  maxBytes?: number;
  maxFiles?: number;
  types?: string[];
}

/** Fields in arrival order; `name[]` is the list `name`. */
class Fields {
  private map = new Map<string, unknown[]>();
  private lists = new Set<string>();
  add(rawName: string, value: unknown): void {
    let name = rawName;
    if (name.endsWith('[]') && name.length > 2) {
      name = name.slice(0, -2);
      this.lists.add(name);
    }
    const cur = this.map.get(name);
    if (cur) cur.push(value);
    else this.map.set(name, [value]);
  }
  get size(): number {
    return this.map.size;
  }
  toPayload(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, vs] of this.map) {
      // defineProperty: a field named __proto__ is data, never the object's prototype
      Object.defineProperty(out, k, { value: vs.length === 1 && !this.lists.has(k) ? vs[0] : vs, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}

function charsetOk(contentType: string): boolean {
  const m = /;\s*charset="?([^";\s]+)"?/i.exec(contentType);
  return !m || /^utf-?8$/i.test(m[1]!);
}

/** The fields of an urlencoded body (UTF-8). */
export function parseUrlencoded(raw: Buffer, contentType: string): Record<string, unknown> {
  if (!charsetOk(contentType)) throw new BodyRefused(415, 'form bodies must be UTF-8 (charset=utf-8)');
  const fields = new Fields();
  let count = 0;
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) {
    if (++count > FORM_LIMITS.fields) throw new BodyRefused(413, `form has more than ${FORM_LIMITS.fields} fields`);
    if (Buffer.byteLength(k) > FORM_LIMITS.nameBytes) throw new BodyRefused(413, `form field name over ${FORM_LIMITS.nameBytes} bytes`);
    if (Buffer.byteLength(v) > FORM_LIMITS.valueBytes) throw new BodyRefused(413, `form field "${k.slice(0, 64)}" over ${FORM_LIMITS.valueBytes} bytes`);
    fields.add(k, v);
  }
  return fields.toPayload();
}

const typeAllowed = (type: string, allowed: string[] | undefined): boolean =>
  !allowed || allowed.some((a) => (a.endsWith('/*') ? type.startsWith(a.slice(0, -1)) : a === type));

export interface MultipartResult {
  payload: Record<string, unknown>;
  files: FileRef[];
  /** the raw body, when it was asked for (a signature over the body) */
  raw?: Buffer;
}

/**
 * Streams a multipart body: fields collected, files written to `store` under `owner` within `limits`
 * (undefined: the trigger takes no files). With `keepRaw`, the raw bytes are kept too, up to
 * `rawLimit`. On any refusal the files already written are removed before the error is thrown.
 */
export async function parseMultipart(
  req: IncomingMessage,
  opts: { store: FileStore; owner: string; limits: FileLimits | undefined; keepRaw?: boolean; rawLimit: number },
): Promise<MultipartResult> {
  const contentType = req.headers['content-type'] ?? '';
  const maxFiles = opts.limits ? (opts.limits.maxFiles ?? FILE_LIMITS.maxFiles) : 0;
  const maxBytes = opts.limits?.maxBytes ?? FILE_LIMITS.maxBytes;
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      // a hook that takes no files still lets busboy announce the first one: it is refused by name (415)
      limits: { fieldNameSize: FORM_LIMITS.nameBytes, fieldSize: FORM_LIMITS.valueBytes, fields: FORM_LIMITS.fields, files: Math.max(1, maxFiles), fileSize: maxBytes, parts: FORM_LIMITS.fields + Math.max(1, maxFiles) },
    });
  } catch (e) {
    throw new BodyRefused(400, `malformed multipart body: ${(e as Error).message}`);
  }
  if (!charsetOk(contentType)) throw new BodyRefused(415, 'form bodies must be UTF-8 (charset=utf-8)');

  const fields = new Fields();
  const files: FileRef[] = [];
  const writes: Promise<void>[] = [];
  const raw: Buffer[] = [];
  let rawSize = 0;
  let refused: BodyRefused | undefined;
  const refuse = (status: 400 | 413 | 415, reason: string) => {
    refused ??= new BodyRefused(status, reason);
  };

  bb.on('field', (name, value, info) => {
    if (info.nameTruncated) return refuse(413, `form field name over ${FORM_LIMITS.nameBytes} bytes`);
    if (info.valueTruncated) return refuse(413, `form field "${name.slice(0, 64)}" over ${FORM_LIMITS.valueBytes} bytes`);
    fields.add(name, value);
  });
  bb.on('file', (name, stream, info) => {
    if (!opts.limits) {
      stream.resume();
      return refuse(415, `this hook takes no files (form field "${name.slice(0, 64)}")`);
    }
    const type = (info.mimeType || 'application/octet-stream').toLowerCase();
    if (!typeAllowed(type, opts.limits.types)) {
      stream.resume();
      return refuse(415, `file type ${type} is not accepted (form field "${name.slice(0, 64)}"; accepted: ${opts.limits.types!.join(', ')})`);
    }
    if (refused) return void stream.resume();
    const pass = new PassThrough();
    stream.on('limit', () => refuse(413, `file in form field "${name.slice(0, 64)}" over ${maxBytes} bytes`));
    stream.pipe(pass);
    writes.push(
      opts.store.put(pass, { owner: opts.owner, name: info.filename ?? "", type, maxBytes }).then(
        (f) => {
          const ref: FileRef = { id: f.id, name: f.name, type: f.type, size: f.size, sha256: f.sha256, url: f.url };
          files.push(ref);
          fields.add(name, ref);
        },
        (e: Error) => {
          stream.resume();
          if (e instanceof FileTooLargeError) refuse(413, `file in form field "${name.slice(0, 64)}" over ${maxBytes} bytes`);
          else refuse(400, `file in form field "${name.slice(0, 64)}" could not be stored: ${e.message}`);
        },
      ),
    );
  });
  bb.on('filesLimit', () => refuse(413, `more than ${maxFiles} files`));
  bb.on('fieldsLimit', () => refuse(413, `form has more than ${FORM_LIMITS.fields} fields`));
  bb.on('partsLimit', () => refuse(413, 'form has too many parts'));

  const done = new Promise<void>((resolve, reject) => {
    bb.on('close', resolve);
    bb.on('error', (e: Error) => reject(new BodyRefused(400, `malformed multipart body: ${e.message}`)));
    req.on('error', reject);
  });
  req.on('data', (c: Buffer) => {
    if (!opts.keepRaw) return;
    rawSize += c.length;
    if (rawSize > opts.rawLimit) refuse(413, `signed multipart bodies are limited to ${opts.rawLimit} bytes`);
    else raw.push(c);
  });
  req.pipe(bb);
  try {
    await done;
    await Promise.all(writes);
  } catch (e) {
    await Promise.allSettled(writes);
    await opts.store.removeOwner(opts.owner);
    throw e;
  }
  if (refused) {
    await opts.store.removeOwner(opts.owner);
    throw refused;
  }
  return { payload: fields.toPayload(), files, raw: opts.keepRaw ? Buffer.concat(raw) : undefined };
}
