#!/usr/bin/env node
// Gets what `npm test` needs on a fresh machine, from Debian's packages: Chromium (browser tests),
// PostgreSQL (store contract tests), the JSON Schema Test Suite (payload-contract conformance),
// Dovecot's IMAP server (the e-mail trigger's tests start a private instance on loopback) and nginx
// (docs/scaling.md's proxy set-up, a private instance on loopback).
// Installs the missing ones with apt-get when running as root; otherwise stops with the exact command.
import { existsSync, readdirSync } from 'node:fs';
import { execSync } from 'node:child_process';

const pgDir = '/usr/lib/postgresql';
const hasPg = () => existsSync(pgDir) && readdirSync(pgDir).some((v) => existsSync(`${pgDir}/${v}/bin/initdb`));

/** Debian package → how to tell it is installed. */
const NEEDED = {
  chromium: () => existsSync('/usr/bin/chromium'),
  postgresql: hasPg,
  'libtest-json-schema-acceptance-perl': () => existsSync('/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/tests/draft2020-12'),
  'dovecot-imapd': () => existsSync('/usr/sbin/dovecot') && existsSync('/usr/lib/dovecot/imap'),
  // docs/scaling.md's proxy set-up is tested behind a private nginx on loopback
  'nginx-light': () => existsSync('/usr/sbin/nginx'),
};

const missing = Object.entries(NEEDED)
  .filter(([, present]) => !present())
  .map(([pkg]) => pkg);

if (missing.length) {
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`npm test needs Debian packages: ${missing.join(', ')}. Run:\n  sudo sh -c '${cmd}'`);
    process.exit(1);
  }
  console.log(`pretest: installing ${missing.join(', ')} with apt-get`);
  execSync(cmd, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}
