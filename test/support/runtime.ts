// Test support: a runtime in-process on a temp data dir and a free port, with a hand-moved clock.
import { mkdtempSync, rmSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startRuntime, ManualClock, type Runtime, type RuntimeOptions } from '../../apps/runtime/src/index.ts';

export const REPO = resolve(import.meta.dirname, '../..');
/** the master key the tests give runtimes on PostgreSQL (32 bytes, base64) */
export const TEST_MASTER_KEY = Buffer.alloc(32, 42).toString('base64');
export const FLOWS_DIR = join(REPO, 'flows');

export const quietLog = {
  info: () => {},
  warn: () => {},
  error: (o: unknown, m?: string) => {
    if (process.env.FLOWDESK_TEST_LOG) console.error(m, o);
  },
};

export interface TestRuntime extends Runtime {
  clock: ManualClock;
  dataDir: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  put(path: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  del(path: string): Promise<{ status: number; body: any }>;
  /** moves the clock and fires whatever became due */
  advance(ms: number): Promise<void>;
  /** closes the server and removes the data dir */
  dispose(): Promise<void>;
}

export function tempDir(prefix = 'flowdesk-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A flows dir holding copies of the named shipped flows (plus the state map). */
export function flowsDirWith(names: string[]): string {
  const dir = tempDir('flowdesk-flows-');
  mkdirSync(dir, { recursive: true });
  cpSync(join(FLOWS_DIR, 'state-map.json'), join(dir, 'state-map.json'));
  for (const n of names) cpSync(join(FLOWS_DIR, `${n}.json`), join(dir, `${n}.json`));
  return dir;
}

/** A flows dir holding the state map and the given flow documents (one file each, named by id). */
export function flowsDirWithDocs(docs: ({ id: string } & Record<string, unknown>)[]): string {
  const dir = flowsDirWith([]);
  for (const d of docs) writeFileSync(join(dir, `${d.id}.json`), JSON.stringify(d));
  return dir;
}

/** `unique` keys plus `duplicates` repeats of random ones, shuffled deterministically (mulberry32). */
export function shuffledKeys(unique: number, duplicates: number, random: () => number): string[] {
  const keys = [...Array.from({ length: unique }, (_, i) => `k${i}`), ...Array.from({ length: duplicates }, () => `k${Math.floor(random() * unique)}`)];
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  return keys;
}

export async function startTestRuntime(opts: Partial<RuntimeOptions> & { clock?: ManualClock } = {}): Promise<TestRuntime> {
  const dataDir = opts.dataDir ?? tempDir();
  const clock = opts.clock ?? new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
  // PostgreSQL needs a master key (connections are sealed with it): the tests' own, unless the test gives one
  const env = opts.databaseUrl && opts.env?.FLOWDESK_MASTER_KEY === undefined ? { ...opts.env, FLOWDESK_MASTER_KEY: TEST_MASTER_KEY } : opts.env ?? {};
  const rt = await startRuntime({ port: 0, fsync: false, log: quietLog, pollMs: 0, ...opts, env, dataDir, clock });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(rt.url + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return {
    ...rt,
    clock,
    dataDir,
    post: (p, b, h) => call('POST', p, b, h),
    get: (p, h) => call('GET', p, undefined, h),
    put: (p, b) => call('PUT', p, b),
    del: (p) => call('DELETE', p),
    async advance(ms: number) {
      clock.advance(ms);
      await rt.settle();
    },
    async dispose() {
      await rt.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
