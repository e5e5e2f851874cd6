// The runtime as `npm start` runs it: the esbuild bundle (scripts/build-runtime.mjs) with its npm
// dependencies inside, started with npm start's node flags and environment. The other tests run the
// TypeScript sources; these check that what the bundle carries works where a dependency does more than
// compute: nodemailer over SMTP, the sandbox worker (its own bundle, QuickJS's WebAssembly beside it), the
// egress worker (its own bundle) sending an http.request,
// multipart forms (busboy), PostgreSQL (pg). Built into a temporary folder beside dist/ (what the bundle
// loads lazily, such as acorn for a code node, resolves from where it sits): the repo's dist/ is untouched.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { builtinModules, SourceMap } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procStat } from '../../bench/lib.ts';
import { npmStartCommand } from '../../bench/start-command.ts';
import { startChildRuntime, type ChildRuntime } from '../support/child.ts';
import { startPostgres, type PostgresInstance } from '../support/postgres.ts';
import { REPO, tempDir } from '../support/runtime.ts';
import { waitFor } from '../support/wait.ts';

const outdir = mkdtempSync(join(REPO, 'apps/runtime/.bundle-test-'));
const start = npmStartCommand(REPO);
const recipients: string[] = [];
const dataDirs: string[] = [];
let smtp: SMTPServer;
let smtpPort = 0;
let rt: ChildRuntime | undefined;

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });
const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(json);

async function runOf(url: string, runId: string, until: (run: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let run: Record<string, unknown> = {};
  await waitFor(`run ${runId} to settle`, async () => {
    run = (await json(await fetch(`${url}/api/runs/${runId}`))).body;
    return until(run);
  }, 30_000);
  return run;
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO, 'scripts/build-runtime.mjs'), outdir], { cwd: REPO, stdio: 'pipe' });
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        recipients.push(session.envelope.rcptTo[0]!.address);
        cb();
      });
    },
  });
  await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
  smtpPort = (smtp.server.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  await rt?.kill('SIGTERM');
  await new Promise<void>((ok) => smtp.close(ok));
  for (const d of [outdir, ...dataDirs]) rmSync(d, { recursive: true, force: true });
});

const bundleEnv = (extra: Record<string, string> = {}) => {
  const dataDir = tempDir('flowdesk-bundle-data-');
  dataDirs.push(dataDir);
  return { ...start.env, FLOWDESK_DATA_DIR: dataDir, FLOWDESK_FLOWS_DIR: join(REPO, 'flows'), FLOWDESK_LOG_LEVEL: 'warn', ...extra };
};

describe('the runtime bundle', { timeout: 120_000 }, () => {
  it('loads no npm package at start: its only imports are Node built-ins', () => {
    const code = readFileSync(join(outdir, 'main.mjs'), 'utf8');
    // whitespace-minified: `import{a as b}from"node:fs";`
    const specifiers = [...code.matchAll(/(?:^|;)\s*import\s*[^;"]*?from\s*"([^"]+)"/gm)].map((m) => m[1]!);
    expect(specifiers.length).toBeGreaterThan(5);
    expect(specifiers.filter((s) => !s.startsWith('node:'))).toEqual([]);
    const required = [...code.matchAll(/__require\("([^"]+)"\)/g)].map((m) => m[1]!);
    const builtins = new Set(builtinModules);
    // pg asks for its optional native driver only when told to use it
    expect(required.filter((s) => !builtins.has(s.replace(/^node:/, '')))).toEqual(['pg-native']);
  });

  it('is ASCII only, so V8 keeps its source one byte per character (a comment with an em dash made it two: ~7.5 MB of RSS)', () => {
    const code = readFileSync(join(outdir, 'main.mjs'));
    expect(code.length).toBeGreaterThan(1_000_000);
    expect(code.findIndex((b) => b > 0x7f)).toBe(-1);
    // both carry the HTTP client (undici), whose license comments are not ASCII: they sit beside the bundles
    expect(code.includes('undici')).toBe(true);
    const worker = readFileSync(join(outdir, 'egress-worker.mjs'));
    expect(worker.length).toBeGreaterThan(100_000);
    expect(worker.findIndex((b) => b > 0x7f)).toBe(-1);
  });

  // the position of `needle` in a bundle, as a source map counts it (0-based line and column)
  const positionOf = (code: string, needle: string) => {
    const at = code.indexOf(needle);
    expect(at, needle).toBeGreaterThan(0);
    const before = code.slice(0, at).split('\n');
    return { line: before.length - 1, column: before.at(-1)!.length };
  };
  const sourceLine = (file: string, needle: string) => readFileSync(join(REPO, file), 'utf8').split('\n').findIndex((l) => l.includes(needle));

  it("maps a stack frame in Flowdesk's code to its TypeScript file and line, leaves a dependency's code unmapped, and parsing its maps costs the heap little", () => {
    const code = readFileSync(join(outdir, 'main.mjs'), 'utf8');
    const map = new SourceMap(JSON.parse(readFileSync(join(outdir, 'main.mjs.map'), 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
    const own = positionOf(code, 'async function startRuntime(');
    const entry = map.findEntry(own.line, own.column) as { originalSource?: string; originalLine?: number };
    expect(entry.originalSource).toMatch(/(^|\/)src\/index\.ts$/);
    expect(entry.originalLine).toBe(sourceLine('apps/runtime/src/index.ts', 'export async function startRuntime('));
    // nodemailer's code: unmapped, not given the Flowdesk line before it in the bundle
    const dep = positionOf(code, 'function createTransport(');
    expect((map.findEntry(dep.line, dep.column) as { originalSource?: string }).originalSource).toBeUndefined();
    const worker = readFileSync(join(outdir, 'egress-worker.mjs'), 'utf8');
    const workerMap = new SourceMap(JSON.parse(readFileSync(join(outdir, 'egress-worker.mjs.map'), 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
    const exchange = positionOf(worker, 'function exchange(');
    expect((workerMap.findEntry(exchange.line, exchange.column) as { originalSource?: string }).originalSource).toMatch(/security\/egress-exchange\.ts$/);

    // what Node keeps once a stack is formatted under --enable-source-maps: each map parsed, in a fresh process
    const measure = `const { SourceMap } = require('node:module'); const { readFileSync } = require('node:fs');
      const kept = []; gc(); const before = process.memoryUsage().heapUsed;
      for (const f of process.argv.slice(1)) kept.push(new SourceMap(JSON.parse(readFileSync(f, 'utf8'))));
      gc(); console.log(process.memoryUsage().heapUsed - before);`;
    const maps = ['main', 'egress-worker', 'sandbox-worker'].map((n) => join(outdir, `${n}.mjs.map`));
    const grown = spawnSync(process.execPath, ['--expose-gc', '-e', measure, ...maps], { encoding: 'utf8' });
    expect(grown.status, grown.stderr).toBe(0);
    // esbuild's own maps took 72 MiB (main.mjs's alone) and ~7 MiB (the egress worker's)
    expect(Number(grown.stdout) / 2 ** 20).toBeLessThan(8);
  });

  it('serves the blueprints, sends the fast-response e-mail over SMTP, runs code in the sandbox worker and takes a form upload', async () => {
    rt = await startChildRuntime(bundleEnv({ FLOWDESK_SMTP_HOST: '127.0.0.1', FLOWDESK_SMTP_PORT: String(smtpPort), FLOWDESK_SMTP_FROM: 'desk@example.com' }), 60_000, join(outdir, 'main.mjs'), start.nodeFlags);

    const lead = await post(`${rt.url}/hooks/lead`, { email: 'ada@example.com', name: 'Ada', company: 'Analytical Engines', source: 'referral', budget: 12000, timeline: 'now', message: 'A full rebuild this month.' });
    expect(lead.status).toBe(202);
    const run = await runOf(rt.url, String(lead.body.runId), (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(run.status).toBe('succeeded');
    await waitFor('the fast-response e-mail at the SMTP server', () => recipients.includes('ada@example.com'), 30_000);
    // its helper threads run below the loop thread (FLOWDESK_HELPER_NICE, default 10), the loop thread as started
    const pid = rt.proc.pid!;
    const niceOf = (tid: string) => procStat(pid, Number(tid)).nice;
    const helpers = () => readdirSync(`/proc/${pid}/task`).filter((t) => t !== String(pid));
    expect(helpers().length).toBeGreaterThan(4);
    // (a thread started since the last sweep is lowered by the next, within 5 s)
    await waitFor('every helper thread at nice 10 or above', () => helpers().every((t) => niceOf(t) >= 10), 15_000);
    expect(niceOf(String(pid))).toBe(0);

    const code = { dsl: 1, id: 'bundle-code', name: 'bundle code', trigger: { type: 'manual' }, nodes: [{ id: 'calc', type: 'code', source: 'return { total: input.payload.items.reduce((s, i) => s + i.price * i.qty, 0) };' }, { id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'calc' }, { from: 'calc', to: 'end' }] };
    const deployed = await fetch(`${rt.url}/api/flows/bundle-code`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(code) });
    expect(deployed.status, await deployed.clone().text()).toBe(200);
    const started = await post(`${rt.url}/api/flows/bundle-code/run`, { payload: { items: [{ price: 60, qty: 2 }, { price: 5, qty: 1 }] } });
    expect(started.status).toBe(202);
    const done = await runOf(rt.url, String(started.body.runId), (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status).toBe('succeeded');
    expect((done.steps as { nodeId: string; output: unknown }[]).find((s) => s.nodeId === 'calc')?.output).toEqual({ total: 125 });

    // an outbound call, sent by the egress worker (egress-worker.mjs beside main.mjs)
    const bodies: string[] = [];
    const target = createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(b);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"stored":true}');
      });
    });
    await new Promise<void>((ok) => target.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/crm`;
      const call = { dsl: 1, id: 'bundle-call', name: 'bundle call', trigger: { type: 'manual' }, nodes: [{ id: 'push', type: 'action', action: 'http.request', params: { method: 'POST', url, body: { n: '{{payload.n}}' } } }, { id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'push' }, { from: 'push', to: 'end' }] };
      expect((await fetch(`${rt.url}/api/flows/bundle-call`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) })).status).toBe(200);
      const sent = await post(`${rt.url}/api/flows/bundle-call/run`, { payload: { n: 7 } });
      const answered = await runOf(rt.url, String(sent.body.runId), (r) => r.status === 'succeeded' || r.status === 'failed');
      expect(answered.status).toBe('succeeded');
      expect((answered.steps as { nodeId: string; output: unknown }[]).find((s) => s.nodeId === 'push')?.output).toEqual({ status: 200, body: { stored: true } });
      expect(bodies.map((b) => JSON.parse(b) as unknown)).toEqual([{ n: 7 }]);
    } finally {
      await new Promise<void>((ok) => target.close(() => ok()));
    }

    // multipart: a form's fields through busboy, checked by the lead contract (email is required)
    const form = new FormData();
    form.set('email', 'forms@example.com');
    form.set('source', 'form');
    expect((await fetch(`${rt.url}/hooks/lead`, { method: 'POST', body: form })).status).toBe(202);
    const bare = new FormData();
    bare.set('source', 'form');
    const refused = await fetch(`${rt.url}/hooks/lead`, { method: 'POST', body: bare });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain('email');
    await rt.kill('SIGTERM');
    rt = undefined;
  });

  it('runs on PostgreSQL', async () => {
    let pg: PostgresInstance | undefined;
    try {
      pg = await startPostgres();
      rt = await startChildRuntime(bundleEnv({ FLOWDESK_DATABASE_URL: pg.url }), 60_000, join(outdir, 'main.mjs'), start.nodeFlags);
      const lead = await post(`${rt.url}/hooks/lead`, { email: 'grace@example.com', name: 'Grace', company: 'Cobol Inc', source: 'referral', budget: 12000, timeline: 'now' });
      expect(lead.status).toBe(202);
      const run = await runOf(rt.url, String(lead.body.runId), (r) => r.status === 'succeeded' || r.status === 'failed');
      expect(run.status).toBe('succeeded');
    } finally {
      await rt?.kill('SIGTERM');
      rt = undefined;
      await pg?.stop();
    }
  });
});
