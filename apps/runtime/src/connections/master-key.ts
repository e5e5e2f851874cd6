// The master key connections are sealed under (AES-256-GCM): FLOWDESK_MASTER_KEY (32 bytes, base64 or
// hex) — deliberately not a FLOWDESK_SECRET_* name, so no flow can read it as {{secrets.…}} — else, on
// the embedded store, <data dir>/master.key, generated on first start with mode 0600. On PostgreSQL
// there is no file every instance shares: the runtime refuses to start without FLOWDESK_MASTER_KEY.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const MASTER_KEY_FILE = 'master.key';
export const MASTER_KEY_ENV = 'FLOWDESK_MASTER_KEY';

export interface MasterKey {
  key: Buffer;
  /** a short fingerprint stored with every sealed value: names the key a value needs */
  kid: string;
  source: 'env' | 'file';
}

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

const HOW = 'generate one with `openssl rand -base64 32`';

/** 32 bytes from base64, base64url or hex text; undefined otherwise. */
export function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return b.length === 32 ? b : undefined;
  }
  return undefined;
}

const kidOf = (key: Buffer): string => createHash('sha256').update('flowdesk-master-key\0').update(key).digest('hex').slice(0, 12);

export function loadMasterKey(opts: { env: Record<string, string | undefined>; dataDir: string; sharedStore: boolean }): MasterKey {
  const fromEnv = opts.env[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = decodeKey(fromEnv);
    if (!key) throw new MasterKeyError(`${MASTER_KEY_ENV} must be 32 random bytes written as base64 or hex (${HOW})`);
    return { key, kid: kidOf(key), source: 'env' };
  }
  if (opts.sharedStore) {
    throw new MasterKeyError(`${MASTER_KEY_ENV} is required with PostgreSQL: every instance must decrypt the connections another stored (${HOW}, and give the same value to every instance)`);
  }
  const file = join(opts.dataDir, MASTER_KEY_FILE);
  let mode: number | undefined;
  try {
    mode = statSync(file).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new MasterKeyError(`${file}: ${(e as Error).message}`);
  }
  if (mode === undefined) {
    const key = createKeyFile(file);
    return { key, kid: kidOf(key), source: 'file' };
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new MasterKeyError(`${file} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}: readable by group or others; refusing to use it (run: chmod 600 ${file})`);
  }
  const key = decodeKey(readFileSync(file, 'utf8'));
  if (!key) throw new MasterKeyError(`${file} does not hold a 32-byte key in base64; restore it from your backup (without it the stored connections cannot be decrypted)`);
  return { key, kid: kidOf(key), source: 'file' };
}

/** Writes a new random key, 0600 from its first byte (never a moment readable by others), durably. */
function createKeyFile(file: string): Buffer {
  const key = randomBytes(32);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dir = openSync(join(file, '..'), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    /* a directory fsync is not possible everywhere */
  }
  return key;
}
