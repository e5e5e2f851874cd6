#!/usr/bin/env node
// Makes sure PostgreSQL server binaries exist for the Postgres tests (test/support/postgres.ts
// starts a throwaway server from /usr/lib/postgresql/<ver>/bin). When none are installed:
// as root, installs Debian's `postgresql` package; otherwise exits 1 printing the command to run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const base = '/usr/lib/postgresql';
const installed = () =>
  existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')));

if (installed()) process.exit(0);

const cmd = 'apt-get install -y postgresql';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(`PostgreSQL server binaries are missing (needed by the Postgres store tests). Install them with:\n  sudo apt-get update && sudo ${cmd}`);
  process.exit(1);
}

console.log(`ensure-postgres: no PostgreSQL under ${base}; installing Debian's postgresql`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const sh = (args) => spawnSync(args[0], args.slice(1), { stdio: 'inherit', env });
let r = sh(['apt-get', 'install', '-y', '--no-install-recommends', 'postgresql']);
if (r.status !== 0) {
  // the package lists may be missing or stale: refresh them once and retry
  sh(['apt-get', 'update']);
  r = sh(['apt-get', 'install', '-y', '--no-install-recommends', 'postgresql']);
}
if (r.status !== 0 || !installed()) {
  console.error(`ensure-postgres: installing postgresql failed; run: apt-get update && ${cmd}`);
  process.exit(1);
}
// the Debian package starts a cluster of its own on port 5432; the tests don't use it
console.log('ensure-postgres: postgresql installed');
