// Issue 12, item 2: CSRF by simple requests. A page on another site can make the browser send a form
// post or a no-cors fetch (text/plain, form-urlencoded, multipart) to 127.0.0.1 without asking first.
// As found: POST /api/flows/:id/run with text/plain and a foreign Origin → 202 (the weekly e-mail went
// out); form-urlencoded …/run and POST /api/runs/:id/cancel likewise. Each is sent here over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { raw, recordingLog, sideEffects, TUNNEL_HOST } from './support.ts';

const weeklyFlow = {
  dsl: 1, id: 'weekly', name: 'Weekly',
  trigger: { type: 'manual' },
  nodes: [{ id: 'mail', type: 'action', action: 'email.send', params: { to: 'owner@example.com', subject: 'Your week', text: 'hi' } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'mail' }, { from: 'mail', to: 'end' }],
};
const waitFlow = {
  dsl: 1, id: 'nurture', name: 'Nurture',
  trigger: { type: 'webhook', path: 'nurture', auth: { type: 'none' } },
  nodes: [{ id: 'pause', type: 'wait', for: '3d' }, { id: 'mail', type: 'action', action: 'email.send', params: { to: '{{payload.email}}', subject: 'Still there?', text: 'hi' } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'pause' }, { from: 'pause', to: 'mail' }, { from: 'mail', to: 'end' }],
};

let rt: TestRuntime;
let waitingRun: string;
const log = recordingLog();
const EVIL_ORIGIN = 'https://evil.example';

beforeAll(async () => {
  rt = await startTestRuntime({ log });
  expect((await rt.put('/api/flows/weekly', weeklyFlow)).status).toBe(200);
  expect((await rt.put('/api/flows/nurture', waitFlow)).status).toBe(200);
  const r = await raw(rt, { method: 'POST', path: '/hooks/nurture', headers: { host: TUNNEL_HOST, 'content-type': 'application/json' }, body: '{"email":"ada@example.com"}' });
  expect(r.status).toBe(202);
  waitingRun = r.body.runId;
  await rt.settle();
  expect((await rt.store.getRun(waitingRun))?.status).toBe('waiting');
});
afterAll(async () => {
  await rt?.dispose();
});

const self = () => `http://127.0.0.1:${rt.port}`;

describe('cross-site writes to the admin API', () => {
  it('the attacks as found are refused, with no run, no mail and no cancelled run', async () => {
    const before = await sideEffects(rt);
    const attacks: { path: string; headers: Record<string, string>; body?: string }[] = [
      { path: '/api/flows/weekly/run', headers: { origin: EVIL_ORIGIN, 'content-type': 'text/plain' }, body: '{"payload":{}}' },
      { path: '/api/flows/weekly/run', headers: { origin: EVIL_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, body: 'payload=%7B%7D' },
      { path: `/api/runs/${waitingRun}/cancel`, headers: { origin: EVIL_ORIGIN } },
      { path: `/api/runs/${waitingRun}/cancel`, headers: { origin: EVIL_ORIGIN, 'content-type': 'application/json' }, body: '{}' }, // JSON alone is not enough
      { path: `/api/runs/${waitingRun}/cancel`, headers: { 'sec-fetch-site': 'cross-site' } },
      { path: `/api/runs/${waitingRun}/cancel`, headers: { origin: 'null' } }, // a sandboxed frame
      { path: `/api/runs/${waitingRun}/cancel`, headers: { origin: 'http://127.0.0.1:1' } }, // another local app: same site, other origin
      { path: '/api/records/account/ada@example.com/state', headers: { origin: EVIL_ORIGIN, 'content-type': 'text/plain' }, body: '{"state":"captured"}' },
    ];
    for (const a of attacks) {
      const r = await raw(rt, { method: 'POST', ...a });
      expect({ path: a.path, headers: a.headers, status: r.status }).toEqual({ path: a.path, headers: a.headers, status: 403 });
      expect(r.body.error).toMatch(/cross-(site|origin) request refused/);
    }
    const del = await raw(rt, { method: 'DELETE', path: '/api/flows/weekly', headers: { origin: EVIL_ORIGIN } });
    expect(del.status).toBe(403);
    const put = await raw(rt, { method: 'PUT', path: '/api/settings/baseline', headers: { origin: EVIL_ORIGIN, 'content-type': 'text/plain' }, body: '{}' });
    expect(put.status).toBe(403);

    expect(await sideEffects(rt)).toEqual(before);
    expect((await rt.store.getRun(waitingRun))?.status).toBe('waiting');
    expect((await rt.store.getFlow('weekly'))?.active).toBe(true);
    expect(log.lines.filter((l) => l.level === 'warn' && /^refused: cross-/.test(l.msg ?? '')).length).toBe(attacks.length + 2);
  });

  it('a write with a body that is not JSON is refused 415 even without an Origin', async () => {
    const before = await sideEffects(rt);
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'text/json']) {
      const r = await raw(rt, { method: 'POST', path: '/api/flows/weekly/run', headers: { 'content-type': ct }, body: '{"payload":{}}' });
      expect({ ct, status: r.status }).toEqual({ ct, status: 415 });
      expect(r.body.error).toContain('Content-Type must be application/json');
    }
    expect((await raw(rt, { method: 'POST', path: '/api/flows/weekly/run', body: '{"payload":{}}' })).status).toBe(415); // no type at all
    const chunked = await raw(rt, { method: 'POST', path: '/api/flows/weekly/run', headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, body: '{}' });
    expect(chunked.status).toBe(415);
    expect(await sideEffects(rt)).toEqual(before);
  });
});

describe('what the editor and scripts send still works', () => {
  it('same-origin JSON writes (the editor in a browser) and Origin-less ones (curl) pass', async () => {
    const before = await sideEffects(rt);
    const ok = await raw(rt, {
      method: 'POST',
      path: '/api/flows/weekly/run',
      headers: { origin: self(), 'sec-fetch-site': 'same-origin', 'content-type': 'application/json; charset=utf-8' },
      body: '{"payload":{}}',
    });
    expect(ok.status).toBe(202);
    const curl = await raw(rt, { method: 'POST', path: '/api/flows/weekly/run', headers: { 'content-type': 'application/json' }, body: '{"payload":{}}' });
    expect(curl.status).toBe(202);
    await rt.settle();
    expect(await sideEffects(rt)).toMatchObject({ runs: before.runs + 2, outbox: before.outbox + 2 });
    // a GET with a foreign Origin reads nothing it could not read anyway (no CORS), and is not refused
    expect((await raw(rt, { path: '/api/flows', headers: { origin: EVIL_ORIGIN } })).status).toBe(200);
  });

  it('body-less writes pass the content-type rule (the editor\'s DELETE, curl -X POST …/cancel)', async () => {
    const cancel = await raw(rt, { method: 'POST', path: `/api/runs/${waitingRun}/cancel`, headers: { origin: self() } });
    expect(cancel.status).toBe(200);
    expect((await rt.store.getRun(waitingRun))?.status).toBe('cancelled');
    expect((await raw(rt, { method: 'POST', path: '/api/flows/weekly/active', headers: { 'content-length': '0' } })).status).not.toBe(415);
    const del = await raw(rt, { method: 'DELETE', path: '/api/flows/weekly', headers: { origin: self() } });
    expect(del.status).toBe(200);
    expect((await rt.store.getFlow('weekly'))?.active).toBe(false);
  });
});
