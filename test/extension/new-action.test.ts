// The extension point for actions, end to end: in a copy of the workspace, a new action type is added
// through the public spec API alone — its spec (packages/schema/src/actions/) and its executor
// (apps/runtime/src/actions/), nothing else — then `npm run schema:build` and the type-check run there,
// and the action is validated at deploy, in the JSON Schema, on the palette, retried by default, in the
// drill's risk list and the docs, and runs. Before its executor exists, the type-check refuses the registry.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/runtime.ts';

const SKIP = new Set(['node_modules', '.git', 'dist', 'test-results', 'data']);

/** The workspace without node_modules; node_modules links to the real one, our own packages to the copy's. */
function copyWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-ext-'));
  cpSync(REPO, dir, { recursive: true, filter: (src) => !SKIP.has(src.slice(src.lastIndexOf('/') + 1)) || src === REPO });
  const nm = join(dir, 'node_modules');
  mkdirSync(join(nm, '@flowdesk'), { recursive: true });
  for (const name of readdirSync(join(REPO, 'node_modules'))) if (name !== '@flowdesk') symlinkSync(join(REPO, 'node_modules', name), join(nm, name));
  for (const [name, at] of [['schema', 'packages/schema'], ['engine', 'packages/engine'], ['runtime', 'apps/runtime'], ['editor', 'apps/editor']]) {
    symlinkSync(join(dir, at), join(nm, '@flowdesk', name));
    // a workspace's own node_modules (a version npm could not hoist) resolves as in the repo
    if (existsSync(join(REPO, at, 'node_modules'))) symlinkSync(join(REPO, at, 'node_modules'), join(dir, at, 'node_modules'));
  }
  return dir;
}

const SPEC = `import { Type } from '@sinclair/typebox';
import { defineAction } from '../spec/index.ts';

export default defineAction({
  type: 'sms.send',
  params: Type.Object({ to: Type.String({ pattern: '^\\\\+[0-9]{6,15}$', description: 'E.164' }), text: Type.String({ minLength: 1 }) }),
  outside: true,
  label: 'Send SMS',
  help: 'A text message to a phone.',
  fields: [{ key: 'to', label: 'To' }, { key: 'text', label: 'Text', kind: 'textarea' }],
  defaults: { to: '{{payload.phone}}', text: 'Thanks!' },
  output: '\`{to, key}\`',
  summary: 'to',
});
`;

const EXECUTOR = `import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';

export default defineExecutor(specOf('sms.send'), async (p, { cmd }) => ({ output: { to: p.to, chars: p.text.length, key: cmd.idempotencyKey } }));
`;

/** Run in the copy: deploys and runs flows using sms.send, and reads everything derived from its spec. */
const PROBE = `import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retryPolicy } from '@flowdesk/engine';
import { startRuntime, ManualClock } from './apps/runtime/src/index.ts';
import { lossRisks } from './apps/runtime/src/drill/risks.ts';
import { PALETTE } from './apps/editor/src/core/look.ts';

const flow = (params, extra = {}) => ({
  dsl: 1, id: 'sms', name: 'SMS', trigger: { type: 'manual' },
  nodes: [{ id: 'text', type: 'action', action: 'sms.send', params, ...extra }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'text' }, { from: 'text', to: 'end' }],
});
const out = {};
const rt = await startRuntime({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'flowdesk-ext-data-')), clock: new ManualClock(), pollMs: 0, fsync: false, log: { info() {}, warn() {}, error() {} } });
try {
  const put = async (doc) => { const r = await fetch(rt.url + '/api/flows/sms', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) }); return { status: r.status, body: await r.json() }; };
  out.badDeploy = await put(flow({ to: '0123', text: '' }));
  out.goodDeploy = await put(flow({ to: '{{payload.phone}}', text: 'Hi {{payload.name}}' }));
  const started = await (await fetch(rt.url + '/api/flows/sms/run', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payload: { phone: '+4915112345678', name: 'Ada' } }) })).json();
  await rt.settle();
  const run = await (await fetch(rt.url + '/api/runs/' + started.runId)).json();
  out.run = { status: run.status, step: run.steps.find((s) => s.nodeId === 'text') };
  const badRun = await (await fetch(rt.url + '/api/flows/sms/run', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payload: { phone: 'not a phone', name: 'Ada' } }) })).json();
  await rt.settle();
  out.badRun = await (await fetch(rt.url + '/api/runs/' + badRun.runId)).json();
} finally {
  await rt.close();
}
const schema = JSON.parse(readFileSync('packages/schema/flow.schema.json', 'utf8'));
out.inSchema = JSON.stringify(schema).includes('"const":"sms.send"');
out.palette = PALETTE.flatMap((g) => g.entries).find((e) => e.key === 'action:sms.send');
const node = flow({ to: '+4915112345678', text: 'x' }).nodes[0];
out.retry = { maxAttempts: retryPolicy(node).maxAttempts, retryOn: retryPolicy(node).retryOn };
out.risks = lossRisks(flow({ to: '+4915112345678', text: 'x' }, { retry: { delays: [] } }));
out.docs = readFileSync('docs/dsl.md', 'utf8').split('\\n').find((l) => l.startsWith('| \`sms.send\` |'));
console.log(JSON.stringify(out));
`;

const run = (dir: string, args: string[], timeout = 240_000) => spawnSync(args[0]!, args.slice(1), { cwd: dir, encoding: 'utf8', timeout });
const tsc = (dir: string, project: string) => run(dir, [process.execPath, join(dir, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', project]);

describe('adding an action type: its spec and its executor, nothing else', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyWorkspace();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('with the spec alone, the build indexes it and the executor registry does not compile', () => {
    writeFileSync(join(dir, 'packages/schema/src/actions/sms-send.ts'), SPEC);
    const build = run(dir, ['npm', 'run', '--silent', 'schema:build']);
    expect(build.status, build.stdout + build.stderr).toBe(0);
    expect(readFileSync(join(dir, 'packages/schema/src/actions/index.ts'), 'utf8')).toContain("import smsSend from './sms-send.ts';");
    // the registry alone (it pulls in the specs, the engine and every executor): fast, and enough to show the gap
    writeFileSync(join(dir, 'tsconfig.registry.json'), JSON.stringify({ extends: './tsconfig.json', include: [], files: ['apps/runtime/src/actions/index.ts'] }));
    const check = tsc(dir, 'tsconfig.registry.json');
    expect(check.status).not.toBe(0);
    expect(check.stdout).toContain(`Property '"sms.send"' is missing`);
  }, 240_000);

  it('with its executor, the workspace type-checks and the action works everywhere the specs reach', () => {
    writeFileSync(join(dir, 'apps/runtime/src/actions/sms-send.ts'), EXECUTOR);
    const build = run(dir, ['npm', 'run', '--silent', 'schema:build']);
    expect(build.status, build.stdout + build.stderr).toBe(0);
    expect(readFileSync(join(dir, 'apps/runtime/src/actions/index.ts'), 'utf8')).toContain('[smsSend.type]: smsSend,');
    const check = tsc(dir, 'tsconfig.json');
    expect(check.status, check.stdout + check.stderr).toBe(0);

    writeFileSync(join(dir, 'probe.ts'), PROBE);
    const probe = run(dir, [process.execPath, '--import', 'tsx', 'probe.ts']);
    expect(probe.status, probe.stderr).toBe(0);
    const out = JSON.parse(probe.stdout.trim().split('\n').pop()!);

    // validated at deploy: literal values against its schema, pinned to the node; placeholders accepted
    expect(out.badDeploy.status).toBe(422);
    expect(out.badDeploy.body.errors).toEqual([
      { path: '/nodes/0/params/to', message: 'must match pattern "^\\+[0-9]{6,15}$"', nodeId: 'text' },
      { path: '/nodes/0/params/text', message: 'must NOT have fewer than 1 characters', nodeId: 'text' },
    ]);
    expect(out.goodDeploy).toMatchObject({ status: 200, body: { id: 'sms', version: 1 } });
    // it runs, with typed params resolved from the payload; a resolved value its schema refuses fails the step
    expect(out.run.status).toBe('succeeded');
    expect(out.run.step.output).toEqual({ to: '+4915112345678', chars: 6, key: expect.stringMatching(/:text$/) });
    expect(out.badRun.status).toBe('dead');
    expect(out.badRun.steps.find((s: { nodeId: string }) => s.nodeId === 'text').error).toContain('params of sms.send do not match its schema: /to must match pattern');
    // derived from the spec: JSON Schema, palette, default retries, drill risks, docs
    expect(out.inSchema).toBe(true);
    expect(out.palette).toMatchObject({ key: 'action:sms.send', type: 'action', action: 'sms.send', label: 'Send SMS', help: 'A text message to a phone.' });
    expect(out.retry).toEqual({ maxAttempts: 4, retryOn: ['5xx', '429', 'timeout', 'network'] });
    expect(out.risks).toEqual([{ nodeId: 'text', reason: expect.stringContaining('sms.send has no retry and no error port') }]);
    expect(out.docs).toContain('**`to`** (E.164)');
  }, 300_000);
});
