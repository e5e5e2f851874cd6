// Issue 12, item 11: GET /metrics was public with an admin token set (flow ids, webhook paths, run
// counts). Now it needs the token when one is set, and is part of the admin surface (Host check).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { EVIL_HOST, raw, sideEffects, TUNNEL_HOST } from './support.ts';

const ADMIN = 'metrics-admin-token-0123456789';

describe('/metrics with an admin token set', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ env: { FLOWDESK_ADMIN_TOKEN: ADMIN } });
    const flow = { dsl: 1, id: 'secret-project', name: 'x', trigger: { type: 'webhook', path: 'secret-project', auth: { type: 'none' } }, nodes: [{ id: 'end', type: 'end' }], edges: [{ from: 'trigger', to: 'end' }] };
    const put = await raw(rt, { method: 'PUT', path: '/api/flows/secret-project', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(flow) });
    expect(put.status).toBe(200);
    // valid traffic through a tunnel still flows, and shows up in the metrics
    expect((await raw(rt, { method: 'POST', path: '/hooks/secret-project', headers: { host: TUNNEL_HOST, 'content-type': 'application/json' }, body: '{}' })).status).toBe(202);
    await rt.settle();
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('401 without the token or with a wrong one, naming nothing', async () => {
    const before = await sideEffects(rt);
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: ADMIN }] as Record<string, string>[]) {
      const r = await raw(rt, { path: '/metrics', headers });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(r.text).not.toContain('secret-project');
    }
    expect(await sideEffects(rt)).toEqual(before);
  });

  it('403 under a foreign Host even with the token; 200 with the token on loopback', async () => {
    expect((await raw(rt, { path: '/metrics', headers: { host: EVIL_HOST, authorization: `Bearer ${ADMIN}` } })).status).toBe(403);
    const ok = await raw(rt, { path: '/metrics', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.text).toContain('flowdesk_webhook_responses_total{path="secret-project",status="202"} 1');
    expect(ok.text).toContain('flowdesk_security_refusals_total{kind="host"} 1');
  });
});

describe('/metrics without an admin token', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => {
    await rt?.dispose();
  });

  it('answers on loopback only', async () => {
    expect((await raw(rt, { path: '/metrics' })).status).toBe(200);
    expect((await raw(rt, { path: '/metrics', headers: { host: `${EVIL_HOST}:${rt.port}` } })).status).toBe(403);
  });
});
