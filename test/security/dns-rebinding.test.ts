// Issue 12, item 1: DNS rebinding. A page on rebind.evil.example whose name resolves to 127.0.0.1 is
// same-origin with the runtime as far as the browser knows; only the Host header tells. Every step of
// the attack as found (read the flows, deploy a flow that posts a secret out, run it) is sent over
// real HTTP with that Host and must be refused 403, with nothing stored, run or sent.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, tempDir, type TestRuntime } from '../support/runtime.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';
import { startRuntime } from '../../apps/runtime/src/index.ts';
import { EVIL_HOST, raw, recordingLog, sideEffects, TUNNEL_HOST } from './support.ts';

const STRIPE_SECRET = 'sk_live_invoice_secret_do_not_leak';
const ADMIN = 'admin-token-0123456789abcdef';

const leadFlow = {
  dsl: 1, id: 'lead', name: 'Lead',
  trigger: { type: 'webhook', path: 'lead', auth: { type: 'none' } },
  nodes: [{ id: 'task', type: 'action', action: 'task.create', params: { title: 'Call {{payload.email}}' } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'task' }, { from: 'task', to: 'end' }],
};
const weeklyFlow = {
  dsl: 1, id: 'weekly', name: 'Weekly',
  trigger: { type: 'manual' },
  nodes: [{ id: 'mail', type: 'action', action: 'email.send', params: { to: 'owner@example.com', subject: 'Week', text: 'hi' } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'mail' }, { from: 'mail', to: 'end' }],
};

let rt: TestRuntime;
let dep: FailServer;
const log = recordingLog();

beforeAll(async () => {
  dep = await startFailServer();
  rt = await startTestRuntime({ env: { FLOWDESK_SECRET_STRIPE_INVOICE_SECRET: STRIPE_SECRET }, log });
  expect((await rt.put('/api/flows/lead', leadFlow)).status).toBe(200);
  expect((await rt.put('/api/flows/weekly', weeklyFlow)).status).toBe(200);
});
afterAll(async () => {
  await rt?.dispose();
  await dep?.close();
});

const stealFlow = () => ({
  dsl: 1, id: 'steal', name: 'steal',
  trigger: { type: 'manual' },
  nodes: [{ id: 'out', type: 'action', action: 'http.request', params: { method: 'POST', url: `${dep.url}/collect`, body: { s: '{{secrets.STRIPE_INVOICE_SECRET}}' } } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'out' }, { from: 'out', to: 'end' }],
});

describe('a rebinding page (Host: rebind.evil.example) on the admin surface', () => {
  it('is refused 403 at every step of the attack, logged, with nothing stored, run or sent', async () => {
    const before = await sideEffects(rt, [dep]);
    const host = `${EVIL_HOST}:${rt.port}`;
    const origin = `http://${host}`; // the page is same-origin with itself: its fetches carry this Origin
    const json = { host, origin, 'content-type': 'application/json' };
    const attempts = [
      await raw(rt, { path: '/api/flows', headers: { host } }),
      await raw(rt, { path: '/api/flows/lead', headers: { host } }),
      await raw(rt, { method: 'PUT', path: '/api/flows/steal', headers: json, body: JSON.stringify(stealFlow()) }),
      await raw(rt, { method: 'POST', path: '/api/flows/steal/run', headers: json, body: '{"payload":{}}' }),
      await raw(rt, { method: 'POST', path: '/api/flows/weekly/run', headers: json, body: '{"payload":{}}' }),
      await raw(rt, { path: '/api/outbox', headers: { host } }),
      await raw(rt, { path: '/API/flows', headers: { host } }), // Express routes case-insensitively
      await raw(rt, { path: '/metrics', headers: { host } }),
      await raw(rt, { path: '/', headers: { host } }),
      await raw(rt, { path: '/flows/lead', headers: { host } }),
    ];
    for (const a of attempts) {
      expect(a.status).toBe(403);
      expect(a.headers['content-type']).toMatch(/^application\/json/);
      expect(a.body.error).toContain(`Host "${host}" is not a loopback name`);
    }
    expect(JSON.stringify(attempts.map((a) => a.body))).not.toContain('"trigger"'); // no flow was read
    expect(await sideEffects(rt, [dep])).toEqual(before);
    expect(dep.requests).toHaveLength(0);
    expect(await rt.store.getFlow('steal')).toBeUndefined();
    const refusals = log.lines.filter((l) => l.level === 'warn' && /^refused: Host/.test(l.msg ?? ''));
    expect(refusals.length).toBe(attempts.length);
    expect(refusals[0]!.obj).toMatchObject({ host, method: 'GET', path: '/api/flows', client: '127.0.0.1' });
  });

  it('refuses names that only look local, and a request without a Host', async () => {
    for (const host of ['localhost.evil.example', '127.0.0.1.nip.io', `localhost@${EVIL_HOST}`, '127.0.0.2', '0.0.0.0', '[::ffff:127.0.0.1]']) {
      expect((await raw(rt, { path: '/api/flows', headers: { host } })).status, host).toBe(403);
    }
    const none = await raw(rt, { path: '/api/flows', headers: { host: '' } });
    expect(none.status).toBe(403);
    expect(none.body.error).toMatch(/Host/);
  });

  it('answers the loopback names on any port', async () => {
    for (const host of ['127.0.0.1', `127.0.0.1:${rt.port}`, 'localhost:1', 'LOCALHOST:3000', `[::1]:${rt.port}`, '[::1]']) {
      const r = await raw(rt, { path: '/api/flows', headers: { host } });
      expect(r.status, host).toBe(200);
      expect(r.body.map((f: { id: string }) => f.id).sort()).toEqual(['lead', 'weekly']);
    }
    expect((await raw(rt, { path: '/metrics', headers: { host: 'localhost' } })).status).toBe(200);
  });

  it('refuses a loopback Host that came through a proxy or tunnel when no admin token is set', async () => {
    // ngrok --host-header=rewrite and nginx's default proxy_pass both present Host: 127.0.0.1:…
    for (const h of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'cf-connecting-ip']) {
      const r = await raw(rt, { path: '/api/flows', headers: { [h]: h === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9' } });
      expect(r.status, h).toBe(403);
      expect(r.body.error).toMatch(/proxy or tunnel.*FLOWDESK_ADMIN_TOKEN/);
    }
  });
});

describe('the public surface answers any Host', () => {
  it('a webhook through a tunnel (Host: abc.trycloudflare.com) starts its run; /healthz answers', async () => {
    const before = await sideEffects(rt, [dep]);
    const r = await raw(rt, {
      method: 'POST',
      path: '/hooks/lead',
      headers: { host: TUNNEL_HOST, 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7', 'cf-connecting-ip': '203.0.113.7' },
      body: JSON.stringify({ email: 'ada@example.com' }),
    });
    expect(r.status).toBe(202);
    await rt.settle();
    expect((await rt.store.getRun(r.body.runId))?.status).toBe('succeeded');
    expect(await sideEffects(rt, [dep])).toMatchObject({ runs: before.runs + 1, tasks: before.tasks + 1 });
    expect((await raw(rt, { path: '/healthz', headers: { host: EVIL_HOST } })).status).toBe(200);
    // anything else under /hooks/ is not a route, whatever the Host
    expect((await raw(rt, { path: '/hooks/lead', headers: { host: EVIL_HOST } })).status).toBe(405);
  });
});

describe('another name for the admin surface: FLOWDESK_ALLOWED_HOSTS with an admin token', () => {
  let locked: TestRuntime;
  beforeAll(async () => {
    locked = await startTestRuntime({
      env: { FLOWDESK_ADMIN_TOKEN: ADMIN, FLOWDESK_ALLOWED_HOSTS: 'flowdesk.example.com, ops.example.com:8443', FLOWDESK_TRUST_PROXY: 'loopback' },
    });
  });
  afterAll(async () => {
    await locked?.dispose();
  });
  const bearer = { authorization: `Bearer ${ADMIN}` };

  it('a listed name with the token passes; without the token 401; an unlisted name 403 even with it', async () => {
    expect((await raw(locked, { path: '/api/flows', headers: { host: 'flowdesk.example.com', ...bearer } })).status).toBe(200);
    expect((await raw(locked, { path: '/api/flows', headers: { host: 'flowdesk.example.com:443', ...bearer } })).status).toBe(200);
    expect((await raw(locked, { path: '/api/flows', headers: { host: 'flowdesk.example.com' } })).status).toBe(401);
    expect((await raw(locked, { path: '/api/flows', headers: { host: 'ops.example.com:8443', ...bearer } })).status).toBe(200);
    const wrongPort = await raw(locked, { path: '/api/flows', headers: { host: 'ops.example.com:9000', ...bearer } });
    expect(wrongPort.status).toBe(403);
    expect(wrongPort.body.error).toContain('not in FLOWDESK_ALLOWED_HOSTS');
    expect((await raw(locked, { path: '/api/flows', headers: { host: EVIL_HOST, ...bearer } })).status).toBe(403);
    // the editor's pages: the listed name loads them (the token is asked for by the page), others do not
    expect((await raw(locked, { path: '/', headers: { host: 'flowdesk.example.com' } })).status).toBe(200);
    expect((await raw(locked, { path: '/', headers: { host: EVIL_HOST } })).status).toBe(403);
  });

  it('behind a trusted proxy the forwarded Host is the one checked', async () => {
    const via = (host: string) => ({ host: `127.0.0.1:${locked.port}`, 'x-forwarded-host': host, 'x-forwarded-for': '203.0.113.5', ...bearer });
    expect((await raw(locked, { path: '/api/flows', headers: via('flowdesk.example.com') })).status).toBe(200);
    expect((await raw(locked, { path: '/api/flows', headers: via(EVIL_HOST) })).status).toBe(403);
  });

  it('with a token, a proxied loopback Host is let through to the token check', async () => {
    expect((await raw(locked, { path: '/api/flows', headers: { 'x-forwarded-for': '203.0.113.9', ...bearer } })).status).toBe(200);
    expect((await raw(locked, { path: '/api/flows', headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(401);
  });
});

describe('settings that would open the admin surface are refused at start', () => {
  it('FLOWDESK_ALLOWED_HOSTS without a token, a URL in it, FLOWDESK_TRUST_PROXY=true', async () => {
    const dataDir = tempDir();
    const start = (env: Record<string, string>) => startRuntime({ port: 0, dataDir, env, fsync: false, log: recordingLog(), pollMs: 0 });
    await expect(start({ FLOWDESK_ALLOWED_HOSTS: 'flowdesk.example.com' })).rejects.toThrow(/FLOWDESK_ALLOWED_HOSTS .*FLOWDESK_ADMIN_TOKEN/);
    await expect(start({ FLOWDESK_ADMIN_TOKEN: ADMIN, FLOWDESK_ALLOWED_HOSTS: 'https://flowdesk.example.com/' })).rejects.toThrow(/"https:\/\/flowdesk.example.com\/" is not a host name/);
    await expect(start({ FLOWDESK_TRUST_PROXY: 'true' })).rejects.toThrow(/FLOWDESK_TRUST_PROXY=true/);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
