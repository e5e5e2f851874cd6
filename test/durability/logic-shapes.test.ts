// JSON-Logic that json-logic-js would quietly misread is refused at deploy (422 naming the path):
// an operator mixed with other keys (read as data: always truthy) and calls with the wrong number of
// arguments (`{">": "x"}`: never true). A flow stored before this check keeps running exactly as it
// did, and raises one alert naming the node — not one per restart.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createLowdbStore } from '../../apps/runtime/src/store/lowdb/index.ts';
import { flowsDirWith, flowsDirWithDocs, startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';

const dirs: string[] = [];
let rt: TestRuntime | undefined;
afterAll(async () => {
  await rt?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const flowWith = (id: string, when: unknown) => ({
  dsl: 1,
  id,
  name: `Rule ${id}`,
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [
    { id: 'decide', type: 'route', rules: [{ port: 'yes', when }], default: 'no' },
    { id: 'yes-end', type: 'end' },
    { id: 'no-end', type: 'end' },
  ],
  edges: [
    { from: 'trigger', to: 'decide' },
    { from: 'decide', port: 'yes', to: 'yes-end' },
    { from: 'decide', port: 'no', to: 'no-end' },
  ],
});

describe('JSON-Logic shapes at deploy', () => {
  it('refuses an operator mixed with other keys and a wrong argument count, naming the path; stores nothing', async () => {
    const d = tempDir('flowdesk-logic-');
    dirs.push(d);
    rt = await startTestRuntime({ dataDir: d, flowsDir: flowsDirWith([]) });
    const mixed = await rt.put('/api/flows/mixed', flowWith('mixed', { var: ['payload.ok'], extra: 1 }));
    expect(mixed.status).toBe(422);
    expect(mixed.body.errors).toContainEqual(expect.objectContaining({ path: '/nodes/0/rules/0/when', nodeId: 'decide', message: expect.stringMatching(/exactly one key/) }));
    const arity = await rt.put('/api/flows/arity', flowWith('arity', { '>': 'notalist' }));
    expect(arity.status).toBe(422);
    expect(arity.body.errors).toContainEqual(expect.objectContaining({ path: '/nodes/0/rules/0/when/>', message: expect.stringMatching(/">" takes 2 arguments, got 1/) }));
    expect((await rt.get('/api/flows/mixed')).status).toBe(404);
    expect((await rt.get('/api/flows/arity')).status).toBe(404);
    const fine = await rt.put('/api/flows/fine', flowWith('fine', { '>': [{ var: 'payload.n' }, 3] }));
    expect(fine.status).toBe(200);
    await rt.close();
    rt = undefined;
  });

  it('a stored flow that breaks the new check keeps running as before and raises one alert naming the node', async () => {
    const d = tempDir('flowdesk-logic-stored-');
    dirs.push(d);
    // written by a release without the check
    const s = createLowdbStore({ dataDir: d, fsync: false, log: { warn: () => {} } });
    await s.open();
    await s.putFlow(flowWith('legacy', { var: ['payload.ok'], extra: 1 }) as never, new Date().toISOString());
    await s.close();
    const flowsDir = flowsDirWith([]);
    dirs.push(flowsDir);
    rt = await startTestRuntime({ dataDir: d, flowsDir });
    const run = await rt.post('/hooks/legacy', { ok: false });
    expect(run.status).toBe(202);
    await rt.settle();
    // as json-logic-js reads it: data, truthy, so the "yes" port — exactly as before the upgrade
    const done = (await rt.get(`/api/runs/${run.body.runId}`)).body;
    expect(done.status).toBe('succeeded');
    expect(done.steps.find((x: { nodeId: string }) => x.nodeId === 'decide').port).toBe('yes');
    const alerts = (await rt.get('/api/alerts')).body.filter((a: { kind: string }) => a.kind === 'stored_flow_logic');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ flowId: 'legacy', nodeId: 'decide', severity: 'P1' });
    expect(alerts[0].message).toMatch(/node decide \/nodes\/0\/rules\/0\/when: an operation takes exactly one key/);
    // a restart does not raise it again
    await rt.close();
    rt = await startTestRuntime({ dataDir: d, flowsDir });
    expect((await rt.get('/api/alerts')).body.filter((a: { kind: string }) => a.kind === 'stored_flow_logic')).toHaveLength(1);
    expect((await rt.post('/hooks/legacy', { ok: false })).status).toBe(202);
  });
  it('a flow file identical to a stored flow the checks now refuse: served as stored, and the log says why once the runtime serves', async () => {
    await rt?.close();
    const d = tempDir('flowdesk-logic-file-');
    dirs.push(d);
    const legacy = flowWith('legacy-file', { var: ['payload.ok'], extra: 1 });
    const s = createLowdbStore({ dataDir: d, fsync: false, log: { warn: () => {} } });
    await s.open();
    await s.putFlow(legacy as never, new Date().toISOString());
    await s.close();
    const flowsDir = flowsDirWithDocs([legacy]);
    dirs.push(flowsDir);
    const errors: string[] = [];
    rt = await startTestRuntime({ dataDir: d, flowsDir, log: { info: () => {}, warn: () => {}, error: (_o: unknown, m?: string) => void errors.push(m ?? '') } as never });
    expect(errors).toEqual([expect.stringMatching(/^flow file legacy-file\.json no longer passes this release's checks; its stored version \(the same document\) keeps running: \/nodes\/0\/rules\/0\/when an operation takes exactly one key/)]);
    expect((await rt.get('/api/flows/legacy-file')).body).toMatchObject({ id: 'legacy-file', version: 1 });
    expect((await rt.post('/hooks/legacy-file', { ok: false })).status).toBe(202);
  });
});
