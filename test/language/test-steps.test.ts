// The editor's step-by-step testing over real HTTP (issue 17, item 5): POST /api/steps/run walks a
// draft (never deployed) to one node with pinned outputs standing in for earlier steps; an outside
// action is called only with "confirm": true — once, with secrets resolved but never answered back;
// an internal action is never performed; bad bodies are refused naming the field. POST
// /api/steps/sandbox runs code for the editor's dry run.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let rt: TestRuntime;
let receiver: Server;
let url = '';
const calls: { path: string; auth: string; key: string; body: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push({ path: req.url ?? '', auth: String(req.headers.authorization), key: String(req.headers['idempotency-key']), body });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'crm-1', got: JSON.parse(body || 'null') }));
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  rt = await startTestRuntime({ env: { FLOWDESK_SECRET_CRM_TOKEN: 'tok-very-secret' } });
});
afterAll(async () => {
  await rt?.dispose();
  receiver?.closeAllConnections();
  await new Promise<void>((ok) => receiver.close(() => ok()));
});

const draft = () => ({
  dsl: 1, id: 'steps-draft', name: 'Draft', trigger: { type: 'webhook', path: 'steps-draft', auth: { type: 'none' } },
  nodes: [
    { id: 'score', type: 'code', source: 'if (!input.payload.email) throw new Error("no email"); return { score: input.payload.email.length };' },
    { id: 'push', type: 'action', action: 'http.request', params: { url: `${url}/leads`, headers: { authorization: 'Bearer {{secrets.CRM_TOKEN}}' }, body: { email: '{{payload.email}}', score: '{{steps.score.output.score}}' } } },
    { id: 'mark', type: 'action', action: 'record.setState', params: { entity: 'account', key: '{{payload.email}}', state: 'captured' } },
    { id: 'end', type: 'end' },
  ],
  edges: [{ from: 'trigger', to: 'score' }, { from: 'score', to: 'push' }, { from: 'push', to: 'mark' }, { from: 'mark', to: 'end' }],
});

describe('POST /api/steps/run', { timeout: 60_000 }, () => {
  it('runs a code step alone on the sample: its output, or the error it threw', async () => {
    const ok = await rt.post('/api/steps/run', { flow: draft(), nodeId: 'score', payload: { email: 'ada@x.io' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'ran', nodeId: 'score', step: { nodeId: 'score', status: 'succeeded', output: { score: 8 } } });
    const thrown = await rt.post('/api/steps/run', { flow: draft(), nodeId: 'score', payload: {} });
    expect(thrown.body.status).toBe('ran');
    expect(thrown.body.step).toMatchObject({ nodeId: 'score', status: 'failed', error: expect.stringContaining('no email') });
    expect(calls).toEqual([]);
  });

  it('an outside action: without confirm nothing is sent; with confirm it is called once, with the secret, never answered back', async () => {
    const asked = await rt.post('/api/steps/run', { flow: draft(), nodeId: 'push', payload: { email: 'ada@x.io' }, pinned: { score: { score: 99 } } });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ status: 'needs-confirmation', action: 'http.request', params: { url: `${url}/leads`, headers: { authorization: 'Bearer [redacted]' }, body: { email: 'ada@x.io', score: 99 } } });
    expect(calls).toHaveLength(0);
    const sent = await rt.post('/api/steps/run', { flow: draft(), nodeId: 'push', payload: { email: 'ada@x.io' }, pinned: { score: { score: 99 } }, confirm: true });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ status: 'called', ok: true, output: { status: 201, body: { id: 'crm-1', got: { email: 'ada@x.io', score: 99 } } } });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ path: '/leads', auth: 'Bearer tok-very-secret', key: expect.stringMatching(/^test-step-.+:push$/) });
    expect(JSON.stringify(sent.body)).not.toContain('tok-very-secret');
    expect((await rt.get('/api/runs')).body).toEqual([]); // no run was made
    calls.length = 0;
  });

  it('an internal action is never performed from here, even confirmed; a node the sample does not reach says so', async () => {
    const mark = await rt.post('/api/steps/run', { flow: draft(), nodeId: 'mark', payload: { email: 'ada@x.io' }, pinned: { score: { score: 1 }, push: { status: 200 } }, confirm: true });
    expect(mark.body).toMatchObject({ status: 'internal', action: 'record.setState' });
    expect((await rt.get('/api/records/account/ada%40x.io')).status).toBe(404);
    const flow = draft();
    flow.nodes.splice(3, 0, { id: 'orphan', type: 'end' });
    flow.edges.push({ from: 'score', port: 'error', to: 'orphan' } as never);
    const never = await rt.post('/api/steps/run', { flow, nodeId: 'orphan', payload: { email: 'a@x.io' }, pinned: { push: {} } });
    expect(never.body.status).toBe('not-reached');
    expect(calls).toEqual([]);
  });

  it('refuses bad bodies naming the field, and an invalid draft with its problems', async () => {
    expect((await rt.post('/api/steps/run', [1])).status).toBe(400);
    const bad = await rt.post('/api/steps/run', { flow: 'x', nodeId: 3, pinned: [], confirm: 'yes' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['/flow', '/nodeId', '/pinned', '/confirm']);
    const missing = await rt.post('/api/steps/run', { flow: draft(), nodeId: 'nope' });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ path: '/nodeId', message: 'the flow has no node "nope"' }]);
    const invalid = await rt.post('/api/steps/run', { flow: { ...draft(), nodes: [{ id: 'x', type: 'code', source: 'return (' }] }, nodeId: 'x' });
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(invalid.body.errors)).toMatch(/does not parse/);
    const contract = draft();
    (contract.trigger as Record<string, unknown>).payloadSchema = { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] };
    const refused = await rt.post('/api/steps/run', { flow: contract, nodeId: 'score', payload: {} });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].path).toMatch(/^\/payload/);
    expect(calls).toEqual([]);
  });
});

describe('POST /api/steps/sandbox', { timeout: 60_000 }, () => {
  it('runs JavaScript and JSONata on the given input; a throw is an error result', async () => {
    const js = await rt.post('/api/steps/sandbox', { language: 'javascript', source: 'return input.payload.n * 2;', input: { payload: { n: 21 } } });
    expect(js.body).toEqual({ ok: true, output: 42 });
    const jsonata = await rt.post('/api/steps/sandbox', { language: 'jsonata', source: 'payload.n + 1', input: { payload: { n: 1 } } });
    expect(jsonata.body).toEqual({ ok: true, output: 2 });
    const thrown = await rt.post('/api/steps/sandbox', { language: 'javascript', source: 'throw new Error("bad input")', input: {} });
    expect(thrown.body).toMatchObject({ ok: false, reason: 'error', error: expect.stringContaining('bad input') });
  });

  it('refuses bad bodies naming the field', async () => {
    expect((await rt.post('/api/steps/sandbox', 'null')).status).toBe(400);
    const bad = await rt.post('/api/steps/sandbox', { language: 'python', source: '', input: [], now: 'soon', seed: 1.5 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['/language', '/source', '/input', '/now', '/seed']);
  });
});
