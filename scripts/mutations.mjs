#!/usr/bin/env node
// The guarantee mutations of issue 19, as a standing check (part of `npm run test:mutation`): each one
// changes one line of production code in a temporary copy of the repo, runs the test files that guard
// that guarantee with their normal timeouts, and reports caught (some test failed) or NOT caught.
//
// Each mutation is found by a code pattern (inside an anchor, when the pattern occurs more than once in
// the file). A pattern that is no longer found is an error, not a pass: update the pattern here when the
// code it mutates is rewritten.
//
//   node scripts/mutations.mjs [--only <name substring>] [--keep]     exit 0: all caught
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * name: what the mutation breaks; file: where; anchor (optional): the pattern is looked for after it;
 * find → replace: the one change (find must occur exactly once after the anchor); tests: the files run.
 */
export const MUTATIONS = [
  {
    name: 'dedupe off',
    file: 'apps/runtime/src/store/lowdb/index.ts',
    anchor: 'async createRun(',
    find: 'if (cur >= 0 && this.runs.claimExpires(cur) > Date.parse(dedupe.now)) return',
    replace: 'if (false && cur >= 0 && this.runs.claimExpires(cur) > Date.parse(dedupe.now)) return',
    tests: ['apps/runtime/src/store/lowdb/lowdb.test.ts', 'test/runtime/core.test.ts'],
  },
  {
    name: 'acknowledge before the write is durable',
    file: 'apps/runtime/src/store/lowdb/index.ts',
    anchor: 'async createRun(',
    find: 'await done;',
    replace: 'void done;',
    tests: ['apps/runtime/src/store/lowdb/lowdb.test.ts', 'test/durability/ack-order.test.ts', 'test/runtime/restart.test.ts', 'test/reliability/chaos.test.ts'],
  },
  {
    name: 'fdatasync removed',
    file: 'apps/runtime/src/store/lowdb/append-log.ts',
    find: 'await fh.datasync();',
    replace: '/* fdatasync removed */',
    tests: ['apps/runtime/src/store/lowdb/lowdb.test.ts', 'test/durability/ack-order.test.ts'],
  },
  {
    name: 'fdatasync a no-op in the real file layer',
    file: 'apps/runtime/src/store/lowdb/file-layer.ts',
    find: 'datasync: () => new Promise<void>((ok, fail) => fdatasync(fh.fd, (e) => (e ? fail(e) : ok()))),',
    replace: 'datasync: () => Promise.resolve(),',
    tests: ['apps/runtime/src/store/lowdb/file-layer.test.ts', 'apps/runtime/src/store/lowdb/append-log.test.ts'],
  },
  {
    name: 'default retry 10m → 5m',
    file: 'packages/schema/src/primitives.ts',
    find: "delays: ['30s', '2m', '10m']",
    replace: "delays: ['30s', '2m', '5m']",
    tests: ['packages/engine/src/retry.test.ts', 'packages/engine/src/interpreter.test.ts', 'test/reliability/retries.test.ts'],
  },
  {
    name: 'Retry-After cap removed',
    file: 'packages/engine/src/retry.ts',
    find: 'delayMs = Math.min(retryAfterMs, p.maxDelayMs);',
    replace: 'delayMs = retryAfterMs;',
    tests: ['packages/engine/src/retry.test.ts', 'test/reliability/retries.test.ts'],
  },
  {
    name: 'backoff exponent off by one',
    file: 'packages/engine/src/retry.ts',
    find: 'factor ** (attempt - 1)',
    replace: 'factor ** attempt',
    tests: ['packages/engine/src/retry.test.ts', 'test/reliability/retries.test.ts'],
  },
  {
    name: 'Stripe accepts any same-length v1',
    file: 'apps/runtime/src/security/webhook-auth.ts',
    anchor: 'function verifyStripe(',
    find: 'if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;',
    replace: 'if (given.length === expected.length) matched = true;',
    tests: ['apps/runtime/src/security/webhook-auth.test.ts', 'apps/runtime/src/security/webhook-auth.refusals.test.ts', 'test/reliability/security.test.ts'],
  },
  {
    name: 'timestamp tolerance without abs',
    file: 'apps/runtime/src/security/webhook-auth.ts',
    anchor: 'function withinTolerance(',
    find: 'Math.abs(nowMs / 1000 - tsSeconds)',
    replace: '(nowMs / 1000 - tsSeconds)',
    tests: ['apps/runtime/src/security/webhook-auth.test.ts', 'apps/runtime/src/security/webhook-auth.refusals.test.ts', 'test/reliability/security.test.ts'],
  },
];

/** Applies `m` to `source`; throws naming the mutation when its pattern is not found exactly once. */
export function applyMutation(m, source) {
  const from = m.anchor === undefined ? 0 : source.indexOf(m.anchor);
  if (from < 0) throw new Error(`mutation "${m.name}": anchor ${JSON.stringify(m.anchor)} not found in ${m.file} — the code was rewritten; update the pattern in scripts/mutations.mjs`);
  const at = source.indexOf(m.find, from);
  if (at < 0) throw new Error(`mutation "${m.name}": pattern ${JSON.stringify(m.find)} not found in ${m.file}${m.anchor ? ` after ${JSON.stringify(m.anchor)}` : ''} — the code was rewritten; update the pattern in scripts/mutations.mjs`);
  if (m.anchor === undefined && source.indexOf(m.find, at + 1) >= 0) throw new Error(`mutation "${m.name}": pattern ${JSON.stringify(m.find)} occurs more than once in ${m.file}; give it an anchor`);
  return source.slice(0, at) + m.replace + source.slice(at + m.find.length);
}

/** not copied: dependencies and build output anywhere; the repo's own state at its top */
const SKIP_ANYWHERE = new Set(['node_modules', 'dist']);
const SKIP_TOP = new Set(['.git', 'test-results', 'reports', '.stryker-tmp', 'data', '.tmp', 'bench']);
const copied = (src) => {
  const parts = relative(REPO, src).split('/');
  return !parts.some((p) => SKIP_ANYWHERE.has(p)) && !SKIP_TOP.has(parts[0]);
};

/**
 * A copy of the repo's sources, with a node_modules of links to the repo's packages — except the
 * workspace packages (@flowdesk/*), which link into the copy, so a mutated engine is the one imported.
 */
function copyRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-mutations-'));
  cpSync(REPO, dir, { recursive: true, filter: copied });
  const nm = join(dir, 'node_modules');
  mkdirSync(nm);
  for (const entry of readdirSync(join(REPO, 'node_modules'))) {
    if (entry === '@flowdesk') continue;
    symlinkSync(join(REPO, 'node_modules', entry), join(nm, entry));
  }
  mkdirSync(join(nm, '@flowdesk'));
  for (const pkg of readdirSync(join(REPO, 'node_modules/@flowdesk'))) {
    const link = join(REPO, 'node_modules/@flowdesk', pkg);
    const target = lstatSync(link).isSymbolicLink() ? resolve(dirname(link), readlinkSync(link)) : link;
    symlinkSync(join(dir, relative(REPO, target)), join(nm, '@flowdesk', pkg));
  }
  return dir;
}

/** Runs the test files in the copy; resolves with the failed test count per file. */
function runTests(dir, files) {
  // the repo's vitest config writes its JSON report here
  const report = join(dir, 'test-results', 'vitest.json');
  rmSync(report, { force: true });
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(dir, 'node_modules/vitest/vitest.mjs'), 'run', ...files, '--reporter=dot', '--reporter=json'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const perFile = new Map(files.map((f) => [f, { failed: 0, passed: 0 }]));
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    for (const tr of json.testResults ?? []) {
      const f = relative(dir, tr.name);
      const counts = perFile.get(f) ?? { failed: 0, passed: 0 };
      for (const a of tr.assertionResults ?? []) counts[a.status === 'passed' ? 'passed' : 'failed'] += a.status === 'passed' || a.status === 'failed' ? 1 : 0;
      if (tr.status === 'failed' && counts.failed === 0) counts.failed = 1; // the file itself failed (a hook, a crash)
      perFile.set(f, counts);
    }
  }
  return { status: r.status, perFile, seconds: Math.round((Date.now() - started) / 1000), output: `${r.stdout}\n${r.stderr}` };
}

async function main() {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const keep = args.includes('--keep');
  const chosen = MUTATIONS.filter((m) => !only || m.name.includes(only));
  // every pattern first: a stale one fails at once, before anything runs
  for (const m of chosen) applyMutation(m, readFileSync(join(REPO, m.file), 'utf8'));

  const dir = copyRepo();
  console.log(`mutations: ${chosen.length}, in a copy of the repo at ${dir}`);
  const rows = [];
  try {
    // the unmutated code must pass the same files, or "caught" would mean nothing
    const allFiles = [...new Set(chosen.flatMap((m) => m.tests))];
    let base = runTests(dir, allFiles);
    if (base.status !== 0) {
      // a file that fails once may be load (a timeout on a busy machine): it must pass when run again alone
      const failed = [...base.perFile].filter(([, c]) => c.failed > 0).map(([f]) => f);
      console.log(`baseline: ${failed.join(', ') || 'some file'} failed once; running ${failed.length ? 'it' : 'all'} again`);
      base = runTests(dir, failed.length ? failed : allFiles);
    }
    if (base.status !== 0) {
      console.error(base.output.slice(-4000));
      throw new Error('the test files fail without any mutation: fix them first');
    }
    console.log(`baseline: ${allFiles.length} test files green (${base.seconds} s)`);
    for (const m of chosen) {
      const path = join(dir, m.file);
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, applyMutation(m, original));
      try {
        const r = runTests(dir, m.tests);
        const by = [...r.perFile].filter(([, c]) => c.failed > 0).map(([f, c]) => `${f.split('/').pop()} (${c.failed} failed)`);
        const caught = r.status !== 0;
        rows.push({ m, caught, by, seconds: r.seconds });
        console.log(`${caught ? 'caught    ' : 'NOT caught'}  ${m.name}  [${m.file}]  ${caught ? `by ${by.join(', ') || `exit ${r.status}`}` : `— ${m.tests.join(', ')} all green`}  (${r.seconds} s)`);
      } finally {
        writeFileSync(path, original);
      }
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  const missed = rows.filter((r) => !r.caught);
  console.log(`\n${rows.length - missed.length} of ${rows.length} mutations caught${missed.length ? `; NOT caught: ${missed.map((r) => r.m.name).join(', ')}` : ''}`);
  process.exitCode = missed.length ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e.message);
    process.exitCode = 2;
  });
}
