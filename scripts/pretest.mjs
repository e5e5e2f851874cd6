#!/usr/bin/env node
// Gets what `npm test` needs on a fresh machine: Debian's Chromium (browser tests) and PostgreSQL
// (store contract tests). Installs them with apt-get when running as root; otherwise stops with the
// exact command to run.
import { existsSync, readdirSync } from 'node:fs';
import { execSync } from 'node:child_process';

const isRoot = process.getuid?.() === 0;
const missing = [];
if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
const pgDir = '/usr/lib/postgresql';
const hasPg = existsSync(pgDir) && readdirSync(pgDir).some((v) => existsSync(`${pgDir}/${v}/bin/initdb`));
if (!hasPg) missing.push('postgresql');

if (missing.length) {
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!isRoot) {
    console.error(`npm test needs Debian packages: ${missing.join(', ')}. Run:\n  sudo sh -c '${cmd}'`);
    process.exit(1);
  }
  console.log(`pretest: installing ${missing.join(', ')} with apt-get`);
  execSync(cmd, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}
