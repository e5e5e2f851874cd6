// Starts a throwaway PostgreSQL server on 127.0.0.1 for tests, with the machine's Debian
// PostgreSQL binaries (/usr/lib/postgresql/<ver>/bin). Each call gets its own data dir in a temp
// dir and its own free port; stop() shuts it down and removes the dir.
//
// initdb and postgres refuse to run as root, so when we are root (CI) the server runs as the
// `postgres` OS user created by the Debian package (via runuser). Trust auth on loopback only.
//
// Two settings: 'fast-for-tests' (the default: fsync, synchronous_commit and full_page_writes OFF — the
// data is thrown away, and a test proves behaviour, not speed) and 'durable' (PostgreSQL's own
// defaults, all three on: what the benchmark measures).
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type PostgresSettings = 'fast-for-tests' | 'durable';

/** The server options each setting adds to PostgreSQL's defaults. */
const SETTINGS: Record<PostgresSettings, string[]> = {
  // many test servers run at once: a quarter of PostgreSQL's default buffer cache each
  'fast-for-tests': ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c shared_buffers=32MB'],
  // PostgreSQL's own defaults (shared_buffers 128MB among them): what a founder's server starts with
  durable: [],
};

export interface PostgresInstance {
  settings: PostgresSettings;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** the URL of another database on this server */
  urlFor(database: string): string;
  /** the same database through the server's Unix-domain socket (how a client on the same machine connects by default) */
  socketUrlFor(database: string): string;
  stop(): Promise<void>;
}

/** The bin dir of the newest installed PostgreSQL server, or undefined. */
export function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface OsUser {
  uid: number;
  gid: number;
}

function postgresUser(): OsUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const out = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const outG = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (out.status !== 0 || outG.status !== 0)
    throw new Error('running as root but there is no `postgres` OS user to run the server as (install Debian\'s postgresql package)');
  return { uid: Number(out.stdout.trim()), gid: Number(outG.stdout.trim()) };
}

// servers still running when the process exits (a test file that never reached afterAll) are stopped
const running = new Map<string, () => void>();
process.once('exit', () => {
  for (const stop of running.values()) stop();
});

/**
 * `options`: more server settings (`-c name=value` each), e.g. `shared_preload_libraries=pg_stat_statements`
 * for a benchmark that counts statements — never one of the durability settings above.
 */
export async function startPostgres(opts: { settings?: PostgresSettings; options?: string[] } = {}): Promise<PostgresInstance> {
  const settings = opts.settings ?? 'fast-for-tests';
  const extra = (opts.options ?? []).map((o) => `-c ${o}`);
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql: run `node scripts/ensure-postgres.mjs` (apt-get install -y postgresql)');
  const user = postgresUser();
  // the postgres user must be able to reach the dir: as root, stay out of a private TMPDIR
  const dir = mkdtempSync(join(user && existsSync('/tmp') ? '/tmp' : tmpdir(), 'flowdesk-pg-'));
  const data = join(dir, 'data');
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  // as root: run each command as the postgres user
  const exec = (cmd: string, args: string[]) =>
    user ? run('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: dir }) : run(cmd, args, { cwd: dir });

  try {
    await exec(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', ...(settings === 'durable' ? [] : ['--no-sync']), '--no-instructions']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }

  let lastErr = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const opts = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1'",
      ...SETTINGS[settings],
      '-c max_connections=200',
      ...extra,
    ].join(' ');
    try {
      await exec(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    } catch (e) {
      lastErr = (e as { stderr?: string }).stderr ?? String(e);
      continue; // most likely the port was taken in between: try another
    }
    const urlFor = (db: string) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`;
    const socketUrlFor = (db: string) => `postgres://postgres@/${encodeURIComponent(db)}?host=${encodeURIComponent(dir)}&port=${port}`;
    let stopped = false;
    running.set(dir, () => {
      const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
      if (user) spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
      else spawnSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    });
    return {
      settings,
      url: urlFor('postgres'),
      port,
      urlFor,
      socketUrlFor,
      async stop() {
        if (stopped) return;
        stopped = true;
        running.delete(dir);
        try {
          await exec(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`could not start PostgreSQL: ${lastErr}`);
}
