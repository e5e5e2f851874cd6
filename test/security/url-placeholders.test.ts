// Issue 12, item 7: placeholders in URLs. As found: `…/contacts/{{payload.id}}?key={{secrets.CRM_KEY}}`
// with id `../../admin#` called /admin and dropped the key; `http://127.0.0.1:4199{{payload.path}}`
// with `@127.0.0.1:4150/api/flows/…` sent the Bearer CRM key to another host. Every attack goes in as
// a real webhook; the dependencies are real servers on loopback, counting what reached them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';
import { raw, recordingLog, sideEffects } from './support.ts';

const CRM_KEY = 'crm-live-key-0123456789';
/** an address the owner lets event-chosen URLs reach (FLOWDESK_EGRESS_ALLOW); 127.0.0.1 stays internal */
const ALLOWED = '127.0.0.2';

let rt: TestRuntime;
let crm: FailServer; // the CRM the flows are written for
let victim: FailServer; // an internal service an attacker points the runtime at
let calendly: FailServer; // an outside service whose resource URIs come in events (on the allowed address)
const log = recordingLog();

const hookFlow = (id: string, params: Record<string, unknown>) => ({
  dsl: 1, id, name: id,
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [{ id: 'call', type: 'action', action: 'http.request', params }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'call' }, { from: 'call', to: 'end' }],
});

beforeAll(async () => {
  crm = await startFailServer();
  victim = await startFailServer();
  calendly = await startFailServer(Date, ALLOWED);
  rt = await startTestRuntime({
    log,
    env: { FLOWDESK_SECRET_CRM_KEY: CRM_KEY, FLOWDESK_CONFIG_CRM_URL: `${crm.url}/api`, FLOWDESK_EGRESS_ALLOW: ALLOWED },
  });
  const flows = [
    hookFlow('contact', { method: 'GET', url: `${crm.url}/contacts/{{payload.id}}?key={{secrets.CRM_KEY}}` }),
    hookFlow('push', { method: 'POST', url: `${crm.url}{{payload.path}}`, headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' }, body: { x: 1 } }),
    hookFlow('lead', { method: 'POST', url: '{{config.CRM_URL}}/leads/{{payload.id}}', headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' }, body: { id: '{{payload.id}}' } }),
    hookFlow('fetch-event', { method: 'GET', url: '{{payload.resource}}' }),
    hookFlow('fetch-event-keyed', { method: 'GET', url: '{{payload.resource}}', headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' } }),
    hookFlow('logic-event', { method: 'GET', url: { $logic: { cat: [{ var: 'payload.base' }, '/x'] } }, headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' } }),
    hookFlow('logic-config', { method: 'GET', url: { $logic: { cat: [{ var: 'config.CRM_URL' }, '/ping'] } }, headers: { authorization: 'Bearer {{secrets.CRM_KEY}}' } }),
    hookFlow('metadata', { method: 'GET', url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }),
  ];
  for (const f of flows) expect((await rt.put(`/api/flows/${f.id}`, f)).status).toBe(200);
});
afterAll(async () => {
  await rt?.dispose();
  for (const s of [crm, victim, calendly]) await s?.close();
});

/** Sends one webhook and lets its run finish; answers the run. */
async function hook(path: string, payload: unknown) {
  const res = await raw(rt, { method: 'POST', path: `/hooks/${path}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  expect(res.status).toBe(202);
  await rt.settle();
  return (await rt.get(`/api/runs/${res.body.runId}`)).body;
}
const stepOf = (run: any) => run.steps.find((s: any) => s.nodeId === 'call');
const calls = () => crm.requests.length + victim.requests.length + calendly.requests.length;

describe('event values in a path or a query are one segment or value', () => {
  it('percent-encodes ../../admin# so the call stays on /contacts and keeps its key', async () => {
    const run = await hook('contact', { id: '../../admin#' });
    expect(run.status).toBe('succeeded');
    expect(crm.requests.map((r) => r.url)).toEqual([`/contacts/..%2F..%2Fadmin%23?key=${CRM_KEY}`]);
    expect(crm.requests.some((r) => r.url.startsWith('/admin'))).toBe(false);
  });
  it('refuses a ".." segment, calling nothing', async () => {
    const before = calls();
    const run = await hook('contact', { id: '..' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/call\.params\/url: a value from the event makes the URL path segment "\.\.", which would move up the path; refused/);
    expect(calls()).toBe(before);
  });
  it('valid traffic still passes: a plain id, and config forming the base', async () => {
    crm.requests.length = 0;
    expect((await hook('contact', { id: '42' })).status).toBe('succeeded');
    expect((await hook('lead', { id: 'a/b?c' })).status).toBe('succeeded');
    expect(crm.requests.map((r) => r.url)).toEqual([`/contacts/42?key=${CRM_KEY}`, '/api/leads/a%2Fb%3Fc']);
    expect(crm.requests[1]!.headers.authorization).toBe(`Bearer ${CRM_KEY}`);
  });
});

describe('a URL whose host came from the event', () => {
  it('never carries the secret: the "@other-host" trick is refused before anything is sent, and the run dies with an alert', async () => {
    const victimPort = new URL(victim.url).port;
    const before = await sideEffects(rt, [crm, victim, calendly]);
    const alertsBefore = (await rt.get('/api/alerts')).body.length;
    const run = await hook('push', { path: `@127.0.0.1:${victimPort}/api/flows/steal` });
    expect(run.status).toBe('dead');
    expect(stepOf(run).error).toMatch(/the URL's scheme, host or port came from event data, and this call carries a secret/);
    expect(stepOf(run).attempts).toHaveLength(1); // refused, not retried
    expect(victim.requests).toHaveLength(0);
    const after = await sideEffects(rt, [crm, victim, calendly]);
    expect(after).toEqual({ ...before, runs: before.runs + 1 });
    expect((await rt.get('/api/alerts')).body.length).toBe(alertsBefore + 1);
    expect(JSON.stringify(run)).not.toContain(CRM_KEY);
    expect(log.lines.some((l) => l.level === 'warn' && /came from event data/.test(l.msg ?? ''))).toBe(true);
  });
  it('refuses a whole-URL placeholder or a $logic URL from the event when the call carries a secret, even to an allowed address', async () => {
    const before = calls();
    for (const [flow, payload] of [
      ['fetch-event-keyed', { resource: `${calendly.url}/scheduled_events/1` }],
      ['logic-event', { base: calendly.url }],
    ] as const) {
      const run = await hook(flow, payload);
      expect(run.status).toBe('dead');
      expect(stepOf(run).error).toMatch(/carries a secret/);
    }
    expect(calls()).toBe(before);
  });
  it('without credentials, reaches a public (here: allowed) address but no loopback or private one, by address or by name', async () => {
    const victimPort = new URL(victim.url).port;
    const before = calls();
    for (const resource of [`http://127.0.0.1:${victimPort}/admin`, `http://localhost:${victimPort}/admin`, `http://[::ffff:127.0.0.1]:${victimPort}/admin`, 'http://10.0.0.1/admin']) {
      const run = await hook('fetch-event', { resource });
      expect(run.status).toBe('dead');
      expect(stepOf(run).error).toMatch(/(loopback|private) address, and the URL's host came from event data/);
    }
    expect(calls()).toBe(before);
    expect(victim.requests).toHaveLength(0);
    // a Calendly-style resource URI keeps working
    const ok = await hook('fetch-event', { resource: `${calendly.url}/scheduled_events/ABC?x=1` });
    expect(ok.status).toBe('succeeded');
    expect(calendly.requests.map((r) => r.url)).toEqual(['/scheduled_events/ABC?x=1']);
    expect(calendly.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('URLs the owner wrote', () => {
  it('$logic over config may carry the secret', async () => {
    crm.requests.length = 0;
    expect((await hook('logic-config', {})).status).toBe('succeeded');
    expect(crm.requests.map((r) => [r.url, r.headers.authorization])).toEqual([['/api/ping', `Bearer ${CRM_KEY}`]]);
  });
  it('link-local and cloud metadata are refused for every flow unless FLOWDESK_EGRESS_ALLOW lists them', async () => {
    const run = await hook('metadata', {});
    expect(run.status).toBe('dead');
    expect(stepOf(run).error).toMatch(/169\.254\.169\.254 is a link-local or cloud-metadata address, refused for every flow unless FLOWDESK_EGRESS_ALLOW lists it/);
    expect(stepOf(run).attempts).toHaveLength(1);
  });
  it('a bad FLOWDESK_EGRESS_ALLOW stops the start, naming the entry', async () => {
    await expect(startTestRuntime({ env: { FLOWDESK_EGRESS_ALLOW: 'metadata.google.internal' } })).rejects.toThrow(/FLOWDESK_EGRESS_ALLOW: "metadata.google.internal" is not an IP address or subnet/);
  });
});
