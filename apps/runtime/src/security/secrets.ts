// Secrets and settings by name: FLOWDESK_SECRET_<NAME> / FLOWDESK_CONFIG_<NAME> from the environment,
// else <dataDir>/secrets.json ({"secrets": {...}, "config": {...}}), which must have mode 0600.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SECRET_ENV_PREFIX = 'FLOWDESK_SECRET_';
export const CONFIG_ENV_PREFIX = 'FLOWDESK_CONFIG_';
export const SECRETS_FILE = 'secrets.json';

export interface Secrets {
  secret(name: string): string | undefined;
  config(name: string): string | undefined;
  /** Every secret value (for redaction). */
  values(): string[];
  /** Names only, never values (for listings). */
  names(): { secrets: string[]; config: string[] };
}

export class SecretsFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`secrets file ${file}: ${reason}`);
    this.name = 'SecretsFileError';
  }
}

export function loadSecrets(opts: { env: Record<string, string | undefined>; dataDir?: string }): Secrets {
  const secrets = new Map<string, string>();
  const config = new Map<string, string>();

  if (opts.dataDir) {
    const file = readSecretsFile(join(opts.dataDir, SECRETS_FILE));
    if (file) {
      for (const [k, v] of Object.entries(file.secrets)) secrets.set(k, v);
      for (const [k, v] of Object.entries(file.config)) config.set(k, v);
    }
  }
  // The environment wins over the file.
  for (const [k, v] of Object.entries(opts.env)) {
    if (v === undefined || v === '') continue;
    if (k.startsWith(SECRET_ENV_PREFIX) && k.length > SECRET_ENV_PREFIX.length) secrets.set(k.slice(SECRET_ENV_PREFIX.length), v);
    else if (k.startsWith(CONFIG_ENV_PREFIX) && k.length > CONFIG_ENV_PREFIX.length) config.set(k.slice(CONFIG_ENV_PREFIX.length), v);
  }

  return {
    secret: (name) => secrets.get(name),
    config: (name) => config.get(name),
    values: () => [...new Set(secrets.values())],
    names: () => ({ secrets: [...secrets.keys()].sort(), config: [...config.keys()].sort() }),
  };
}

function readSecretsFile(file: string): { secrets: Record<string, string>; config: Record<string, string> } | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SecretsFileError(file, (e as Error).message);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new SecretsFileError(
      file,
      `mode is ${(mode & 0o777).toString(8).padStart(4, '0')}: it is readable by group or others; refusing to load it (run: chmod 600 ${file})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SecretsFileError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(parsed)) throw new SecretsFileError(file, 'expected an object {"secrets": {...}, "config": {...}}');
  return { secrets: stringMap(file, parsed, 'secrets'), config: stringMap(file, parsed, 'config') };
}

function stringMap(file: string, obj: Record<string, unknown>, field: string): Record<string, string> {
  const v = obj[field];
  if (v === undefined) return {};
  if (!isObject(v)) throw new SecretsFileError(file, `"${field}" must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new SecretsFileError(file, `"${field}.${k}" must be a string`);
    out[k] = val;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
