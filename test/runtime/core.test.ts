// The core over real HTTP: the lead blueprint's paths, contracts, dedupe, http.request, bad input, deploys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const HIGH = { email: 'ada@example.com', name: 'Ada', company: 'Analytical Engines', source: 'referral', budget: 12000, timeline: 'now', message: 'We need a full rebuild of our onboarding pipeline this month.' };
const MIDDLE = { email: 'mid@example.com', name: 'Mia', company: 'Midway', source: 'form', budget: 6000 };
const LOW = { email: 'low@example.com', source: 'other' };

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ flowsDir: flowsDirWith(['lead-qualification']) });
});
afterAll(async () => rt?.dispose());

const runsCount = async () => (await rt.get('/api/runs?limit=1000')).body.length as number;

describe('lead blueprint over real HTTP', () => {
  it('fast path: high fit → e-mail (outbox) → account qualified', async () => {
    const res = await rt.post('/hooks/lead', HIGH);
    expect(res.status).toBe(202);
    expect(res.body.runId).toMatch(/[0-9a-f-]{36}/);
    await rt.settle();
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.flowVersion).toBe(1);
    expect(run.idempotencyKey).toBe(HIGH.email);
    expect(run.steps.map((s: { nodeId: string }) => s.nodeId)).toContain('fast-response');
    expect(run.vars.fit).toBeGreaterThanOrEqual(70);
    for (const s of run.steps) expect(s).toHaveProperty('startedAt');
    const rec = (await rt.get(`/api/records/account/${encodeURIComponent(HIGH.email)}`)).body;
    expect(rec.state).toBe('qualified');
    expect(rec.history.at(-1)).toMatchObject({ to: 'qualified', cause: { runId: run.id } });
    const outbox = (await rt.get('/api/outbox')).body;
    expect(outbox.some((m: { to: string[] }) => m.to.includes(HIGH.email))).toBe(true);
  });

  it('review path: middle fit waits in the review queue, a decision continues it', async () => {
    const res = await rt.post('/hooks/lead', MIDDLE);
    expect(res.status).toBe(202);
    await rt.settle();
    let run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.status).toBe('needs_review');
    const reviews = (await rt.get('/api/reviews')).body;
    const item = reviews.find((r: { runId: string }) => r.runId === run.id);
    expect(item).toMatchObject({ queue: 'leads', decisions: ['approved', 'rejected'] });
    expect(item.sop.length).toBeGreaterThan(0);
    expect((await rt.post(`/api/reviews/${item.id}/resolve`, { decision: 'maybe' })).status).toBe(422);
    expect((await rt.post(`/api/reviews/${item.id}/resolve`, { decision: 'approved' })).status).toBe(200);
    await rt.settle();
    run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect((await rt.get(`/api/records/account/${encodeURIComponent(MIDDLE.email)}`)).body.state).toBe('qualified');
    expect((await rt.post(`/api/reviews/${item.id}/resolve`, { decision: 'approved' })).status).toBe(409);
  });

  it('low fit goes to nurture and ends disqualified', async () => {
    const res = await rt.post('/hooks/lead', LOW);
    await rt.settle();
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s: { nodeId: string }) => s.nodeId)).not.toContain('fast-response');
    expect((await rt.get(`/api/records/account/${LOW.email}`)).body.state).toBe('disqualified');
  });
});

describe('contracts and dedupe', () => {
  it('422 names every failing field and logs the rejection', async () => {
    const before = await runsCount();
    const res = await rt.post('/hooks/lead', { email: 'not-an-email', budget: -5, source: 'tv' });
    expect(res.status).toBe(422);
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['/budget', '/email', '/source']);
    for (const e of res.body.errors) expect(e.message).toBeTruthy();
    expect(await runsCount()).toBe(before);
    const rejected = (await rt.get('/api/rejected')).body;
    expect(rejected[0]).toMatchObject({ status: 422, flowId: 'lead-qualification', path: 'lead' });
  });

  it('a duplicate within the window answers the first run id and starts nothing', async () => {
    const p = { email: 'dup@example.com', budget: 100 };
    const first = await rt.post('/hooks/lead', p);
    const second = await rt.post('/hooks/lead', p);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ runId: first.body.runId, duplicate: true });
    expect((await rt.get('/api/runs?key=dup@example.com')).body).toHaveLength(1);
  });

  it('50 concurrent identical requests give exactly one run', async () => {
    const p = { email: 'burst@example.com', budget: 100 };
    const answers = await Promise.all(Array.from({ length: 50 }, () => rt.post('/hooks/lead', p)));
    const created = answers.filter((a) => a.status === 202);
    expect(created).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.body.duplicate)).toHaveLength(49);
    expect(new Set(answers.map((a) => a.body.runId)).size).toBe(1);
    await rt.settle();
    expect((await rt.get('/api/runs?key=burst@example.com')).body).toHaveLength(1);
  });

  it('after the dedupe window the same key starts a new run', async () => {
    const p = { email: 'window@example.com', budget: 100 };
    const a = await rt.post('/hooks/lead', p);
    await rt.advance(24 * 3_600_000 + 1000);
    const b = await rt.post('/hooks/lead', p);
    expect(b.status).toBe(202);
    expect(b.body.runId).not.toBe(a.body.runId);
  });
});

describe('bad input', () => {
  const raw = (body: string, headers: Record<string, string>) => fetch(`${rt.url}/hooks/lead`, { method: 'POST', body, headers });
  it('413, 415, 400, 404 — none creates a run', async () => {
    const before = await runsCount();
    const big = JSON.stringify({ email: 'a@b.co', message: 'x'.repeat(1024 * 1024 + 10) });
    const r413 = await raw(big, { 'content-type': 'application/json' });
    expect(r413.status).toBe(413);
    expect((await r413.json()).error).toMatch(/body/);
    const r415 = await raw('email=a@b.co', { 'content-type': 'text/plain' });
    expect(r415.status).toBe(415);
    expect((await r415.json()).error).toMatch(/application\/json, application\/x-www-form-urlencoded or multipart\/form-data/);
    const r400 = await raw('{"email": ', { 'content-type': 'application/json' });
    expect(r400.status).toBe(400);
    expect((await r400.json()).error).toMatch(/malformed JSON/);
    const r404 = await fetch(`${rt.url}/hooks/nope`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(r404.status).toBe(404);
    await rt.settle();
    expect(await runsCount()).toBe(before);
  });
});

describe('deploys', () => {
  const flow = (over: Record<string, unknown> = {}) => ({
    dsl: 1,
    id: 'ping',
    name: 'Ping',
    trigger: { type: 'webhook', path: 'ping', auth: { type: 'none' }, payloadSchema: { required: ['n'] } },
    nodes: [{ id: 'end', type: 'end' }],
    edges: [{ from: 'trigger', to: 'end' }],
    ...over,
  });

  it('PUT stores versions; an invalid PUT answers 422 with every error and leaves the old version live', async () => {
    const v1 = await rt.put('/api/flows/ping', flow());
    expect(v1).toMatchObject({ status: 200, body: { id: 'ping', version: 1 } });
    const bad = await rt.put('/api/flows/ping', flow({ nodes: [{ id: 'end', type: 'end' }, { id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'ghost' }] }));
    expect(bad.status).toBe(422);
    expect(bad.body.errors.length).toBeGreaterThanOrEqual(2);
    for (const e of bad.body.errors) expect(e).toHaveProperty('path');
    expect((await rt.get('/api/flows/ping')).body.version).toBe(1);
    expect((await rt.post('/hooks/ping', { n: 1 })).status).toBe(202);
    const v2 = await rt.put('/api/flows/ping', flow({ name: 'Ping 2' }));
    expect(v2.body.version).toBe(2);
    expect((await rt.get('/api/flows/ping/versions')).body.map((v: { version: number }) => v.version)).toEqual([1, 2]);
  });

  it('DELETE deactivates (hook 404) and keeps history', async () => {
    expect((await rt.del('/api/flows/ping')).status).toBe(200);
    expect((await rt.post('/hooks/ping', { n: 1 })).status).toBe(404);
    expect((await rt.get('/api/flows/ping')).body.active).toBe(false);
    expect((await rt.get('/api/flows/ping/versions')).body.length).toBe(2);
  });

  it('dry run shows the path, vars and actions with no side effects', async () => {
    const before = await runsCount();
    const res = await rt.post('/api/flows/lead-qualification/dry-run', { payload: HIGH });
    expect(res.status).toBe(200);
    expect(res.body.path[0]).toBe('trigger');
    expect(res.body.path).toContain('fast-response');
    expect(res.body.vars.fit).toBeGreaterThanOrEqual(70);
    expect(res.body.actions[0].action).toBe('email.send');
    const bad = await rt.post('/api/flows/lead-qualification/dry-run', { payload: { email: 'x' } });
    expect(bad.body.ok).toBe(false);
    expect(bad.body.errors[0].path).toBe('/email');
    expect(await runsCount()).toBe(before);
  });
});

describe('http.request', () => {
  let server: Server;
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'crm-1' }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('calls a real local server with the Idempotency-Key and keeps status and body in the step', async () => {
    const port = (server.address() as AddressInfo).port;
    const put = await rt.put('/api/flows/crm-sync', {
      dsl: 1,
      id: 'crm-sync',
      name: 'CRM sync',
      trigger: { type: 'webhook', path: 'crm', auth: { type: 'none' } },
      nodes: [
        { id: 'push', type: 'action', action: 'http.request', params: { method: 'POST', url: `http://127.0.0.1:${port}/leads`, body: { email: '{{payload.email}}' } } },
        { id: 'end', type: 'end' },
      ],
      edges: [{ from: 'trigger', to: 'push' }, { from: 'push', to: 'end' }],
    });
    expect(put.status).toBe(200);
    const res = await rt.post('/hooks/crm', { email: 'c@example.com' });
    await rt.settle();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers['idempotency-key']).toBe(`${res.body.runId}:push`);
    expect(JSON.parse(seen[0]!.body)).toEqual({ email: 'c@example.com' });
    const run = (await rt.get(`/api/runs/${res.body.runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.steps[0].output).toEqual({ status: 201, body: { id: 'crm-1' } });
    expect(run.steps[0].attempts).toHaveLength(1);
  });
});

describe('health and listing', () => {
  it('healthz, flows list with last run, runs list paging', async () => {
    expect((await rt.get('/healthz')).body).toEqual({ ok: true });
    const flows = (await rt.get('/api/flows')).body;
    const lead = flows.find((f: { id: string }) => f.id === 'lead-qualification');
    expect(lead.version).toBe(1);
    expect(lead.lastRun.status).toBeTruthy();
    const page1 = (await rt.get('/api/runs?limit=2')).body;
    expect(page1).toHaveLength(2);
    const page2 = (await rt.get(`/api/runs?limit=2&before=${page1[1].id}`)).body;
    expect(page2[0].id).not.toBe(page1[0].id);
    expect(page2[0].createdAt <= page1[1].createdAt).toBe(true);
    expect((await rt.get('/api/runs?status=bogus')).status).toBe(400);
    expect((await rt.get('/api/runs/nope')).status).toBe(404);
  });
});

describe('rate limit', () => {
  it('a hook path over its limit answers 429 with Retry-After, other paths are not affected', async () => {
    const limited = await startTestRuntime({ flowsDir: flowsDirWith(['lead-qualification']), env: { FLOWDESK_HOOK_RATE: '1', FLOWDESK_HOOK_BURST: '2' } });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await limited.post('/hooks/lead', { email: `rl${i}@example.com` }));
      expect(answers.map((a) => a.status)).toEqual([202, 202, 429]);
      expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answers[2]!.body.error).toMatch(/rate limit/);
      // another path has its own bucket: its events are taken while /hooks/lead is limited
      const other = { dsl: 1, id: 'other', name: 'Other', trigger: { type: 'webhook', path: 'other', auth: { type: 'none' } }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
      expect((await limited.put('/api/flows/other', other)).status).toBe(200);
      expect((await limited.post('/hooks/other', { n: 1 })).status).toBe(202);
      expect((await limited.post('/hooks/other', { n: 2 })).status).toBe(202);
      expect((await limited.post('/hooks/lead', { email: 'rl3@example.com' })).status).toBe(429);
      await limited.advance(2000);
      expect((await limited.post('/hooks/lead', { email: 'rl9@example.com' })).status).toBe(202);
    } finally {
      await limited.dispose();
    }
  });
});
